"""Issue #14: a policy says per target which waits stop its clock.

Hand-checked on the calendar clock (real elapsed time), so the arithmetic is plain: a
complaint received Monday 2 March 2026 09:00 UTC, resolve within 10 days; paused from day 1
to day 4 (three days).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaintlog import BusinessCalendar, ComplaintLog, Projections, SlaPolicy, SlaTarget
from complaintlog.errors import InvalidValueError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
DAY = timedelta(days=1)


def _policy() -> SlaPolicy:
    return SlaPolicy(
        "waits",
        (
            SlaTarget("any_wait", "resolve", 10 * DAY, clock="calendar"),
            SlaTarget(
                "customer_only", "resolve", 10 * DAY, clock="calendar", paused_by=["customer"]
            ),
            SlaTarget("never", "resolve", 10 * DAY, clock="calendar", pauses_stop_clock=False),
        ),
        BusinessCalendar.always("UTC"),
    )


def _due(waiting_for: str) -> dict[str, datetime]:
    log = ComplaintLog(clock=lambda: T0 + 30 * DAY)
    cid = log.receive(customer={"id": "c"}, channel="web", subject="s", description="d", at=T0)
    log.acknowledge(cid, at=T0 + timedelta(hours=1))
    log.pause(cid, reason="waiting", waiting_for=waiting_for, at=T0 + DAY)  # type: ignore[arg-type]
    log.resume(cid, at=T0 + 4 * DAY)
    with Projections(log, policy=_policy()) as views:
        views.catch_up()
        return {clock.target: clock.due for clock in views.sla.clocks(cid)}


def test_a_wait_on_the_customer_stops_every_clock_that_any_wait_stops() -> None:
    due = _due("customer")
    assert due == {
        "any_wait": T0 + 13 * DAY,
        "customer_only": T0 + 13 * DAY,
        "never": T0 + 10 * DAY,
    }


@pytest.mark.parametrize("waiting_for", ["third_party", "internal"])
def test_a_wait_on_others_does_not_stop_a_customer_only_clock(waiting_for: str) -> None:
    due = _due(waiting_for)
    assert due == {
        "any_wait": T0 + 13 * DAY,
        "customer_only": T0 + 10 * DAY,
        "never": T0 + 10 * DAY,
    }


def test_paused_by_in_toml_and_its_errors() -> None:
    policy = SlaPolicy.from_toml(
        'name = "p"\n[[targets]]\nname = "r"\nmetric = "resolve"\nwithin = "40h"\n'
        'paused_by = ["customer"]\n'
    )
    assert {w.value for w in policy.target("r").stopped_by} == {"customer"}
    with pytest.raises(InvalidValueError, match="paused_by"):
        SlaTarget("r", "resolve", DAY, paused_by=["moon"])
    with pytest.raises(InvalidValueError, match="paused_by"):
        SlaPolicy.from_toml(
            'name = "p"\n[[targets]]\nname = "r"\nmetric = "resolve"\nwithin = "40h"\n'
            'paused_by = ["moon"]\n'
        )


def test_the_presets_say_which_waits_stop_their_clocks() -> None:
    default = SlaPolicy.preset("default")
    assert {w.value for w in default.target("resolve").stopped_by} == {"customer"}
    for name in ("fca", "cfpb", "psd2", "ru"):
        assert all(not t.stopped_by for t in SlaPolicy.preset(name).targets), name

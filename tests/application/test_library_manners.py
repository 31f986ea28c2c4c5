"""Issue #14: the Python API behaves like a well-made Python library.

Each test reproduces one surprise a newcomer met in a notebook.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import complaintlog
from complaintlog import ComplaintLog, Money, Projections
from complaintlog.errors import ComplaintLogError, InvalidValueError, TimeTooFarInFutureError

AT = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def _received(log: ComplaintLog, **extra: object) -> object:
    return log.receive(
        customer={"id": "c-1"},
        channel="phone",
        subject="Broken",
        description="It broke",
        at=AT,
        **extra,  # type: ignore[arg-type]
    )


def test_an_unknown_keyword_is_a_type_error_naming_it() -> None:
    log = ComplaintLog(clock=lambda: AT + timedelta(days=1))
    complaint = _received(log)
    with pytest.raises(TypeError, match="'to'") as caught:
        log.assign(complaint, to="ana")  # type: ignore[call-arg]
    assert not isinstance(caught.value, InvalidValueError)
    with pytest.raises(TypeError, match="'colour'"):
        _received(log, colour="red")
    assert len(log.history(complaint)) == 1  # nothing recorded


def test_a_bad_money_value_is_a_complaintlog_error() -> None:
    with pytest.raises(ComplaintLogError, match="amount"):
        Money(amount="abc", currency="EUR")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="currency"):
        Money(amount="1.00", currency="ZZZ")  # type: ignore[arg-type]
    assert Money(amount="1.50", currency="EUR").amount == Money(amount=1.5, currency="EUR").amount  # type: ignore[arg-type]


def test_projections_take_a_preset_name_or_a_policy_file(tmp_path: Path) -> None:
    log = ComplaintLog(clock=lambda: AT + timedelta(days=1))
    with Projections(log, policy="fca") as views:
        assert views.policy.name == "fca"
    policy = tmp_path / "mine.toml"
    policy.write_text(
        'name = "mine"\n[[targets]]\nname = "resolve"\nmetric = "resolve"\nwithin = "40h"\n',
        encoding="utf-8",
    )
    with Projections(log, policy=policy) as views:
        assert views.policy.name == "mine"
    with Projections(log, policy=str(policy)) as views:
        assert views.policy.name == "mine"
    with pytest.raises(InvalidValueError, match="preset"):
        Projections(log, policy="no-such-preset")


def test_returned_datetimes_carry_the_standard_utc() -> None:
    log = ComplaintLog(clock=lambda: AT + timedelta(days=1))
    complaint = _received(log)
    log.acknowledge(complaint, at=AT + timedelta(minutes=5))
    view = log.get(complaint)
    assert view.received_at.tzinfo is UTC
    assert view.last_activity_at.tzinfo is UTC
    for entry in log.history(complaint):
        assert entry.occurred_at.tzinfo is UTC
        assert entry.recorded_at.tzinfo is UTC


def test_too_far_in_the_future_tells_a_script_about_clock() -> None:
    log = ComplaintLog(clock=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(TimeTooFarInFutureError, match="clock="):
        _received(log)


def test_the_clock_function_type_and_the_sla_clock_row_have_distinct_names() -> None:
    from complaintlog.projections import Clock as ClockRow

    assert complaintlog.ClockFunction is not ClockRow
    assert "ClockFunction" in complaintlog.__all__
    assert "Clock" not in complaintlog.__all__  # the callable no longer takes the row's name
    assert complaintlog.SlaClock is ClockRow


def test_a_narrative_over_twenty_thousand_characters_is_received() -> None:
    log = ComplaintLog(clock=lambda: AT + timedelta(days=1))
    narrative = ("My bank charged me twice. " * 900).strip()
    assert len(narrative) > 21_000
    complaint = _received(log, attributes={"note": narrative})
    view = log.get(complaint)
    assert dict(view.attributes)["note"] == narrative
    long_one = log.receive(
        customer={"id": "c-2"}, channel="web", subject="Long", description=narrative, at=AT
    )
    assert log.get(long_one).description == narrative


def test_text_past_the_megabyte_bound_is_a_clear_error() -> None:
    log = ComplaintLog(clock=lambda: AT + timedelta(days=1))
    with pytest.raises(InvalidValueError, match="description"):
        log.receive(
            customer={"id": "c-3"},
            channel="web",
            subject="Huge",
            description="x" * 1_000_001,
            at=AT,
        )


def test_a_zoneinfo_policy_time_zone_stays_a_zoneinfo() -> None:
    log = ComplaintLog(clock=lambda: AT + timedelta(days=1))
    with Projections(log, policy="fca") as views:
        assert isinstance(views.policy.calendar.time_zone, ZoneInfo)


def test_remedies_take_a_company_code_as_causes_do() -> None:
    log = ComplaintLog(clock=lambda: AT + timedelta(days=1))
    complaint = _received(log)
    log.acknowledge(complaint, at=AT + timedelta(minutes=1))
    log.resolve(complaint, remedy="voucher", summary="A voucher", at=AT + timedelta(hours=1))
    assert log.get(complaint).remedy == "voucher"
    other = _received(log)
    log.acknowledge(other, at=AT + timedelta(minutes=1))
    log.resolve(other, remedy="refund", summary="Refunded", at=AT + timedelta(hours=1))
    assert log.get(other).remedy is complaintlog.Remedy.REFUND  # standard codes stay enums
    third = _received(log)
    log.acknowledge(third, at=AT + timedelta(minutes=1))
    with pytest.raises(InvalidValueError, match="remedy"):
        log.resolve(third, remedy="Not A Code", summary="?", at=AT + timedelta(hours=1))
    assert complaintlog.Remedy("non_monetary_relief") is complaintlog.Remedy.NON_MONETARY_RELIEF

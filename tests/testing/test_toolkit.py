"""The testing toolkit: strategies produce legal histories, helpers judge recorded ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintlog import (
    BusinessCalendar,
    ClockKind,
    ComplaintLog,
    ComplaintView,
    Metric,
    SlaPolicy,
    SlaTarget,
    Status,
)
from complaintlog.rules import Command, process_rule
from complaintlog.testing import (
    Lifecycle,
    SteppingClock,
    Workload,
    apply_lifecycle,
    apply_workload,
    assert_history_satisfies,
    assert_no_breach,
    business_calendars,
    lifecycles,
    sla_policies,
    workloads,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(lifecycle=lifecycles())
def test_every_generated_lifecycle_is_accepted_in_full(lifecycle: Lifecycle) -> None:
    clock = SteppingClock(lifecycle.ends_at + timedelta(days=1))
    with ComplaintLog(clock=clock) as log:
        cid = apply_lifecycle(log, lifecycle)
        history = log.history(cid)
    # first-contact resolutions and unsolved follow-ups record two events
    assert len(history) >= len(lifecycle.commands)
    assert [e.occurred_at for e in history] == sorted(e.occurred_at for e in history)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workload=workloads(complaints=st.integers(1, 15)))
def test_a_workload_is_saved_in_batches_with_every_complaint(workload: Workload) -> None:
    clock = SteppingClock(workload.ends_at + timedelta(days=1))
    with ComplaintLog(clock=clock) as log:
        ids = apply_workload(log, workload, batch_size=4)
        assert len(set(ids)) == len(workload.lifecycles)
        assert all(log.get(cid).status in set(Status) for cid in ids)


@process_rule("acknowledge within a day")
def acknowledged_within_a_day(state: ComplaintView | None, command: Command) -> str | None:
    if command.name == "acknowledge" and state is not None:
        waited = command.occurred_at - state.received_at
        if waited > timedelta(days=1):
            return f"acknowledged after {waited}"
    return None


def test_history_that_keeps_the_rule_passes(complaint_log: ComplaintLog) -> None:
    now = complaint_log.clock()
    cid = complaint_log.receive(
        customer={"id": "c"},
        channel="web",
        subject="s",
        description="d",
        at=now - timedelta(days=3),
    )
    complaint_log.acknowledge(cid, at=now - timedelta(days=2, hours=1))
    assert_history_satisfies(complaint_log.steps(cid), acknowledged_within_a_day)


def test_history_that_breaks_the_rule_is_reported_with_its_step(
    complaint_log: ComplaintLog,
) -> None:
    now = complaint_log.clock()
    cid = complaint_log.receive(
        customer={"id": "c"},
        channel="web",
        subject="s",
        description="d",
        at=now - timedelta(days=3),
    )
    complaint_log.acknowledge(cid, at=now)
    with pytest.raises(AssertionError, match=r"v2 Acknowledged .* acknowledged after 3 days"):
        assert_history_satisfies(complaint_log.steps(cid), acknowledged_within_a_day)


def test_the_pytest_plugin_provides_a_log_on_a_manual_clock(
    complaint_log: ComplaintLog, complaint_clock: SteppingClock
) -> None:
    complaint_clock.now += timedelta(hours=1)
    cid = complaint_log.receive(customer={"id": "c"}, channel="web", subject="s", description="d")
    assert complaint_log.get(cid).received_at == complaint_clock.now


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_lifecycles_on_a_calendar_step_in_working_time(data: st.DataObject) -> None:
    calendar = data.draw(business_calendars())
    lifecycle = data.draw(lifecycles(calendar=calendar, max_steps=6))
    for planned in lifecycle.commands[1:]:
        assert calendar.is_working_time(planned.at) or planned.at == lifecycle.commands[0].at


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=sla_policies())
def test_generated_policies_have_targets_and_a_calendar(policy: SlaPolicy) -> None:
    assert policy.targets
    assert len({t.name for t in policy.targets}) == len(policy.targets)


def test_assert_no_breach_passes_on_time_and_lists_a_late_acknowledgement(
    complaint_log_factory: Any,
) -> None:
    from datetime import UTC, datetime

    monday_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    policy = SlaPolicy(
        name="ack within an hour",
        targets=(
            SlaTarget(
                name="ack_1h",
                metric=Metric.ACKNOWLEDGE,
                within=timedelta(hours=1),
                clock=ClockKind.CALENDAR,
            ),
        ),
        calendar=BusinessCalendar.always("UTC"),
    )
    log = complaint_log_factory()
    quick = log.receive(
        customer={"id": "a"}, channel="web", subject="s", description="d", at=monday_9
    )
    log.acknowledge(quick, at=monday_9 + timedelta(minutes=30))
    assert_no_breach(log, policy, as_of=monday_9 + timedelta(hours=5))

    slow = log.receive(
        customer={"id": "b"}, channel="web", subject="s", description="d", at=monday_9
    )
    log.acknowledge(slow, at=monday_9 + timedelta(hours=3))
    with pytest.raises(
        AssertionError, match=rf"(?s)1 breach.*complaint {slow} ack_1h.*met 2026-03-02T12:00"
    ):
        assert_no_breach(log, policy, as_of=monday_9 + timedelta(hours=5))


def test_the_log_factory_makes_logs_with_rules_on_the_shared_clock(
    complaint_log_factory: Any, complaint_clock: SteppingClock
) -> None:
    ruled = complaint_log_factory(rules=[acknowledged_within_a_day])
    cid = ruled.receive(customer={"id": "c"}, channel="web", subject="s", description="d")
    assert ruled.get(cid).received_at == complaint_clock.now

"""The testing toolkit: strategies produce legal histories, helpers judge recorded ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintlog import ComplaintLog, ComplaintView, Status
from complaintlog.rules import Command, process_rule
from complaintlog.testing import (
    Lifecycle,
    SteppingClock,
    Workload,
    apply_lifecycle,
    apply_workload,
    assert_history_satisfies,
    lifecycles,
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

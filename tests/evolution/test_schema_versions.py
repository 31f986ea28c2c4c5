"""Events carry their schema version; upcasters lift older stored states to today's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from complaintlog import (
    Complaint,
    ComplaintLog,
    IdempotencyKeyReusedError,
    InvalidValueError,
    WaitingFor,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def stored(log: ComplaintLog) -> list[tuple[str, dict[str, Any]]]:
    return [
        (n.topic.rsplit(".", 1)[-1], log.mapper.decode_stored_state(n)) for n in log.notifications()
    ]


def test_changed_events_are_stored_with_their_version(log: ComplaintLog) -> None:
    complaint_id = log.receive(customer={"id": "C-1"}, channel="web", subject="s", description="d")
    log.pause(complaint_id, reason="Waiting for the courier", waiting_for="third_party")
    log.resume(complaint_id)
    states = dict(stored(log))
    assert states["Received"]["class_version"] == 3  # 3 added the tenant (#21)
    assert states["Received"]["personal"] is None
    assert states["Received"]["tenant"] == "default"
    assert states["Paused"]["class_version"] == 2
    assert states["Paused"]["waiting_for"] == "third_party"
    assert "class_version" not in states["Resumed"]  # version 1 is not written


def test_the_upcasters_fill_what_version_1_did_not_store() -> None:
    paused = {"reason": "Waiting"}
    Complaint.Paused.upcast_v1_v2(paused)
    assert paused == {"reason": "Waiting", "waiting_for": "customer"}
    received = {"customer": {"id": "C-1", "name": "Ana"}}
    Complaint.Received.upcast_v1_v2(received)
    assert received["personal"] is None
    Complaint.Received.upcast_v2_v3(received)
    assert received["tenant"] == "default"  # one store served one tenant before version 3
    resolved = {"remedy": "refund"}
    Complaint.Resolved.upcast_v1_v2(resolved)
    assert resolved == {"remedy": "refund", "upheld": None}  # unknown, never "not upheld"
    Complaint.Resolved.upcast_v2_v3(resolved)
    assert resolved == {"remedy": "refund", "upheld": None, "options_offered": (), "chosen": None}
    for event, added in (
        (Complaint.Acknowledged, {"regret": None, "thanks": None}),
        (Complaint.PromiseMade, {"alongside": False}),
        (Complaint.CustomerInformed, {"promise_id": None}),
    ):
        state: dict[str, Any] = {}
        event.upcast_v1_v2(state)  # type: ignore[attr-defined]
        assert state == added
    promise: dict[str, Any] = {"alongside": True}
    Complaint.PromiseMade.upcast_v2_v3(promise)
    assert promise == {"alongside": True, "delay_reason": None}  # no holding reply (#14)


def test_a_resolution_records_whether_it_was_upheld(log: ComplaintLog) -> None:
    complaint_id = log.receive(customer={"id": "C-1"}, channel="web", subject="s", description="d")
    log.acknowledge(complaint_id)
    with pytest.raises(InvalidValueError, match="upheld"):
        log.resolve(complaint_id, remedy="refund", summary="s", upheld="maybe")
    log.resolve(complaint_id, remedy="refund", summary="s", upheld="partly")
    states = dict(stored(log))
    assert states["Resolved"]["class_version"] == 3  # 3 added the options offered (#15)
    assert states["Resolved"]["upheld"] == "partly"
    assert log.get(complaint_id).resolutions[-1].upheld == "partly"


@pytest.mark.parametrize("waiting_for", list(WaitingFor))
def test_a_pause_says_whom_it_waits_on(log: ComplaintLog, waiting_for: WaitingFor) -> None:
    complaint_id = log.receive(customer={"id": "C-1"}, channel="web", subject="s", description="d")
    log.pause(complaint_id, reason="Waiting", waiting_for=waiting_for.value)
    view = log.get(complaint_id)
    assert view.waiting_for is waiting_for
    log.resume(complaint_id)
    view = log.get(complaint_id)
    assert view.waiting_for is None
    assert view.pause_history[0].waiting_for is waiting_for
    assert view.pause_history[0].ended_at is not None


def test_an_unknown_wait_is_refused(log: ComplaintLog) -> None:
    complaint_id = log.receive(customer={"id": "C-1"}, channel="web", subject="s", description="d")
    with pytest.raises(InvalidValueError, match="waiting_for"):
        log.pause(complaint_id, reason="Waiting", waiting_for="the_moon")


def test_the_default_wait_keeps_the_retry_fingerprint_of_version_1(log: ComplaintLog) -> None:
    """A retry that names the default matches a first attempt that did not (as 0.1.0 did)."""
    complaint_id = log.receive(
        customer={"id": "C-1"}, channel="web", subject="s", description="d", at=T0
    )
    at = T0 + timedelta(hours=1)
    log.pause(complaint_id, reason="Waiting", at=at, idempotency_key="p-1")
    log.pause(complaint_id, reason="Waiting", waiting_for="customer", at=at, idempotency_key="p-1")
    with pytest.raises(IdempotencyKeyReusedError):
        log.pause(complaint_id, reason="Waiting", waiting_for="internal", idempotency_key="p-1")
    assert [e.event for e in log.history(complaint_id)] == ["Received", "Paused"]


def test_the_default_tenant_keeps_the_retry_fingerprint_of_version_2(log: ComplaintLog) -> None:
    """A retry naming the default tenant matches a first attempt that could not name one."""
    first = log.receive(
        customer={"id": "C-1"}, channel="web", subject="s", description="d", idempotency_key="r-1"
    )
    again = log.receive(
        customer={"id": "C-1"},
        channel="web",
        subject="s",
        description="d",
        tenant="default",
        idempotency_key="r-1",
    )
    assert again == first
    with pytest.raises(IdempotencyKeyReusedError):
        log.receive(
            customer={"id": "C-1"},
            channel="web",
            subject="s",
            description="d",
            tenant="brand-a",
            idempotency_key="r-1",
        )

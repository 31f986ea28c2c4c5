"""ComplaintLog as CRM code uses it: idempotent commands, batches, lookups, replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from complaintlog import (
    ComplaintLog,
    ComplaintNotFoundError,
    DuplicateExternalReferenceError,
    IdempotencyKeyReusedError,
    InvalidValueError,
    NotAcknowledgedError,
    Status,
    StoreConfigurationError,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def receive(log: ComplaintLog, **overrides: object) -> UUID:
    fields: dict[str, object] = {
        "customer": {"id": "cust-7", "name": "Marek Novak", "email": "marek@example.sk"},
        "channel": "email",
        "subject": "Invoice 2026-02",
        "description": "Charged twice",
        "category": {"dimension": "reliability", "cause": "billing", "product": "Broadband"},
        "severity": "high",
        "at": T0,
    }
    fields.update(overrides)
    return log.receive(**fields)  # type: ignore[arg-type]


# -- idempotency -------------------------------------------------------------------------


def test_a_retried_receive_returns_the_first_id_and_records_nothing_new(
    log: ComplaintLog,
) -> None:
    first = receive(log, idempotency_key="crm-req-1")
    again = receive(log, idempotency_key="crm-req-1")
    assert again == first
    assert log.max_position() == 1


def test_a_retried_receive_without_at_is_still_the_same_request(
    log: ComplaintLog, clock: object
) -> None:
    first = receive(log, at=None, idempotency_key="k")
    clock.advance(timedelta(seconds=3))  # type: ignore[attr-defined]
    assert receive(log, at=None, idempotency_key="k") == first


def test_a_reused_key_with_other_arguments_is_refused(log: ComplaintLog) -> None:
    receive(log, idempotency_key="crm-req-1")
    with pytest.raises(IdempotencyKeyReusedError, match="crm-req-1"):
        receive(log, idempotency_key="crm-req-1", subject="Another matter")
    assert log.max_position() == 1


def test_retried_commands_change_nothing_and_return_the_first_result(log: ComplaintLog) -> None:
    cid = receive(log)
    log.acknowledge(cid, at=at(1), idempotency_key="ack-1")
    log.acknowledge(cid, at=at(1), idempotency_key="ack-1")  # would break a rule if re-run
    first = log.make_promise(cid, promise="call", due=at(60), at=at(2), idempotency_key="p-1")
    second = log.make_promise(cid, promise="call", due=at(60), at=at(2), idempotency_key="p-1")
    assert first == second
    assert [e.event for e in log.history(cid)] == ["Received", "Acknowledged", "PromiseMade"]


def test_a_key_reused_for_another_command_is_refused(log: ComplaintLog) -> None:
    cid = receive(log)
    log.assign(cid, assignee="Ivo", at=at(1), idempotency_key="k1")
    with pytest.raises(IdempotencyKeyReusedError, match="assign"):
        log.inform(cid, message="hello", at=at(2), idempotency_key="k1")


def test_a_first_contact_resolution_retried_records_both_events_once(log: ComplaintLog) -> None:
    cid = receive(log)
    for _ in range(2):
        log.resolve(
            cid,
            remedy="apology",
            summary="sorry",
            first_contact=True,
            at=at(5),
            idempotency_key="r-1",
        )
    assert [e.event for e in log.history(cid)] == ["Received", "Acknowledged", "Resolved"]


# -- external references -----------------------------------------------------------------


def test_find_returns_the_complaint_for_a_crm_reference(log: ComplaintLog) -> None:
    cid = receive(log, external_ref="CRM-1001")
    assert log.find("CRM-1001") == cid
    assert log.find("CRM-404") is None
    assert log.get(cid).external_ref == "CRM-1001"


def test_a_crm_reference_names_one_complaint(log: ComplaintLog) -> None:
    cid = receive(log, external_ref="CRM-1001")
    with pytest.raises(DuplicateExternalReferenceError, match=str(cid)):
        receive(log, external_ref="CRM-1001")
    assert log.find("CRM-1001") == cid


# -- batches -----------------------------------------------------------------------------


def test_a_batch_saves_every_command_in_one_go(log: ComplaintLog) -> None:
    with log.batch() as batch:
        ids = [receive(batch, external_ref=f"B-{n}") for n in range(3)]  # type: ignore[arg-type]
        for cid in ids:
            batch.acknowledge(cid, at=at(1))
            batch.resolve(cid, remedy="refund", summary="refunded", at=at(2))
        assert log.max_position() == 0  # nothing is visible before the block ends
    assert log.max_position() == 3 * 3 + 3  # three events each, plus three reference indexes
    assert [log.get(cid).status for cid in ids] == [Status.RESOLVED] * 3
    assert log.find("B-2") == ids[2]


def test_a_rule_broken_inside_a_batch_rejects_only_that_command(log: ComplaintLog) -> None:
    with log.batch() as batch:
        cid = receive(batch)  # type: ignore[arg-type]
        with pytest.raises(NotAcknowledgedError):
            batch.resolve(cid, remedy="refund", summary="too early", at=at(1))
        batch.acknowledge(cid, at=at(2))
    assert [e.event for e in log.history(cid)] == ["Received", "Acknowledged"]


def test_an_exception_leaving_the_batch_discards_all_of_it(log: ComplaintLog) -> None:
    def crash_mid_batch() -> None:
        with log.batch() as batch:
            receive(batch)  # type: ignore[arg-type]
            raise RuntimeError("crm crashed")

    with pytest.raises(RuntimeError):
        crash_mid_batch()
    assert log.max_position() == 0


def test_a_batch_refuses_a_reference_that_is_already_stored(log: ComplaintLog) -> None:
    existing = receive(log, external_ref="CRM-9")
    batch = log.batch()
    receive(batch, external_ref="CRM-10")  # type: ignore[arg-type]
    receive(batch, external_ref="CRM-9")  # type: ignore[arg-type]
    with pytest.raises(DuplicateExternalReferenceError):
        batch.commit()
    assert log.max_position() == 2  # the stored complaint and its index, nothing of the batch
    assert log.find("CRM-9") == existing
    assert log.find("CRM-10") is None


def test_a_batch_commands_on_stored_complaints(log: ComplaintLog) -> None:
    cid = receive(log)
    with log.batch() as batch:
        batch.acknowledge(cid, at=at(1))
        batch.assign(cid, assignee="Ivo", team="Billing", at=at(2))
    view = log.get(cid)
    assert (view.assignee, view.team, view.status) == ("Ivo", "Billing", Status.IN_PROGRESS)


# -- time travel and history -------------------------------------------------------------


def test_as_of_replays_only_what_had_happened_by_then(log: ComplaintLog) -> None:
    cid = receive(log)
    log.acknowledge(cid, at=at(10))
    log.assign(cid, assignee="Ivo", at=at(20))
    log.resolve(cid, remedy="refund", summary="refunded", at=at(30))
    assert log.get(cid, as_of=at(5)).status is Status.RECEIVED
    assert log.get(cid, as_of=at(10)).status is Status.ACKNOWLEDGED
    assert log.get(cid, as_of=at(29)).status is Status.IN_PROGRESS
    assert log.get(cid, as_of=at(30)).status is Status.RESOLVED
    with pytest.raises(ComplaintNotFoundError):
        log.get(cid, as_of=at(-1))


def test_as_known_at_shows_what_the_store_knew_before_a_backdated_event(
    log: ComplaintLog, clock: object
) -> None:
    cid = receive(log)
    screen_time = clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    # Recorded now, but it happened at minute 10: a late entry by an agent.
    log.acknowledge(cid, at=at(10))
    assert log.get(cid, as_of=at(15)).status is Status.ACKNOWLEDGED
    assert log.get(cid, as_known_at=screen_time).status is Status.RECEIVED


def test_history_keeps_business_and_recording_time_apart(log: ComplaintLog, clock: object) -> None:
    cid = receive(log, actor="agent-ana")
    recorded = clock.advance(timedelta(minutes=7))  # type: ignore[attr-defined]
    log.acknowledge(cid, at=at(3), actor="agent-ana", message="We are on it")
    received, acknowledged = log.history(cid)
    assert (received.event, received.occurred_at, received.actor) == ("Received", T0, "agent-ana")
    assert acknowledged.occurred_at == at(3)
    assert acknowledged.recorded_at == recorded
    assert acknowledged.payload == {"message": "We are on it", "regret": None, "thanks": None}
    assert received.payload["category"] == {
        "dimension": "reliability",
        "cause": "billing",
        "product": "Broadband",
    }


def test_business_time_is_stored_in_utc_whatever_offset_was_given(log: ComplaintLog) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Zagreb"))
    cid = receive(log, at=local)
    assert log.get(cid).received_at == T0
    assert log.get(cid).received_at.tzinfo == UTC


# -- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "sqlite://", "postgresql://host:5432/", "sqlite:////no/such/dir/x.db"]
)
def test_bad_store_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(StoreConfigurationError, match="store URL"):
        ComplaintLog(url)


def test_the_store_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("COMPLAINTLOG_STORE", f"sqlite:///{tmp_path}/env.db")
    with ComplaintLog() as log:
        assert log.settings.kind == "sqlite"
        receive(log)
    with ComplaintLog() as reopened:
        assert reopened.max_position() == 1


def test_bad_input_to_queries_is_refused(log: ComplaintLog) -> None:
    with pytest.raises(InvalidValueError, match="as_of"):
        log.get(receive(log), as_of=datetime(2026, 1, 1))

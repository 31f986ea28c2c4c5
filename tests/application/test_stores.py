"""The same scenarios on memory, SQLite and PostgreSQL, and writers racing on one complaint."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from complaintlog import (
    AlreadyAcknowledgedError,
    ComplaintLog,
    ConcurrencyError,
    DuplicateExternalReferenceError,
    PromiseState,
    Status,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def receive(log: ComplaintLog, ref: str | None = None) -> UUID:
    return log.receive(
        customer={"id": "cust-1", "name": "Jana Kováčová", "phone": "+421 900 000 000"},
        channel="social",
        subject="Delayed parcel",
        description="Parcel promised for Monday, still not here on Friday",
        category={"dimension": "responsiveness", "cause": "delay", "product": "Delivery"},
        severity="normal",
        external_ref=ref,
        at=T0,
    )


def test_a_whole_lifecycle_reads_back_identically_from_every_store(
    any_log: ComplaintLog,
) -> None:
    log = any_log
    cid = receive(log, ref="CRM-77")
    log.acknowledge(cid, message="Sorry, we are checking", at=at(20))
    log.assign(cid, assignee="Petra", team="Logistics", at=at(30))
    pid = log.make_promise(cid, promise="Call back by noon", due=at(180), at=at(31))
    log.inform(cid, message="Courier located the parcel", at=at(170))
    log.pause(cid, reason="Waiting for the courier", at=at(171))
    log.resume(cid, at=at(600))
    log.escalate(cid, level="supervisor", reason="Second delay", at=at(601))
    log.reclassify(cid, reason="Courier's fault", severity="high", at=at(602))
    log.resolve(
        cid,
        remedy="discount",
        summary="10% off the next order",
        compensation={"amount": "4.90", "currency": "EUR"},
        accepted=True,
        at=at(700),
    )
    log.follow_up(cid, solved=True, at=at(3000))
    log.record_survey(cid, score=4, comment="Quick in the end", at=at(3100))

    view = log.get(cid)
    assert view.status is Status.CLOSED
    assert view.customer.name == "Jana Kováčová"
    assert view.promises[0].promise_id == pid
    assert view.promises[0].state is PromiseState.KEPT
    assert view.pauses == ((at(171), at(600)),)
    assert view.escalation_level == "supervisor"
    assert view.severity == "high"
    assert view.satisfaction == 4
    assert str(view.resolutions[0].compensation) == "4.90 EUR"
    assert log.find("CRM-77") == cid
    assert [e.event for e in log.history(cid)] == [
        "Received",
        "Acknowledged",
        "Assigned",
        "PromiseMade",
        "CustomerInformed",
        "Paused",
        "Resumed",
        "Escalated",
        "Reclassified",
        "Resolved",
        "FollowedUp",
        "Surveyed",
    ]
    assert log.get(cid, as_of=at(300)).status is Status.PAUSED
    assert log.max_position() == 13  # twelve events and the reference index


def test_a_file_store_keeps_everything_after_reopening(tmp_path: object, clock: object) -> None:
    url = f"sqlite:///{tmp_path}/kept.db"
    with ComplaintLog(url, clock=clock) as log:  # type: ignore[arg-type]
        cid = receive(log, ref="CRM-1")
        log.acknowledge(cid, at=at(1))
    with ComplaintLog(url, clock=clock) as reopened:  # type: ignore[arg-type]
        assert reopened.get(cid).status is Status.ACKNOWLEDGED
        assert reopened.find("CRM-1") == cid


def _race(urls: list[str], work: object) -> list[BaseException]:
    """Run ``work(log)`` in one thread per URL, each with its own ComplaintLog."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(urls))
    logs = [ComplaintLog(url) for url in urls]

    def run(log: ComplaintLog) -> None:
        barrier.wait()
        try:
            work(log)  # type: ignore[operator]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for log in logs:
        log.close()
    return errors


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/race.db"
    return str(request.getfixturevalue("postgres_schema_url"))


def test_racing_writers_never_lose_an_event(shared_url: str) -> None:
    with ComplaintLog(shared_url) as setup:
        cid = receive(setup)
    per_writer = 25
    accepted: list[int] = []

    def assign_many(log: ComplaintLog) -> None:
        for n in range(per_writer):
            try:
                log.assign(cid, assignee=f"agent-{n}", at=at(1))
            except ConcurrencyError:
                continue  # retried until it gave up: refused clearly, recorded nothing
            accepted.append(n)

    errors = _race([shared_url, shared_url], assign_many)
    assert errors == []
    with ComplaintLog(shared_url) as check:
        history = check.history(cid)
    # every accepted command is recorded exactly once, in a gapless stream; on a quiet
    # machine the transparent retries make all of them accepted
    assert [e.version for e in history] == list(range(1, len(accepted) + 2))
    assert Counter(e.event for e in history) == {"Received": 1, "Assigned": len(accepted)}
    assert len(accepted) > per_writer


def test_the_loser_of_a_race_gets_a_clear_error_and_nothing_is_doubled(shared_url: str) -> None:
    with ComplaintLog(shared_url) as setup:
        ids = [receive(setup) for _ in range(15)]

    def acknowledge_all(log: ComplaintLog) -> None:
        for cid in ids:
            try:
                log.acknowledge(cid, at=at(1))
            except (AlreadyAcknowledgedError, ConcurrencyError):
                refused.append(cid)

    refused: list[UUID] = []
    errors = _race([shared_url, shared_url], acknowledge_all)
    assert errors == []
    assert sorted(refused) == sorted(ids)  # exactly one writer lost on each complaint
    with ComplaintLog(shared_url) as check:
        for cid in ids:
            events = [e.event for e in check.history(cid)]
            assert events == ["Received", "Acknowledged"]


def test_racing_receives_of_one_crm_reference_keep_one_complaint(shared_url: str) -> None:
    outcomes: list[str] = []

    def receive_once(log: ComplaintLog) -> None:
        try:
            receive(log, ref="CRM-RACE")
            outcomes.append("recorded")
        except DuplicateExternalReferenceError:
            outcomes.append("duplicate")

    errors = _race([shared_url, shared_url], receive_once)
    assert errors == []
    assert sorted(outcomes) == ["duplicate", "recorded"]
    with ComplaintLog(shared_url) as check:
        assert check.max_position() == 2  # one complaint and its index


@pytest.mark.postgres
def test_processes_opening_a_new_postgres_store_at_once_all_open_it(
    postgres_schema_url: str,
) -> None:
    """Opening creates the tables; concurrent creators used to collide in the catalog."""
    openers = 6
    start = threading.Barrier(openers)
    failures: list[BaseException] = []
    received: list[UUID] = []

    def open_and_receive() -> None:
        start.wait()
        try:
            with ComplaintLog(postgres_schema_url) as log:
                received.append(receive(log))
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=open_and_receive) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(received)) == openers
    with ComplaintLog(postgres_schema_url) as check:
        assert all(check.get(cid).subject == "Delayed parcel" for cid in received)

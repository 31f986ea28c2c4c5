"""GroupCommit: commands that wait together share a transaction, and each keeps its answer.

The expected outcomes come from the plain log: the same commands run one after the other
on a fresh log of the same kind. Commands are made to wait together by holding the leader's
lock while the threads queue up, so the grouping does not depend on timing.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

import pytest

from complaintlog import ComplaintLog
from complaintlog.application.group_commit import GroupCommit
from complaintlog.errors import StoreUnavailableError

BODY: dict[str, Any] = {
    "customer": {"id": "C-1", "name": "Ana Horvat", "email": "ana@example.org"},
    "channel": "phone",
    "subject": "Router",
    "description": "No connection since Monday",
}
UNKNOWN = UUID(int=7)

Call = tuple[str, dict[str, Any]]


def receive(ref: str, **extra: Any) -> Call:
    return ("receive", {**BODY, "external_ref": ref, **extra})


def prepared(log: ComplaintLog) -> UUID:
    """An earlier complaint, known as ``OLD``; its id."""
    return log.receive(**BODY, external_ref="OLD")


def calls_of(old: UUID) -> list[list[Call]]:
    """Groups of calls: refusals of every kind beside commands that succeed."""
    return [
        [
            receive("A", idempotency_key="k1"),
            receive("A2", idempotency_key="k1"),  # the key with another body: refused
            receive("A", idempotency_key="k1"),  # a retry in the same group: the same id
            ("receive", {**BODY, "channel": "carrier pigeon"}),  # invalid
            receive("B"),
            receive("B"),  # the reference taken in this very group
            ("acknowledge", {"complaint_id": old, "idempotency_key": "ack"}),
            ("acknowledge", {"complaint_id": old, "idempotency_key": "ack"}),  # a retry
            ("acknowledge", {"complaint_id": old}),  # twice: a process rule refuses
            ("acknowledge", {"complaint_id": UNKNOWN}),
            receive("C"),
        ],
        [
            receive("D"),
            receive("OLD"),  # taken before: the group's commit fails, each runs alone
            receive("E", idempotency_key="k2"),
            ("assign", {"complaint_id": old, "assignee": "mira"}),
        ],
        [
            receive("A", idempotency_key="k1"),  # a retry of a key stored by an earlier group
            receive("F", idempotency_key=" k3 "),  # the key as validated: "k3"
            receive("A2", idempotency_key="k1"),  # stored earlier, with another body: refused
            receive("F", idempotency_key="k3"),  # a retry in the same group
            receive("G", idempotency_key="k4"),
        ],
    ]


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return ("ok", run())
    except Exception as error:
        return (type(error).__name__, None)


def alone(log: ComplaintLog, groups: list[list[Call]]) -> list[tuple[str, Any]]:
    return [outcome(lambda c=c, a=a: getattr(log, c)(**a)) for group in groups for c, a in group]


def grouped(writer: GroupCommit, group: list[Call]) -> list[tuple[str, Any]]:
    """Run the calls from one thread each, all queued before the first one runs."""
    results: list[tuple[str, Any]] = [("not run", None)] * len(group)

    def call(n: int, command: str, arguments: dict[str, Any]) -> None:
        results[n] = outcome(lambda: writer.run(command, **arguments))

    threads = []
    with writer._leader_lock:
        for n, (command, arguments) in enumerate(group):
            threads.append(threading.Thread(target=call, args=(n, command, arguments)))
            threads[-1].start()
            deadline = time.monotonic() + 30
            while len(writer._waiting) < n + 1 and time.monotonic() < deadline:
                time.sleep(0.001)  # wait until it queued: the order is the group's
    for thread in threads:
        thread.join()
    return results


def shape(results: list[tuple[str, Any]]) -> list[tuple[str, int | None]]:
    """Outcomes with ids replaced by the index of their first appearance (new ids differ
    from log to log; which calls answer the same id must not)."""
    first: dict[Any, int] = {}
    return [
        (kind, first.setdefault(value, n) if isinstance(value, UUID) else None)
        for n, (kind, value) in enumerate(results)
    ]


@pytest.fixture
def counted_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    made: list[int] = []
    original = ComplaintLog.batch

    def batch(self: ComplaintLog) -> Any:
        made.append(1)
        return original(self)

    monkeypatch.setattr(ComplaintLog, "batch", batch)
    return made


def recorded(log: ComplaintLog, old: UUID) -> tuple[Any, ...]:
    """What the log holds: which references, how many events, the earlier complaint."""
    refs = ("A", "A2", "B", "C", "D", "E", "F", "G", "OLD")
    found = tuple(log.find(ref) is not None for ref in refs)
    events = sum(len(log.history(complaint_id)) for complaint_id in log.complaint_ids())
    state = log.get(old)
    return found, events, state.status, state.assignee, state.version


def test_each_command_of_a_group_answers_as_it_would_alone(
    store_url: str, counted_batches: list[int]
) -> None:
    with ComplaintLog(store_url) as log:
        old = prepared(log)
        writer = GroupCommit(log)
        together = [result for group in calls_of(old) for result in grouped(writer, group)]
        held = recorded(log, old)
    assert len(counted_batches) == 3  # each group was tried as one transaction

    with ComplaintLog("memory://") as reference:  # the plain log, one command at a time
        old_there = prepared(reference)
        expected = alone(reference, calls_of(old_there))
        expected_held = recorded(reference, old_there)

    assert shape(together) == shape(expected)
    assert held == expected_held  # nothing recorded twice, nothing lost


def test_commands_handed_over_together_answer_as_they_would_alone(
    store_url: str, counted_batches: list[int]
) -> None:
    """``run_together``: the same calls from one thread, each group handed over at once
    (in transactions of at most ``most``: the first group of 11 in 2)."""
    with ComplaintLog(store_url) as log:
        old = prepared(log)
        writer = GroupCommit(log, most=6)
        together = [
            outcome(pending.outcome)
            for group in calls_of(old)
            for pending in writer.run_together(group)
        ]
        held = recorded(log, old)
    assert len(counted_batches) == 4

    with ComplaintLog("memory://") as reference:
        old_there = prepared(reference)
        expected = alone(reference, calls_of(old_there))
        expected_held = recorded(reference, old_there)

    assert shape(together) == shape(expected)
    assert held == expected_held


def test_a_caller_alone_runs_on_the_log_itself(counted_batches: list[int]) -> None:
    with ComplaintLog() as log:
        writer = GroupCommit(log)
        complaint_id = writer.run("receive", **BODY, external_ref="X")
        assert log.find("X") == complaint_id
        with pytest.raises(Exception, match="carrier pigeon"):
            writer.run("receive", **{**BODY, "channel": "carrier pigeon"})
    assert counted_batches == []


def test_a_failed_look_up_of_the_keys_leaves_each_command_to_run_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(self: ComplaintLog, complaint_ids: object) -> set[UUID]:
        raise StoreUnavailableError("memory://", "read", RuntimeError("gone"))

    group = [receive("A", idempotency_key="k1"), receive("B"), receive("A", idempotency_key="k1")]
    with ComplaintLog() as log:
        monkeypatch.setattr(ComplaintLog, "_stored", unavailable)
        together = grouped(GroupCommit(log), group)
        events = sum(len(log.history(complaint_id)) for complaint_id in log.complaint_ids())
    assert [kind for kind, _ in together] == ["ok", "ok", "ok"]
    assert together[0] == together[2]  # the retry answered with the first id
    assert events == 2


def test_a_batch_knows_a_looked_up_key_is_stored_once_committed(store_url: str) -> None:
    with ComplaintLog(store_url) as log:
        earlier = log.receive(**BODY, external_ref="OLD", idempotency_key="old")
        with log.batch() as batch:
            batch.look_up_keys(["old", "new"])
            assert batch.receive(**BODY, external_ref="OLD", idempotency_key="old") == earlier
            first = batch.receive(**BODY, external_ref="NEW", idempotency_key="new")
            batch.commit()
            assert batch.receive(**BODY, external_ref="NEW", idempotency_key="new") == first
        assert log.find("NEW") == first
        assert len(log.history(first)) == 1


def test_the_store_says_which_complaints_it_holds(store_url: str) -> None:
    with ComplaintLog(store_url) as log:
        held = {log.receive(**BODY, external_ref=ref) for ref in ("A", "B")}
        log.acknowledge(next(iter(held)))
        asked = {*held, UNKNOWN, UUID(int=8)}
        assert log._stored(asked) == held
        assert log._stored(set()) == set()

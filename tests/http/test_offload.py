"""The HTTP layer's ``Offload``: commands queued together share a transaction, every
request gets its own answer on its own loop, and nothing a client or a loop does stops
the threads serving."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from http_support import MONDAY, NEW, MovingClock

from complaintlog import ComplaintLog, Status
from complaintlog.application.group_commit import GroupCommit
from complaintlog.errors import ComplaintNotFoundError, DuplicateExternalReferenceError
from complaintlog.http.offload import Offload


@pytest.fixture
def log() -> Iterator[ComplaintLog]:
    with ComplaintLog("memory://", clock=MovingClock(MONDAY)) as opened:
        yield opened


@pytest.fixture
def offload(log: ComplaintLog) -> Iterator[Offload]:
    opened = Offload(GroupCommit(log), reads_inline=False)  # every thread, on any store
    yield opened
    opened.close()


@pytest.fixture
def groups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many commands each call of ``run_together`` was handed (counted on entry)."""
    handed: list[int] = []
    run_together = GroupCommit.run_together

    def counted(writer: GroupCommit, commands: list[tuple[str, dict[str, Any]]]) -> Any:
        handed.append(len(commands))
        return run_together(writer, commands)

    monkeypatch.setattr(GroupCommit, "run_together", counted)
    return handed


def all_queued(offload: Offload, groups: list[int], count: int) -> Any:
    """Whether ``count`` commands are in the writer's hands or waiting for it."""
    return lambda: sum(groups) + offload.commands_waiting() >= count


def new(ref: str) -> dict[str, Any]:
    return {**NEW, "external_ref": ref}


async def until(condition: Any) -> None:
    """Let the loop run until ``condition()`` holds (the threads meanwhile work)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.001)
    pytest.fail("the condition never held")


def test_commands_queued_behind_a_commit_go_to_the_writer_together(
    log: ComplaintLog, offload: Offload, groups: list[int]
) -> None:
    refs = [f"R-{n}" for n in range(8)]

    async def scenario() -> list[Any]:
        with offload.writer._leader_lock:  # a commit under way
            sent = [asyncio.ensure_future(offload.command("receive", **new(ref))) for ref in refs]
            await until(all_queued(offload, groups, len(refs)))
        return list(await asyncio.gather(*sent))

    ids = asyncio.run(scenario())
    assert sum(groups) == len(refs)
    assert len(groups) <= 2  # the first perhaps alone, the rest in one transaction
    assert [log.find(ref) for ref in refs] == ids  # each its own answer, in its order


def test_a_refused_command_raises_for_its_caller_alone(
    log: ComplaintLog, offload: Offload, groups: list[int]
) -> None:
    taken = log.receive(**new("TAKEN"))

    async def scenario() -> list[Any]:
        with offload.writer._leader_lock:
            sent = [
                offload.command("receive", **new("A")),
                offload.command("acknowledge", complaint_id=uuid4(), message="Hi"),
                offload.command("receive", **new("TAKEN")),
                offload.command("acknowledge", complaint_id=taken, message="Hi"),
            ]
            answers = asyncio.gather(*sent, return_exceptions=True)
            await until(all_queued(offload, groups, 4))
        return list(await answers)

    received, unknown, duplicate, acknowledged = asyncio.run(scenario())
    assert received == log.find("A")
    assert isinstance(unknown, ComplaintNotFoundError)
    assert isinstance(duplicate, DuplicateExternalReferenceError)
    assert acknowledged is None
    assert log.get(taken).status is Status.ACKNOWLEDGED
    assert len(list(log.complaint_ids())) == 2


def test_reads_run_off_the_loop_and_raise_on_it(log: ComplaintLog, offload: Offload) -> None:
    cid = log.receive(**new("A"))
    loop_thread = threading.current_thread()

    def where_and_what(complaint_id: Any) -> tuple[threading.Thread, Status]:
        return threading.current_thread(), log.get(complaint_id).status

    async def scenario() -> tuple[Any, BaseException]:
        found = await offload.read(where_and_what, cid)
        try:
            await offload.read(log.get, uuid4())
        except ComplaintNotFoundError as error:
            return found, error
        pytest.fail("an unknown complaint was read")

    (thread, status), error = asyncio.run(scenario())
    assert thread is not loop_thread
    assert thread.name.startswith("complaintlog-reads")
    assert status is Status.RECEIVED
    assert isinstance(error, ComplaintNotFoundError)


@pytest.mark.parametrize(
    ("kind", "on_the_loop"),
    [
        ("memory", True),
        ("sqlite", True),
        pytest.param("postgres", False, marks=pytest.mark.postgres),
    ],
)
def test_by_default_reads_run_on_the_loop_on_an_embedded_store_alone(
    kind: str, on_the_loop: bool, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    url = {
        "memory": lambda: "memory://",
        "sqlite": lambda: f"sqlite:///{tmp_path / 'store.db'}",
        "postgres": lambda: request.getfixturevalue("postgres_schema_url"),
    }[kind]()
    with ComplaintLog(url, clock=MovingClock(MONDAY)) as opened:
        cid = opened.receive(**new("A"))
        offload = Offload(GroupCommit(opened))

        async def scenario() -> tuple[bool, Status, BaseException]:
            loop_thread = threading.current_thread()
            where, status = await offload.read(
                lambda: (threading.current_thread(), opened.get(cid).status)
            )
            with pytest.raises(ComplaintNotFoundError) as raised:
                await offload.read(opened.get, uuid4())
            return where is loop_thread, status, raised.value

        try:
            ran_on_the_loop, status, error = asyncio.run(scenario())
        finally:
            offload.close()
    assert offload.reads_inline is on_the_loop
    assert ran_on_the_loop is on_the_loop
    assert status is Status.RECEIVED
    assert isinstance(error, ComplaintNotFoundError)


def test_a_request_that_gives_up_leaves_its_command_recorded_and_the_others_answered(
    log: ComplaintLog, offload: Offload, groups: list[int]
) -> None:
    async def scenario() -> Any:
        with offload.writer._leader_lock:
            gone = asyncio.ensure_future(offload.command("receive", **new("GONE")))
            kept = asyncio.ensure_future(offload.command("receive", **new("KEPT")))
            await until(all_queued(offload, groups, 2))
            gone.cancel()
        return await kept

    kept = asyncio.run(scenario())
    offload.close()  # the queue drained: the cancelled request's command ran too
    assert kept == log.find("KEPT")
    assert log.find("GONE") is not None


def test_a_loop_closed_before_its_answer_does_not_stop_the_thread(
    log: ComplaintLog, offload: Offload
) -> None:
    lock = offload.writer._leader_lock

    async def give_up() -> None:
        lock.acquire()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(offload.command("receive", **new("LATE")), 0.05)

    asyncio.run(give_up())  # its loop is closed when the answer comes
    lock.release()

    async def next_request() -> Any:  # a thread that died would never answer
        return await asyncio.wait_for(offload.command("receive", **new("NEXT")), 10)

    assert asyncio.run(next_request()) == log.find("NEXT")
    assert log.find("LATE") is not None


def test_a_failing_writer_answers_every_waiting_request_and_the_thread_goes_on(
    log: ComplaintLog, offload: Offload, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(writer: GroupCommit, commands: list[Any]) -> Any:
        raise RuntimeError("the store went away")

    async def one() -> Any:  # a thread that died would never answer
        return await asyncio.wait_for(offload.command("receive", **new("ONE")), 10)

    with monkeypatch.context() as patched:
        patched.setattr(GroupCommit, "run_together", broken)
        with pytest.raises(RuntimeError, match="the store went away"):
            asyncio.run(one())
    assert asyncio.run(one()) == log.find("ONE")


def test_closed_it_stops_its_threads_and_starts_them_again_on_use(
    log: ComplaintLog, offload: Offload
) -> None:
    async def both(ref: str) -> list[Any]:
        return list(
            await asyncio.gather(offload.command("receive", **new(ref)), offload.read(lambda: ref))
        )

    before = set(threading.enumerate())
    first = asyncio.run(both("A"))
    started = set(threading.enumerate()) - before
    offload.close()
    assert {thread.name for thread in started} == {
        "complaintlog-commands-0",
        "complaintlog-reads-0",
        "complaintlog-reads-1",
    }
    assert not [thread for thread in started if thread.is_alive()]
    second = asyncio.run(both("B"))
    assert first == [log.find("A"), "A"]
    assert second == [log.find("B"), "B"]

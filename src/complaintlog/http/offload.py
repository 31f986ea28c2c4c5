"""``Offload``: the blocking work of the ``async`` endpoints, on a few long-lived threads.

An ``async`` endpoint must not block the event loop with the log's work (the store, the
commit). Starlette's ``run_in_threadpool`` hands each call to its own pool thread: with
eight requests in flight, eight threads wait on the writer's lock and take turns at the
GIL, and every call wakes the loop on its own. Here every request's command goes on one
queue that one thread drains: what queued while it committed is handed at once to
:meth:`~complaintlog.application.group_commit.GroupCommit.run_together`, so requests that
arrive together share a transaction without a thread each, and their answers go back to
each event loop in one call. Reads have two threads of their own, so a commit under way
never holds a read back.

Reads run on threads only where a thread helps: on PostgreSQL a read mostly waits for the
server, and the loop serves other requests meanwhile. On an embedded store (SQLite, memory)
a read is work done under the GIL, a tenth of a millisecond for a complaint's state: a
thread cannot run it beside the loop, and handing it over and back cost more than the read
(two thread wake-ups and the GIL passed back and forth, dearer still when a client shares
the machine's cores). There :meth:`Offload.read` runs the work on the loop itself.

A request cancelled while its work waits (the client went away) does not cancel the work:
a command queued is recorded, as it would be on a thread of the pool, and its answer is
dropped. The threads start on first use and stop with :meth:`Offload.close`; one that
fails never stops serving: the failure is every waiting request's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import attrs

from complaintlog.application.group_commit import GroupCommit

__all__ = ["Offload"]

P = ParamSpec("P")
T = TypeVar("T")

_STOP = object()


@attrs.define(eq=False)
class _Job:
    """A piece of work and the future, on its request's event loop, that gets its answer."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    work: Any
    ok: bool = False
    value: Any = None

    def answer(self, value: Any) -> None:
        self.ok, self.value = True, value

    def fail(self, error: BaseException) -> None:
        self.ok, self.value = False, error


def _settle(jobs: list[_Job]) -> None:
    """On the event loop: each job's answer to its future, unless the request gave up."""
    for job in jobs:
        if job.future.done():  # cancelled: the client went away
            continue
        if job.ok:
            job.future.set_result(job.value)
        else:
            job.future.set_exception(job.value)


def _hand_back(jobs: list[_Job]) -> None:
    """Every answer to its loop, one wake-up per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in jobs:
        by_loop.setdefault(job.loop, []).append(job)
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a loop closed meanwhile: no one waits
            loop.call_soon_threadsafe(_settle, settled)


@attrs.define
class _Lane:
    """A queue and the threads that drain it, up to ``most`` jobs at a time each."""

    name: str
    threads: int
    most: int
    run: Callable[[list[_Job]], None]
    _queue: queue.SimpleQueue[Any] = attrs.field(factory=queue.SimpleQueue)
    _running: list[threading.Thread] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def put(self, job: _Job) -> None:
        with self._lock:
            if not self._running:
                for number in range(self.threads):
                    thread = threading.Thread(
                        target=self._serve, name=f"complaintlog-{self.name}-{number}", daemon=True
                    )
                    thread.start()
                    self._running.append(thread)
        self._queue.put(job)

    def waiting(self) -> int:
        """How many jobs wait for a thread."""
        return self._queue.qsize()

    def close(self) -> None:
        """Stop the threads once the jobs queued before are done."""
        with self._lock:
            running, self._running = self._running, []
            for _ in running:
                self._queue.put(_STOP)
        for thread in running:
            thread.join()

    def _serve(self) -> None:
        stopping = False
        while not stopping:
            jobs: list[_Job] = []
            taken = self._queue.get()
            while True:
                if taken is _STOP:
                    stopping = True
                    break
                jobs.append(taken)
                if len(jobs) >= self.most:
                    break
                try:
                    taken = self._queue.get_nowait()
                except queue.Empty:
                    break
            if jobs:
                try:
                    self.run(jobs)
                except BaseException as error:  # never dies: the failure is their answer
                    for job in jobs:
                        job.fail(error)
                _hand_back(jobs)


def _run_commands(writer: GroupCommit, jobs: list[_Job]) -> None:
    for job, pending in zip(jobs, writer.run_together([job.work for job in jobs]), strict=True):
        if pending.error is not None:
            job.fail(pending.error)
        else:
            job.answer(pending.result)


def _run_reads(jobs: list[_Job]) -> None:
    for job in jobs:
        try:
            job.answer(job.work())
        except Exception as error:  # the request's own, raised on its loop
            job.fail(error)


@attrs.define
class Offload:
    """Runs the log's commands on one thread through ``writer`` (those queued together in
    one transaction, at most ``most``) and reads on ``readers`` threads."""

    writer: GroupCommit
    readers: int = 2
    most: int = 64
    reads_inline: bool = attrs.field(
        default=attrs.Factory(
            lambda self: self.writer.log.settings.kind != "postgres", takes_self=True
        )
    )
    """Run reads on the event loop (default: on an embedded store, where they only compute)."""
    _commands: _Lane = attrs.field(init=False)
    _reads: _Lane = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        writer = self.writer
        self._commands = _Lane("commands", 1, self.most, lambda jobs: _run_commands(writer, jobs))
        self._reads = _Lane("reads", self.readers, 1, _run_reads)

    async def command(self, name: str, /, **arguments: Any) -> Any:
        """``log.<name>(**arguments)`` on the commands thread; its result, or its error
        raised."""
        return await self._submit(self._commands, (name, arguments))

    async def read(self, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``work(*args, **kwargs)`` on a reading thread (on the loop when
        ``reads_inline``); its result, or its error raised."""
        if self.reads_inline:
            return work(*args, **kwargs)
        result: T = await self._submit(self._reads, lambda: work(*args, **kwargs))
        return result

    def commands_waiting(self) -> int:
        """How many commands wait for the commands thread (for tests and monitoring)."""
        return self._commands.waiting()

    def close(self) -> None:
        """Finish the work queued, then stop the threads (the next call starts them
        again)."""
        self._commands.close()
        self._reads.close()

    async def _submit(self, lane: _Lane, work: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        lane.put(_Job(loop, future, work))
        return await future

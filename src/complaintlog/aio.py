"""``AsyncComplaintLog``: the log's commands and queries as coroutines, for async services.

Every method runs the :class:`~complaintlog.ComplaintLog` method of the same name in a
worker thread (``anyio.to_thread``), so the event loop never waits on the database; at
most ``max_threads`` calls run at once (default: the connection pool's size on
PostgreSQL, 4 elsewhere) and the others wait without holding a thread or a connection.
Arguments, results and errors are those of the log.

This is a thread-backed adapter on every store: the drivers underneath are the synchronous
ones (psycopg's async connections are not used yet).

>>> async def endpoint(log: AsyncComplaintLog) -> None:     # doctest: +SKIP
...     complaint_id = await log.receive(customer={"id": "C-1"}, channel="web",
...                                      subject="Late", description="Still not here")
...     await log.acknowledge(complaint_id)
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

import anyio
import anyio.to_thread

from complaintlog.application import ComplaintLog
from complaintlog.persistence.pools import DEFAULT_POOL_SIZE, pool_for

__all__ = ["AsyncComplaintLog"]

P = ParamSpec("P")
R = TypeVar("R")


def _offloaded(name: str) -> Callable[..., Awaitable[Any]]:
    method = getattr(ComplaintLog, name)

    @functools.wraps(method)
    async def call(self: AsyncComplaintLog, *args: Any, **kwargs: Any) -> Any:
        return await self.run(lambda log: getattr(log, name)(*args, **kwargs))

    return call


class AsyncComplaintLog:
    """A :class:`~complaintlog.ComplaintLog` whose methods are awaited.

    ``AsyncComplaintLog(store, **options)`` opens a log (the options are the log's);
    ``AsyncComplaintLog.wrap(log)`` adapts an open one. One per process, shared by every
    request, like the log itself.
    """

    def __init__(
        self, store: str | None = None, *, max_threads: int | None = None, **options: Any
    ) -> None:
        self._init(ComplaintLog(store, **options), max_threads, owns=True)

    @classmethod
    def wrap(cls, log: ComplaintLog, *, max_threads: int | None = None) -> AsyncComplaintLog:
        """An async face on an open log (closing it stays the caller's business)."""
        adapter = cls.__new__(cls)
        adapter._init(log, max_threads, owns=False)
        return adapter

    def _init(self, log: ComplaintLog, max_threads: int | None, *, owns: bool) -> None:
        self.log = log
        self._owns = owns
        if max_threads is None:
            max_threads = (
                pool_for(log.settings.env).max_size
                if log.settings.kind == "postgres"
                else DEFAULT_POOL_SIZE
            )
        self._limiter = anyio.CapacityLimiter(max_threads)

    async def run(self, work: Callable[[ComplaintLog], R]) -> R:
        """Run ``work(log)`` in a worker thread: several log calls, or a transaction of the
        caller's own database with ``log.using(session)`` inside it."""
        return await anyio.to_thread.run_sync(work, self.log, limiter=self._limiter)

    async def run_with(
        self,
        work: Callable[Concatenate[ComplaintLog, P], R],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """``run`` with arguments: ``await alog.run_with(dispute, order_id)``."""
        return await self.run(lambda log: work(log, *args, **kwargs))

    @staticmethod
    def complaint_id_for(idempotency_key: str) -> UUID:
        """See :meth:`ComplaintLog.complaint_id_for` (no I/O: not a coroutine)."""
        return ComplaintLog.complaint_id_for(idempotency_key)

    async def aclose(self) -> None:
        if self._owns:
            await anyio.to_thread.run_sync(self.log.close)

    async def __aenter__(self) -> AsyncComplaintLog:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # the commands and queries, as coroutines with the log's signatures and documentation
    receive = _offloaded("receive")
    acknowledge = _offloaded("acknowledge")
    assign = _offloaded("assign")
    escalate = _offloaded("escalate")
    make_promise = _offloaded("make_promise")
    inform = _offloaded("inform")
    reclassify = _offloaded("reclassify")
    pause = _offloaded("pause")
    resume = _offloaded("resume")
    resolve = _offloaded("resolve")
    reopen = _offloaded("reopen")
    follow_up = _offloaded("follow_up")
    record_survey = _offloaded("record_survey")
    withdraw = _offloaded("withdraw")
    erase_personal_data = _offloaded("erase_personal_data")
    validate = _offloaded("validate")
    get = _offloaded("get")
    history = _offloaded("history")
    find = _offloaded("find")
    denied_attempts = _offloaded("denied_attempts")
    max_position = _offloaded("max_position")

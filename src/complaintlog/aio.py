"""``AsyncComplaintLog``: the log's commands and queries as coroutines, for async services.

On PostgreSQL the commands and the queries ``get``, ``history``, ``find``, ``validate`` and
``max_position`` run on psycopg's async connections
(:mod:`complaintlog.application.async_commands`): the log's own command code decides, and
the reads, the saves (the same insert protocol, chain and seals as the log's) and the
personal-data keys are awaited, never blocking the event loop and never holding a thread.
Connections come from a ``psycopg_pool.AsyncConnectionPool``: ``pool=`` hands over the
application's own, else the async log opens one (``pool_size`` at most, default 4).

``alog.using(session)`` runs the same coroutines inside a caller's own async transaction (a
SQLAlchemy ``AsyncSession``/``AsyncConnection`` or a psycopg ``AsyncConnection``): savepoints,
never a commit or rollback of its own, as ``ComplaintLog.using`` does.

What still runs in a worker thread (``anyio.to_thread``), on PostgreSQL too: opening the
log (schema and tables), ``erase_personal_data``, ``denied_attempts``, and ``run``/``run_with``
(a caller's own work with the synchronous log, such as ``log.using(session)``). On SQLite
and in memory every method runs in a thread. At most ``max_threads`` threads run at once
(default: the pool's size on PostgreSQL, 4 elsewhere). Arguments, results and errors are
those of the log.

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
from complaintlog.application.async_commands import AsyncCommands
from complaintlog.application.personal_data import KeyRing, MemoryKeyStore
from complaintlog.errors import InvalidValueError
from complaintlog.persistence.async_postgres import (
    AsyncPostgresStore,
    BoundAsyncStore,
    async_driver_connection,
    check_async_pool,
)
from complaintlog.persistence.pools import DEFAULT_POOL_SIZE, pool_for

__all__ = ["AsyncBoundLog", "AsyncComplaintLog"]

P = ParamSpec("P")
R = TypeVar("R")


def _native(name: str) -> Callable[..., Awaitable[Any]]:
    """A method awaited on async connections on PostgreSQL, in a thread elsewhere."""
    method = getattr(ComplaintLog, name)

    @functools.wraps(method)
    async def call(self: AsyncComplaintLog, *args: Any, **kwargs: Any) -> Any:
        commands = self._commands
        if commands is None:
            return await self.run(lambda log: getattr(log, name)(*args, **kwargs))
        await self._prepare()
        return await commands.call(name, args, kwargs)

    return call


def _offloaded(name: str) -> Callable[..., Awaitable[Any]]:
    """A method that runs the log's in a worker thread on every store."""
    method = getattr(ComplaintLog, name)

    @functools.wraps(method)
    async def call(self: AsyncComplaintLog, *args: Any, **kwargs: Any) -> Any:
        return await self.run(lambda log: getattr(log, name)(*args, **kwargs))

    return call


class AsyncComplaintLog:
    """A :class:`~complaintlog.ComplaintLog` whose methods are awaited.

    ``AsyncComplaintLog(store, **options)`` opens a log (the options are the log's, and
    ``pool=`` may be a ``psycopg_pool.AsyncConnectionPool``); ``AsyncComplaintLog.wrap(log)``
    adapts an open one. One per process, shared by every request, like the log itself.
    """

    def __init__(
        self,
        store: str | None = None,
        *,
        max_threads: int | None = None,
        pool: Any = None,
        **options: Any,
    ) -> None:
        async_pool = None
        if pool is not None and type(pool).__name__ == "AsyncConnectionPool":
            async_pool = check_async_pool(pool)
            pool = None
        log = ComplaintLog(store, pool=pool, **options)
        if async_pool is not None and log.settings.kind != "postgres":
            log.close()
            only = "a connection pool is for a postgresql:// store"
            raise InvalidValueError("pool", type(async_pool).__name__, only)
        self._init(log, max_threads, owns=True, async_pool=async_pool)

    @classmethod
    def wrap(
        cls, log: ComplaintLog, *, max_threads: int | None = None, pool: Any = None
    ) -> AsyncComplaintLog:
        """An async face on an open log (closing it stays the caller's business);
        ``pool``: an ``AsyncConnectionPool`` for its async reads and writes."""
        adapter = cls.__new__(cls)
        adapter._init(log, max_threads, owns=False, async_pool=pool)
        return adapter

    def _init(
        self, log: ComplaintLog, max_threads: int | None, *, owns: bool, async_pool: Any
    ) -> None:
        self.log = log
        self._owns = owns
        self._prepared: bool | anyio.Event = False
        self._commands: AsyncCommands | None = None
        if log.settings.kind == "postgres":
            store = AsyncPostgresStore(
                log.recorder, log.settings.env, log.settings.redacted_url, async_pool
            )
            self._commands = AsyncCommands(log, store)
        if max_threads is None:
            max_threads = (
                pool_for(log.settings.env).max_size
                if log.settings.kind == "postgres"
                else DEFAULT_POOL_SIZE
            )
        self._limiter = anyio.CapacityLimiter(max_threads)

    async def _prepare(self) -> None:
        """The key table exists before the first key is written (once, in one thread)."""
        if self._prepared is True:
            return
        if isinstance(self._prepared, anyio.Event):  # another task is preparing
            await self._prepared.wait()
            return
        self._prepared = anyio.Event()
        done = self._prepared
        try:
            await anyio.to_thread.run_sync(self.log.prepare, limiter=self._limiter)
        except BaseException:
            self._prepared = False
            done.set()
            raise
        self._prepared = True
        done.set()

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

    def using(self, connection: Any) -> AsyncBoundLog:
        """This log's commands and reads inside the caller's open async transaction.

        ``connection`` is a psycopg ``AsyncConnection``, or a SQLAlchemy ``AsyncSession`` or
        ``AsyncConnection`` over one, on this log's database (PostgreSQL). Like
        :meth:`ComplaintLog.using`: the caller's commit records the events, its rollback
        discards them, and nothing here commits or rolls back.
        """
        if self._commands is None:
            why = (
                "an async transaction needs a postgresql:// store; on SQLite run "
                "log.using(sqlite3_connection) in a thread with run()"
            )
            raise InvalidValueError("connection", type(connection).__name__, why)
        return AsyncBoundLog(self, connection)

    @property
    def is_async_on_the_wire(self) -> bool:
        """Whether commands and queries use async connections (PostgreSQL) or threads."""
        return self._commands is not None

    async def aclose(self) -> None:
        if self._commands is not None:
            await self._commands.store.close()
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

    async def max_position(self) -> int:
        """See :meth:`ComplaintLog.max_position`."""
        if self._commands is None:
            return await self.run(lambda log: log.max_position())
        return await self._commands.max_position()

    # the commands and queries, as coroutines with the log's signatures and documentation
    receive = _native("receive")
    acknowledge = _native("acknowledge")
    assign = _native("assign")
    escalate = _native("escalate")
    make_promise = _native("make_promise")
    inform = _native("inform")
    reclassify = _native("reclassify")
    pause = _native("pause")
    resume = _native("resume")
    resolve = _native("resolve")
    reopen = _native("reopen")
    follow_up = _native("follow_up")
    record_survey = _native("record_survey")
    withdraw = _native("withdraw")
    send_survey = _native("send_survey")
    record_desired_remedy = _native("record_desired_remedy")
    attach_evidence = _native("attach_evidence")
    note = _native("note")
    note_review = _native("note_review")
    sign_off = _native("sign_off")
    validate = _native("validate")
    get = _native("get")
    history = _native("history")
    find = _native("find")
    erase_personal_data = _offloaded("erase_personal_data")
    denied_attempts = _offloaded("denied_attempts")


def _bound(name: str) -> Callable[..., Awaitable[Any]]:
    method = getattr(ComplaintLog, name)

    @functools.wraps(method)
    async def call(self: AsyncBoundLog, *args: Any, **kwargs: Any) -> Any:
        commands = await self._commands()
        return await commands.call(name, args, kwargs)

    return call


class AsyncBoundLog:
    """The async log's commands and reads in a caller's transaction (see
    :meth:`AsyncComplaintLog.using`). Cheap to make: one per request or transaction."""

    def __init__(self, owner: AsyncComplaintLog, connection: Any) -> None:
        self._owner = owner
        self._connection = connection
        self._ready: AsyncCommands | None = None
        # keys this transaction reads or makes: kept apart from the log's committed ones
        self._ring = KeyRing(MemoryKeyStore(), cache_seconds=owner.log._keys.cache_seconds)

    async def _commands(self) -> AsyncCommands:
        if self._ready is None:
            await self._owner._prepare()
            log = self._owner.log
            conn = await async_driver_connection(self._connection)
            store = BoundAsyncStore(log.recorder, log.settings.env, log.settings.redacted_url, conn)
            self._ready = AsyncCommands(log, store, self._ring)
        return self._ready

    receive = _bound("receive")
    acknowledge = _bound("acknowledge")
    assign = _bound("assign")
    escalate = _bound("escalate")
    make_promise = _bound("make_promise")
    inform = _bound("inform")
    reclassify = _bound("reclassify")
    pause = _bound("pause")
    resume = _bound("resume")
    resolve = _bound("resolve")
    reopen = _bound("reopen")
    follow_up = _bound("follow_up")
    record_survey = _bound("record_survey")
    withdraw = _bound("withdraw")
    send_survey = _bound("send_survey")
    record_desired_remedy = _bound("record_desired_remedy")
    attach_evidence = _bound("attach_evidence")
    note = _bound("note")
    note_review = _bound("note_review")
    sign_off = _bound("sign_off")
    validate = _bound("validate")
    get = _bound("get")
    history = _bound("history")
    find = _bound("find")

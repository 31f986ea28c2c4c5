"""The PostgreSQL event store through psycopg's async connections, for ``AsyncComplaintLog``.

The same table, the same statements and the same insert protocol as the synchronous
recorder (:class:`~complaintlog.persistence.postgres.CopyingPostgresRecorder`, whose
statement objects this reuses): in one transaction, the ``EXCLUSIVE`` table lock that keeps
positions in commit order, the ``NOTIFY`` followers wait on, a binary ``COPY`` of the rows,
their positions read back, and the customer index written beside them. Personal-data keys
use the key table's statements (:class:`~complaintlog.persistence.key_stores.PostgresKeySql`).

Connections come from a ``psycopg_pool.AsyncConnectionPool``: the application's own, or one
this store opens (1 connection at start, ``pool_size`` at most, like the synchronous shared
pool). An async pool belongs to the event loop it was opened in, so it is opened on first
use, not at construction. A lost connection is retried like an event write (10 attempts,
0.2 s apart), then reported as :class:`~complaintlog.errors.StoreUnavailableError`; a lost
race (a version another writer saved first) is eventsourcing's ``IntegrityError``, which
the caller retries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import anyio
from eventsourcing.persistence import IntegrityError, StoredEvent

from complaintlog.errors import InvalidValueError, StoreUnavailableError
from complaintlog.persistence.customer_index import rows_of
from complaintlog.persistence.key_stores import CustomerKey, PostgresKeySql
from complaintlog.persistence.pools import application_name, pool_size
from complaintlog.persistence.settings import postgres_connect_args

__all__ = ["AsyncPostgresStore", "BoundAsyncStore", "async_driver_connection", "check_async_pool"]

ATTEMPTS = 10
WAIT = 0.2


def check_async_pool(pool: Any) -> Any:
    """``pool`` if it is a ``psycopg_pool.AsyncConnectionPool``; a clear error if not."""
    from psycopg_pool import AsyncConnectionPool

    if not isinstance(pool, AsyncConnectionPool):
        rule = "a psycopg_pool.AsyncConnectionPool"
        raise InvalidValueError("pool", type(pool).__name__, rule)
    return pool


def _dict_cursor(conn: Any) -> Any:
    from psycopg.rows import dict_row

    return conn.cursor(row_factory=dict_row)


async def _configure(conn: Any) -> None:
    from psycopg.rows import dict_row

    await conn.set_autocommit(True)
    conn.row_factory = dict_row


class AsyncPostgresStore:
    """Reads and writes of one log's tables on async connections."""

    def __init__(self, recorder: Any, env: Mapping[str, str], store: str, pool: Any = None) -> None:
        from psycopg import sql

        self.store = store
        self._recorder = recorder
        self._env = dict(env)
        self._given = check_async_pool(pool) if pool is not None else None
        self._pool: Any = self._given
        self._opened: anyio.Event | None = None
        self._select = recorder.select_events_statement + sql.SQL(
            " ORDER BY originator_version ASC"
        )
        self._keys = PostgresKeySql.for_schema(env.get("POSTGRES_SCHEMA") or "public")

    @property
    def max_size(self) -> int:
        return int(self._given.max_size) if self._given is not None else pool_size(self._env)

    async def _ready_pool(self) -> Any:
        if self._pool is not None and (self._opened is None or self._opened.is_set()):
            return self._pool
        if self._opened is not None:  # another task is opening it
            await self._opened.wait()
            return self._pool
        from psycopg_pool import AsyncConnectionPool

        self._opened = anyio.Event()
        args = postgres_connect_args(self._env)
        connect = {k: v for k, v in args.items() if k != "autocommit"}
        pool = AsyncConnectionPool(
            kwargs={**connect, "application_name": application_name()},
            min_size=1,
            max_size=pool_size(self._env),
            open=False,
            configure=_configure,
            timeout=30.0,
            name=f"complaintlog async {args['dbname']}",
        )
        try:
            await pool.open(wait=False)
        except Exception:
            self._opened = None
            raise
        self._pool = pool
        self._opened.set()
        return pool

    async def close(self) -> None:
        """Close the pool this store opened (an application's own pool stays open)."""
        if self._given is None and self._pool is not None:
            pool, self._pool, self._opened = self._pool, None, None
            await pool.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        """A connection in autocommit mode with dict rows, as the application's pool had it
        before, after."""
        from psycopg.rows import dict_row

        pool = await self._ready_pool()
        async with pool.connection() as conn:
            if self._given is None:
                yield conn
                return
            saved = conn.row_factory, conn.autocommit
            await conn.set_autocommit(True)
            conn.row_factory = dict_row
            try:
                yield conn
            finally:
                if not conn.closed and not conn.broken:
                    await conn.set_autocommit(saved[1])
                    conn.row_factory = saved[0]

    async def _run(self, work: Any, operation: str) -> Any:
        """``await work(connection)``, retrying a lost connection; errors translated."""
        import psycopg

        for attempt in range(ATTEMPTS):
            try:
                async with self._connection() as conn:
                    return await work(conn)
            except psycopg.IntegrityError as error:
                raise IntegrityError(str(error)) from error
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                if attempt + 1 == ATTEMPTS:
                    raise StoreUnavailableError(self.store, operation, error) from error
                await anyio.sleep(WAIT)
            except psycopg.Error as error:
                raise StoreUnavailableError(self.store, operation, error) from error
        raise AssertionError  # pragma: no cover - the loop returns or raises

    # -- events ----------------------------------------------------------------------------

    async def select_events(self, originator_id: UUID) -> list[StoredEvent]:
        async def work(conn: Any) -> list[StoredEvent]:
            cursor = await _dict_cursor(conn).execute(self._select, (originator_id,))
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in await cursor.fetchall()
            ]

        result: list[StoredEvent] = await self._run(work, "read")
        return result

    async def insert_events(
        self, stored: Sequence[StoredEvent], customers: Sequence[tuple[str, UUID]] = ()
    ) -> list[int]:
        """The synchronous recorder's ``copy_events``, statement for statement."""
        recorder = self._recorder

        async def work(conn: Any) -> list[int]:
            async with conn.transaction(), _dict_cursor(conn) as cursor:
                await cursor.execute(recorder.before_copy_statement)
                while cursor.nextset():  # to the last statement's result
                    pass
                found = await cursor.fetchone()
                before = int(found["max"] or 0) if found is not None else 0
                async with cursor.copy(recorder.copy_statement) as copy:
                    copy.set_types(recorder.copy_types)
                    for event in stored:
                        await copy.write_row(
                            (
                                event.originator_id,
                                event.originator_version,
                                event.topic,
                                event.state,
                            )
                        )
                await cursor.execute(
                    recorder.after_copy_statement,
                    (*recorder.customers.parameters(rows_of(customers)), before),
                )
                ids = [int(row["notification_id"]) for row in await cursor.fetchall()]
                if len(ids) != len(stored):  # pragma: no cover - only if the lock failed us
                    msg = f"{len(stored)} events copied, {len(ids)} notification ids found"
                    raise StoreUnavailableError(self.store, "save", RuntimeError(msg))
                return ids

        if not stored:
            return []
        result: list[int] = await self._run(work, "save")
        return result

    async def max_position(self) -> int:
        async def work(conn: Any) -> int:
            cursor = await _dict_cursor(conn).execute(self._recorder.max_notification_id_statement)
            row = await cursor.fetchone()
            return int(row["max"] or 0) if row is not None else 0

        result: int = await self._run(work, "read the log")
        return result

    # -- personal-data keys ----------------------------------------------------------------

    async def insert_keys(self, keys: Sequence[CustomerKey]) -> None:
        """Store keys (already wrapped, if a KEK is set) in a transaction of their own:
        committed before any event sealed with them is saved."""
        rows = [(k.key_id, k.customer_id, k.secret, k.created_at) for k in keys]

        async def work(conn: Any) -> None:
            async with conn.transaction(), _dict_cursor(conn) as cursor:
                await cursor.executemany(self._keys.insert, rows)

        await self._run(work, "store personal-data keys")

    async def fetch_keys(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        """The stored keys among ``key_ids`` (as stored: wrapped, if a KEK is set)."""
        ids = list(key_ids)

        async def work(conn: Any) -> list[Any]:
            cursor = await _dict_cursor(conn).execute(self._keys.select, (ids,))
            return list(await cursor.fetchall())

        rows = await self._run(work, "read personal-data keys")
        return {
            r["key_id"]: CustomerKey(
                r["key_id"], r["customer_id"], bytes(r["secret"]), r["created_at"]
            )
            for r in rows
        }


async def async_driver_connection(connection: Any) -> Any:
    """The psycopg ``AsyncConnection`` under a SQLAlchemy ``AsyncSession`` or
    ``AsyncConnection`` (beginning the SQLAlchemy transaction if none is open, so the
    caller's commit covers our writes); a psycopg ``AsyncConnection`` as it is."""
    import psycopg

    if isinstance(connection, psycopg.AsyncConnection):
        return connection
    if type(connection).__module__.startswith("sqlalchemy"):
        from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

        if isinstance(connection, AsyncSession):
            connection = await connection.connection()
        if isinstance(connection, AsyncConnection):
            if not connection.in_transaction():
                await connection.begin()
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            if isinstance(driver, psycopg.AsyncConnection):
                return driver
    rule = "a psycopg AsyncConnection, or a SQLAlchemy AsyncConnection or AsyncSession over one"
    raise InvalidValueError("connection", type(connection).__name__, rule)


class BoundAsyncStore(AsyncPostgresStore):
    """The store through a caller's open async connection, in the caller's transaction.

    Never commits or rolls back: every write runs in a savepoint, so a write that lost a
    race is undone alone and the caller's transaction stays usable; nothing is retried on
    a lost connection (the caller's transaction is gone with it). Keys are written in the
    caller's transaction too: they commit with the events sealed with them, or not at all.
    """

    def __init__(self, recorder: Any, env: Mapping[str, str], store: str, conn: Any) -> None:
        super().__init__(recorder, env, store)
        expected = env.get("POSTGRES_DBNAME", "")
        if conn.closed:
            raise StoreUnavailableError(store, "bind", RuntimeError("the connection is closed"))
        if conn.info.dbname != expected:
            rule = f"the log's events are in database {expected!r}"
            raise InvalidValueError("connection", conn.info.dbname, rule)
        self._conn = conn

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        from psycopg import pq

        conn = self._conn
        if not conn.autocommit and conn.info.transaction_status == pq.TransactionStatus.IDLE:
            # psycopg's transaction() on an idle connection would commit on exit: start the
            # caller's transaction first, so ours is a savepoint inside it
            await conn.execute("SELECT 1")
        yield conn

    async def _run(self, work: Any, operation: str) -> Any:
        import psycopg

        try:
            async with self._connection() as conn:
                return await work(conn)
        except psycopg.IntegrityError as error:
            raise IntegrityError(str(error)) from error
        except psycopg.Error as error:
            raise StoreUnavailableError(self.store, operation, error) from error

    async def close(self) -> None:
        """Nothing: the connection is the caller's."""

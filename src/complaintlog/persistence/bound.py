"""A caller's open connection, bound: events and keys written in the caller's transaction.

``ComplaintLog.using(connection)`` writes through a connection the CRM already holds (psycopg,
``sqlite3``, or a SQLAlchemy ``Connection``/``Session`` over either), so the CRM's own rows
and the complaint's events commit or roll back together. Nothing here commits or rolls back
the caller's transaction: each write runs in a savepoint inside it, so a write that loses a
race (another transaction saved that version first) is undone alone and can be retried,
and the caller's transaction stays usable.

The SQL is the event store's own (the recorders' statements, the key table's statements):
one table layout, one insert protocol (on PostgreSQL: the table lock that keeps positions
in commit order, and the ``NOTIFY``). Driver errors are translated here: a lost race to
eventsourcing's ``IntegrityError`` (which the log retries), anything else to
:class:`~complaintlog.errors.StoreUnavailableError`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from complaintlog.errors import InvalidValueError, StoreUnavailableError
from complaintlog.persistence.key_stores import (
    SQLITE_CREATE,
    SQLITE_INSERT,
    SQLITE_SELECT,
    CustomerKey,
    PostgresKeySql,
)

__all__ = ["Binding", "BoundKeyStore", "bind_connection", "driver_connection"]

_SAVEPOINT = "complaintlog_write"
_ACCEPTED = "a psycopg Connection, a sqlite3.Connection, or a SQLAlchemy Connection or Session"


class Binding(Protocol):
    """The caller's connection, as the log's store uses it."""

    kind: str
    store: str

    def atomic(self, operation: str) -> Any:
        """A context manager: a savepoint in the caller's transaction, yielding a cursor."""

    def insert_events(
        self, cursor: Any, stored: Sequence[StoredEvent], customers: Sequence[tuple[str, UUID]]
    ) -> None: ...

    def select_events(self, originator_id: UUID) -> list[StoredEvent]: ...

    def insert_keys(self, cursor: Any, keys: Sequence[CustomerKey]) -> None: ...

    def fetch_keys(self, key_ids: Collection[str]) -> dict[str, CustomerKey]: ...


def driver_connection(connection: Any) -> Any:
    """The DB-API connection under a SQLAlchemy ``Session`` or ``Connection`` (beginning
    the SQLAlchemy transaction if none is open, so the caller's commit covers our writes);
    any other object as it is."""
    module = type(connection).__module__
    if not module.startswith("sqlalchemy"):
        return connection
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    if isinstance(connection, Session):
        connection = connection.connection()
    if isinstance(connection, Connection):
        if not connection.in_transaction():
            connection.begin()
        return connection.connection.driver_connection
    return connection


def bind_connection(
    connection: Any, *, kind: str, store: str, recorder: Any, env: dict[str, str]
) -> Binding:
    """The binding for ``connection``, checked against the log's store."""
    raw = driver_connection(connection)
    if isinstance(raw, sqlite3.Connection):
        if kind != "sqlite":
            rule = f"the log's store is {kind}; a sqlite3 connection cannot write to it"
            raise InvalidValueError("connection", type(connection).__name__, rule)
        return SqliteBinding(raw, store, recorder, env.get("SQLITE_DBNAME", ""))
    try:
        import psycopg
    except ImportError:  # pragma: no cover - without the postgres extra
        psycopg = None  # type: ignore[assignment]
    if psycopg is not None and isinstance(raw, psycopg.Connection):
        if kind != "postgres":
            rule = f"the log's store is {kind}; a psycopg connection cannot write to it"
            raise InvalidValueError("connection", type(connection).__name__, rule)
        return PsycopgBinding(raw, store, recorder, env)
    raise InvalidValueError("connection", type(connection).__name__, f"expected {_ACCEPTED}")


class PsycopgBinding:
    kind = "postgres"

    def __init__(self, connection: Any, store: str, recorder: Any, env: dict[str, str]) -> None:
        from psycopg import sql

        self.connection = connection
        self.store = store
        self._recorder = recorder
        expected = env.get("POSTGRES_DBNAME", "")
        if connection.closed:
            raise StoreUnavailableError(store, "bind", RuntimeError("the connection is closed"))
        if connection.info.dbname != expected:
            rule = f"the log's events are in database {expected!r}"
            raise InvalidValueError("connection", connection.info.dbname, rule)
        self._keys = PostgresKeySql.for_schema(env.get("POSTGRES_SCHEMA") or None)
        self._select = recorder.select_events_statement + sql.SQL(
            " ORDER BY originator_version ASC"
        )

    @contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.IntegrityError as error:
            raise IntegrityError(str(error)) from error
        except psycopg.Error as error:
            raise StoreUnavailableError(self.store, operation, error) from error

    @contextmanager
    def atomic(self, operation: str) -> Iterator[Any]:
        from psycopg import pq
        from psycopg.rows import dict_row

        conn = self.connection
        with self._errors(operation):
            if not conn.autocommit and conn.info.transaction_status == pq.TransactionStatus.IDLE:
                # psycopg's transaction() on an idle connection would commit on exit: start
                # the caller's transaction first, so ours is a savepoint inside it
                conn.execute("SELECT 1")
            with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
                yield cursor

    def insert_events(
        self, cursor: Any, stored: Sequence[StoredEvent], customers: Sequence[tuple[str, UUID]]
    ) -> None:
        self._recorder.copy_events(cursor, stored, customers)

    def select_events(self, originator_id: UUID) -> list[StoredEvent]:
        from psycopg.rows import dict_row

        with self._errors("read"), self.connection.cursor(row_factory=dict_row) as cursor:
            cursor.execute(self._select, (originator_id,))
            rows = cursor.fetchall()
        return [
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in rows
        ]

    def insert_keys(self, cursor: Any, keys: Sequence[CustomerKey]) -> None:
        rows = [(k.key_id, k.customer_id, k.secret, k.created_at) for k in keys]
        cursor.executemany(self._keys.insert, rows)

    def fetch_keys(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        from psycopg.rows import tuple_row

        with self._errors("read keys"), self.connection.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(self._keys.select, (list(key_ids),))
            rows = cursor.fetchall()
        return {r[0]: CustomerKey(r[0], r[1], bytes(r[2]), r[3]) for r in rows}


class SqliteBinding:
    kind = "sqlite"

    def __init__(
        self, connection: sqlite3.Connection, store: str, recorder: Any, file: str
    ) -> None:
        self.connection = connection
        self.store = store
        self._recorder = recorder
        with self._errors("bind"):
            rows = connection.execute("PRAGMA database_list").fetchall()
        main = next((str(r[2]) for r in rows if r[1] == "main"), "")
        if file != ":memory:" and (not main or Path(main).resolve() != Path(file).resolve()):
            rule = f"the log's events are in the file {file}"
            raise InvalidValueError("connection", main or ":memory:", rule)
        self._select = recorder.select_events_statement + "ORDER BY originator_version ASC"

    @contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from error
        except sqlite3.Error as error:
            raise StoreUnavailableError(self.store, operation, error) from error

    @contextmanager
    def atomic(self, operation: str) -> Iterator[Any]:
        conn = self.connection
        with self._errors(operation):
            own = False
            if not conn.in_transaction:
                # Take the write lock now; in autocommit mode (isolation_level None) nobody
                # else will end this transaction, so it is ours to commit.
                conn.execute("BEGIN IMMEDIATE")
                own = conn.isolation_level is None
            conn.execute(f"SAVEPOINT {_SAVEPOINT}")
            try:
                yield conn.cursor()
            except BaseException:
                conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
                conn.execute(f"RELEASE {_SAVEPOINT}")
                if own:
                    conn.execute("ROLLBACK")
                raise
            conn.execute(f"RELEASE {_SAVEPOINT}")
            if own:
                conn.execute("COMMIT")

    def insert_events(
        self, cursor: Any, stored: Sequence[StoredEvent], customers: Sequence[tuple[str, UUID]]
    ) -> None:
        self._recorder._insert_events(cursor, stored, customers=customers)

    def select_events(self, originator_id: UUID) -> list[StoredEvent]:
        with self._errors("read"):
            rows = self.connection.execute(self._select, (originator_id.hex,)).fetchall()
        return [
            StoredEvent(
                originator_id=UUID(row[0]),
                originator_version=int(row[1]),
                topic=str(row[2]),
                state=bytes(row[3]),
            )
            for row in rows
        ]

    def insert_keys(self, cursor: Any, keys: Sequence[CustomerKey]) -> None:
        rows = [(k.key_id, k.customer_id, k.secret, k.created_at.isoformat()) for k in keys]
        cursor.execute(SQLITE_CREATE)  # in the caller's transaction: its lock is ours
        cursor.executemany(SQLITE_INSERT, rows)

    def fetch_keys(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        with self._errors("read keys"):
            rows = self.connection.execute(SQLITE_SELECT, (json.dumps(list(key_ids)),))
            found = rows.fetchall()
        return {
            r[0]: CustomerKey(r[0], r[1], bytes(r[2]), datetime.fromisoformat(r[3])) for r in found
        }


class BoundKeyStore:
    """The key table through the caller's connection: new keys commit with the caller's
    transaction, and keys it created are readable before that commit."""

    def __init__(self, binding: Binding) -> None:
        self._binding = binding

    def insert(self, keys: Sequence[CustomerKey]) -> None:
        with self._binding.atomic("store keys") as cursor:
            self._binding.insert_keys(cursor, keys)

    def fetch(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        return self._binding.fetch_keys(key_ids)

    def destroy(self, customer_id: str) -> int:
        msg = "erasure runs on the log itself, not inside a caller's transaction"
        raise InvalidValueError("customer_id", customer_id, msg)

    def close(self) -> None:
        pass

"""Where customers' personal-data keys are kept: memory, SQLite or PostgreSQL.

Keys live in their own table, outside the events:

* ``memory://`` (and SQLite ``:memory:``): in the process, like the events;
* SQLite: the ``complaintlog_personal_keys`` table in the same file, written through a
  connection with ``PRAGMA secure_delete=ON``;
* PostgreSQL: ``complaintlog_personal_keys`` in the events' schema (psycopg 3,
  parameterised SQL).

Sealing and opening with the keys is the application's business
(:mod:`complaintlog.application.personal_data`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from complaintlog.errors import StoreUnavailableError
from complaintlog.persistence.pools import pool_for

if TYPE_CHECKING:
    from complaintlog.persistence.settings import StoreSettings

__all__ = [
    "KEY_TABLE",
    "CustomerKey",
    "KeyStore",
    "LazyKeyStore",
    "MemoryKeyStore",
    "PostgresKeySql",
    "PostgresKeyStore",
    "SQLiteKeyStore",
    "key_store_for",
]


KEY_TABLE = "complaintlog_personal_keys"
_SQLITE_CREATE = (
    "CREATE TABLE IF NOT EXISTS complaintlog_personal_keys ("
    "key_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, "
    "secret BLOB NOT NULL, created_at TEXT NOT NULL)"
)
_SQLITE_INDEX = (
    "CREATE INDEX IF NOT EXISTS complaintlog_personal_keys_by_customer "
    "ON complaintlog_personal_keys (customer_id)"
)
_SQLITE_INSERT = (
    "INSERT OR IGNORE INTO complaintlog_personal_keys "
    "(key_id, customer_id, secret, created_at) VALUES (?, ?, ?, ?)"
)
_SQLITE_SELECT = (
    "SELECT key_id, customer_id, secret, created_at FROM complaintlog_personal_keys "
    "WHERE key_id IN (SELECT value FROM json_each(?))"
)
SQLITE_CREATE = _SQLITE_CREATE
SQLITE_INSERT = _SQLITE_INSERT
SQLITE_SELECT = _SQLITE_SELECT
_SQLITE_DELETE = "DELETE FROM complaintlog_personal_keys WHERE customer_id = ?"
_KEY_BYTES = 32
_TRUNCATE_PATIENCE = 5.0
"""Seconds an erasure waits for readers and other checkpoints to let the log be emptied."""


@attrs.frozen(repr=False)
class CustomerKey:
    """A 256-bit AES key of one customer. Its repr never shows the secret."""

    key_id: str
    customer_id: str
    secret: bytes
    created_at: datetime

    @classmethod
    def new(cls, customer_id: str, now: datetime | None = None) -> CustomerKey:
        return cls(
            key_id=uuid.uuid4().hex,
            customer_id=customer_id,
            secret=os.urandom(_KEY_BYTES),  # what AESGCM.generate_key(256) does, minus checks
            created_at=now or datetime.now(UTC),
        )

    def __repr__(self) -> str:
        return f"CustomerKey(key_id={self.key_id!r}, customer_id={self.customer_id!r})"


class KeyStore(Protocol):
    """Where keys are kept: insert, fetch, destroy. Implementations are thread-safe."""

    def insert(self, keys: Sequence[CustomerKey]) -> None:
        """Store new keys durably (committed when this returns)."""

    def fetch(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        """The keys that still exist among ``key_ids``."""
        ...

    def destroy(self, customer_id: str) -> int:
        """Delete every key of the customer; returns how many there were."""
        ...

    def all_keys(self) -> list[CustomerKey]:
        """Every stored key, secrets as stored (for re-wrapping)."""
        ...

    def replace(self, keys: Sequence[CustomerKey]) -> None:
        """Store new secrets for existing keys (same ids), in one transaction."""

    def close(self) -> None: ...


class MemoryKeyStore:
    """Keys in a dict, for the in-memory store: they live and die with the process."""

    def __init__(self) -> None:
        self._keys: dict[str, CustomerKey] = {}
        self._lock = threading.Lock()

    def insert(self, keys: Sequence[CustomerKey]) -> None:
        with self._lock:
            for key in keys:
                self._keys.setdefault(key.key_id, key)

    def fetch(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        with self._lock:
            return {k: self._keys[k] for k in key_ids if k in self._keys}

    def destroy(self, customer_id: str) -> int:
        with self._lock:
            doomed = [k for k, key in self._keys.items() if key.customer_id == customer_id]
            for key_id in doomed:
                del self._keys[key_id]
            return len(doomed)

    def all_keys(self) -> list[CustomerKey]:
        with self._lock:
            return list(self._keys.values())

    def replace(self, keys: Sequence[CustomerKey]) -> None:
        with self._lock:
            for key in keys:
                if key.key_id in self._keys:
                    self._keys[key.key_id] = key

    def close(self) -> None:
        pass


class SQLiteKeyStore:
    """Keys in the ``complaintlog_personal_keys`` table of the events' SQLite file.

    Its own connection sets ``PRAGMA secure_delete=ON``, so a deleted key's bytes are
    overwritten with zeros in the database pages; after an erasure it also asks for a
    ``wal_checkpoint(TRUNCATE)`` so the write-ahead log does not keep old pages. See
    docs/security.md for what that does and does not remove.
    """

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        try:
            self._conn.execute("PRAGMA secure_delete=ON")
            mode = self._conn.execute("PRAGMA journal_mode").fetchone()
            if mode is not None and str(mode[0]).lower() == "wal":
                # Key writes need not sync on their own: they and the events share one
                # write-ahead log, replayed in order up to its last intact commit, so the
                # events' commit (synchronous=FULL on eventsourcing's connection) makes
                # every key written before it durable too, and no event outlives its key.
                self._conn.execute("PRAGMA synchronous=NORMAL")
                # and leave checkpoints to the event store's checkpointer, which the
                # events' commit after every key write wakes (complaintlog.persistence.checkpointer)
                self._conn.execute("PRAGMA wal_autocheckpoint=0")
            self._conn.execute(_SQLITE_CREATE)
            self._conn.execute(_SQLITE_INDEX)
        except sqlite3.Error:
            self._conn.close()
            raise

    @contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        """The file locked past the timeout, or gone: the store is unavailable."""
        try:
            yield
        except sqlite3.OperationalError as error:
            raise StoreUnavailableError(f"sqlite:///{self._path}", operation, error) from error

    def insert(self, keys: Sequence[CustomerKey]) -> None:
        rows = [(k.key_id, k.customer_id, k.secret, k.created_at.isoformat()) for k in keys]
        with self._lock, self._errors("store personal-data keys"):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(_SQLITE_INSERT, rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def fetch(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        with self._lock, self._errors("read personal-data keys"):
            rows = self._conn.execute(_SQLITE_SELECT, (json.dumps(list(key_ids)),)).fetchall()
        return {
            key_id: CustomerKey(
                key_id, customer_id, bytes(secret), datetime.fromisoformat(created_at)
            )
            for key_id, customer_id, secret, created_at in rows
        }

    def destroy(self, customer_id: str) -> int:
        with self._lock, self._errors("destroy personal-data keys"):
            cursor = self._conn.execute(_SQLITE_DELETE, (customer_id,))
            count = cursor.rowcount
            self._empty_the_log()
        return count

    def _empty_the_log(self) -> None:
        """Copy the write-ahead log into the file and truncate it, so no old page keeps a key.

        A checkpoint that meets another one under way (the event store's checkpointer thread)
        or a reader still using old frames answers "busy" instead of waiting: try again for
        a while rather than leave the shredded key's old page in the log.
        """
        deadline = time.monotonic() + _TRUNCATE_PATIENCE
        while True:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy or time.monotonic() > deadline:
                return
            time.sleep(0.01)

    def all_keys(self) -> list[CustomerKey]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key_id, customer_id, secret, created_at FROM complaintlog_personal_keys"
            ).fetchall()
        return [CustomerKey(k, c, bytes(s), datetime.fromisoformat(t)) for k, c, s, t in rows]

    def replace(self, keys: Sequence[CustomerKey]) -> None:
        rows = [(k.secret, k.key_id) for k in keys]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "UPDATE complaintlog_personal_keys SET secret = ? WHERE key_id = ?", rows
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # old secrets

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@attrs.frozen
class PostgresKeySql:
    """The key table's statements in one schema (the role's default when ``None``)."""

    insert: Any
    select: Any
    delete: Any
    all: Any
    update: Any
    create: list[Any]

    @classmethod
    def for_schema(cls, schema: str | None) -> PostgresKeySql:
        from psycopg import sql

        table = sql.Identifier(schema, KEY_TABLE) if schema else sql.Identifier(KEY_TABLE)
        return cls(
            insert=sql.SQL(
                "INSERT INTO {} (key_id, customer_id, secret, created_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (key_id) DO NOTHING"
            ).format(table),
            select=sql.SQL(
                "SELECT key_id, customer_id, secret, created_at FROM {} WHERE key_id = ANY(%s)"
            ).format(table),
            delete=sql.SQL("DELETE FROM {} WHERE customer_id = %s").format(table),
            all=sql.SQL("SELECT key_id, customer_id, secret, created_at FROM {}").format(table),
            update=sql.SQL("UPDATE {} SET secret = %s WHERE key_id = %s").format(table),
            create=[
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (key_id text PRIMARY KEY, "
                    "customer_id text NOT NULL, secret bytea NOT NULL, "
                    "created_at timestamptz NOT NULL)"
                ).format(table),
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (customer_id)").format(
                    sql.Identifier(f"{KEY_TABLE}_by_customer"), table
                ),
            ],
        )


class PostgresKeyStore:
    """Keys in ``complaintlog_personal_keys`` in the events' PostgreSQL schema (psycopg 3).

    Connections are borrowed from the process's shared pool
    (:mod:`complaintlog.persistence.pools`) one operation at a time. A dropped connection
    is retried like an event write (10 attempts, 0.2 s apart, on fresh connections), then
    reported as :class:`~complaintlog.errors.StoreUnavailableError`.
    """

    ATTEMPTS = 10
    WAIT = 0.2

    def __init__(self, env: Mapping[str, str], store: str = "postgresql") -> None:
        import psycopg

        self._psycopg = psycopg
        self._pool = pool_for(env)
        self._store = store
        statements = PostgresKeySql.for_schema(env.get("POSTGRES_SCHEMA") or "public")
        self._insert = statements.insert
        self._select = statements.select
        self._delete = statements.delete
        self._create = statements.create
        self._all = statements.all
        self._update = statements.update

        def create(conn: Any) -> None:
            with conn.transaction():
                # one creator at a time: concurrent CREATE ... IF NOT EXISTS can still collide
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x636C6B6579,))
                for statement in self._create:
                    conn.execute(statement)

        self._run(create, "create the key table")

    def _run(self, work: Callable[[Any], Any], operation: str) -> Any:
        """Run ``work(connection)`` on a borrowed connection, retrying a lost connection."""
        for attempt in range(self.ATTEMPTS):
            try:
                with self._pool.connection() as conn:
                    return work(conn)
            except (self._psycopg.OperationalError, self._psycopg.InterfaceError) as error:
                if attempt + 1 == self.ATTEMPTS:
                    raise StoreUnavailableError(self._store, operation, error) from error
                time.sleep(self.WAIT)
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def insert(self, keys: Sequence[CustomerKey]) -> None:
        rows = [(k.key_id, k.customer_id, k.secret, k.created_at) for k in keys]

        def work(conn: Any) -> None:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(self._insert, rows)

        self._run(work, "store personal-data keys")

    def fetch(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        ids = list(key_ids)

        def work(conn: Any) -> list[tuple[Any, ...]]:
            from psycopg.rows import tuple_row

            with conn.cursor(row_factory=tuple_row) as cursor:
                return list(cursor.execute(self._select, (ids,)).fetchall())

        rows = self._run(work, "read personal-data keys")
        return {row[0]: CustomerKey(row[0], row[1], bytes(row[2]), row[3]) for row in rows}

    def destroy(self, customer_id: str) -> int:
        def work(conn: Any) -> int:
            return int(conn.execute(self._delete, (customer_id,)).rowcount)

        return int(self._run(work, "destroy personal-data keys"))

    def all_keys(self) -> list[CustomerKey]:
        def work(conn: Any) -> list[tuple[Any, ...]]:
            from psycopg.rows import tuple_row

            with conn.cursor(row_factory=tuple_row) as cursor:
                return list(cursor.execute(self._all).fetchall())

        rows = self._run(work, "read personal-data keys")
        return [CustomerKey(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def replace(self, keys: Sequence[CustomerKey]) -> None:
        rows = [(k.secret, k.key_id) for k in keys]

        def work(conn: Any) -> None:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(self._update, rows)

        self._run(work, "re-wrap personal-data keys")

    def close(self) -> None:
        """Nothing to close: the connections are the pool's."""


class LazyKeyStore:
    """Opens the real key store on first use: a log that never meets personal data never
    opens a second connection or creates the key table."""

    def __init__(self, open_store: Callable[[], KeyStore]) -> None:
        self._open_store = open_store
        self._store: KeyStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> KeyStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = self._open_store()
        return self._store

    def insert(self, keys: Sequence[CustomerKey]) -> None:
        self.store.insert(keys)

    def fetch(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        return self.store.fetch(key_ids)

    def destroy(self, customer_id: str) -> int:
        return self.store.destroy(customer_id)

    def all_keys(self) -> list[CustomerKey]:
        return self.store.all_keys()

    def replace(self, keys: Sequence[CustomerKey]) -> None:
        self.store.replace(keys)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def key_store_for(settings: StoreSettings, env: Mapping[str, str]) -> KeyStore:
    """The key store that goes with the events' store (opened on first use); the
    application wraps it (``complaintlog.persistence.key_wrapping.wrapped_key_store``)."""
    path = settings.sqlite_path
    store: KeyStore
    if settings.kind == "sqlite" and path is not None:
        store = LazyKeyStore(lambda: SQLiteKeyStore(path))
    elif settings.kind == "postgres":
        frozen = dict(env)
        store = LazyKeyStore(lambda: PostgresKeyStore(frozen, settings.redacted_url))
    else:
        store = MemoryKeyStore()
    return store

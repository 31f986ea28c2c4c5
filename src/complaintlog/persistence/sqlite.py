"""The SQLite event store as complaintlog opens it: eventsourcing's, with three changes.

* **A batch is one ``executemany``.** eventsourcing's ``SQLiteApplicationRecorder`` inserts
  a batch row by row, one ``execute`` each, to collect every row's id from ``lastrowid``.
  Within the write transaction the ids are known anyway: the table's rowids are its
  notification ids, and a batch appended to it takes the ids after the largest one, in
  order. One ``executemany`` and one ``MAX(rowid)`` return the same ids.
* **A 64 MiB page cache per connection** instead of SQLite's default 2 MB. Events are keyed
  by random complaint ids, so every insert and every read of one complaint walks the
  primary key index from its root; past a few hundred thousand events even that index's
  interior pages no longer fit the default cache and each insert rereads them from the
  operating system. Pages are only allocated as they are used.
* **Checkpoints in a thread of their own** (:mod:`complaintlog.persistence.checkpointer`): the
  connections never checkpoint the write-ahead log on commit; a save wakes the store's
  checkpointer instead, so a bulk import's batches do not wait for the copying.

``stored_originators`` says which of many complaints are stored, in one query (for a
group's idempotency keys, :meth:`complaintlog.application.batch.Batch.look_up_keys`).

Durability is eventsourcing's: write-ahead log, ``synchronous=FULL``, one transaction per
save.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType

from complaintlog.persistence.checkpointer import Checkpointer
from complaintlog.persistence.customer_index import (
    BACKFILLED,
    SQLITE_CREATE,
    SQLITE_INSERT,
    SQLITE_SELECT,
    rows_of,
)

__all__ = ["BatchSQLiteRecorder", "SQLiteStoreFactory"]

PAGE_CACHE_KIB = 65_536
_IDS_PER_QUERY = 500
"""Below SQLite's limit on a statement's parameters (999 before 3.32)."""


class BatchSQLiteRecorder(SQLiteApplicationRecorder):
    """Inserts a batch of stored events in one statement, returning their notification ids."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super().insert_events(stored_events, **kwargs)
        pool = self.datastore.pool
        if isinstance(pool, _StoreConnectionPool):
            pool.committed()
        return ids

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), SQLITE_CREATE]

    def complaints_of_customer(self, customer_id: str) -> list[UUID] | None:
        """The customer's complaints from the index (``None``: not indexed yet)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(SQLITE_SELECT, (BACKFILLED[0],))
            if not c.fetchall():
                return None
            c.execute(SQLITE_SELECT, (customer_id,))
            return [UUID(row[0]) for row in c.fetchall()]

    def index_customers(self, customers: Sequence[tuple[str, UUID]], *, done: bool) -> None:
        """Index complaints written before the index existed (``done``: all of them)."""
        rows = rows_of(customers) + ([BACKFILLED] if done else [])
        with self.datastore.transaction(commit=True) as c:
            c.executemany(SQLITE_INSERT, rows)

    def stored_originators(self, originator_ids: Collection[UUID]) -> set[UUID]:
        """Which of these originators have events: one query per 500 of them."""
        wanted = [i.hex for i in originator_ids]
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                part = wanted[start : start + _IDS_PER_QUERY]
                marks = ",".join("?" * len(part))
                c.execute(
                    f"SELECT DISTINCT originator_id FROM {self.events_table_name} "  # noqa: S608
                    f"WHERE originator_id IN ({marks})",
                    part,
                )
                found.update(UUID(row[0]) for row in c.fetchall())
        return found

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        customers: Sequence[tuple[str, UUID]] = (),
        **_: Any,
    ) -> Sequence[int] | None:
        hexes: dict[Any, str] = {}  # a batch holds each complaint's events together
        rows = []
        for s in stored_events:
            originator = s.originator_id
            text = hexes.get(originator)
            if text is None:
                text = hexes[originator] = (
                    originator.hex if isinstance(originator, UUID) else originator
                )
            rows.append((text, s.originator_version, s.topic, s.state))
        c.executemany(self.insert_events_statement, rows)
        c.execute(self.select_max_notification_id_statement)
        last = int(c.fetchone()[0] or 0)
        if customers:
            c.executemany(SQLITE_INSERT, rows_of(customers))
        return list(range(last - len(rows) + 1, last + 1))


class _StoreConnectionPool(SQLiteConnectionPool):
    """eventsourcing's pool; its connections have a larger page cache and leave checkpoints
    of a file's write-ahead log to the pool's checkpointer."""

    _checkpointer: Checkpointer | None = None

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection._sqlite_conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        if not self.is_sqlite_memory_mode:
            connection._sqlite_conn.execute("PRAGMA wal_autocheckpoint=0")
        return connection

    def committed(self) -> None:
        """Wake the checkpointer (started by the first commit: readers need none)."""
        if self.is_sqlite_memory_mode:
            return
        if self._checkpointer is None:
            self._checkpointer = Checkpointer(self.db_name)
        self._checkpointer.wake()

    def close(self) -> None:
        super().close()
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None


class SQLiteStoreFactory(SQLiteFactory):
    """eventsourcing's SQLite factory with the recorder and pool above."""

    application_recorder_class = BatchSQLiteRecorder

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        default = self.datastore.pool
        self.datastore.pool = _StoreConnectionPool(
            db_name=default.db_name, lock_timeout=default.lock_timeout
        )
        default.close()

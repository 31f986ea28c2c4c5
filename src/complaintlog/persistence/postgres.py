"""The PostgreSQL event recorder complaintlog uses: eventsourcing's, writing a small batch
in one round trip and a big one with ``COPY``.

eventsourcing's ``PostgresApplicationRecorder`` inserts a batch as one array of a
composite type (``unnest(%s::stored_event_type[])``). psycopg dumps composites in pure
Python, escaping every byte of every event's state as text: half of a bulk import's time
went there. This recorder keeps everything else of eventsourcing's protocol (the same
table, the ``EXCLUSIVE`` table lock that makes notification ids follow commit order, the
``NOTIFY``, one transaction per batch, the retries) and sends the rows in one of two ways:

* **Up to** :data:`PIPELINED_MOST` **events** (a command's, a group of HTTP requests'): one
  array per column (``unnest(%s::uuid[], %s::int8[], %s::text[], %s::bytea[])``, states
  sent as binary) in an ``INSERT ... RETURNING`` the ids, with ``BEGIN``, the lock, the
  ``NOTIFY`` and ``COMMIT`` in psycopg's pipeline mode: one round trip where there were
  about ten (``COPY`` takes two). Each round trip is a wait for the database, which
  shares the machine with the application: the waits were half of the time of a
  ``receive`` over HTTP in py-spy's samples.
* **More** (bulk imports): a binary ``COPY``. Under the lock no other transaction inserts,
  so the rows numbered after the largest id seen before the copy are exactly this
  batch's, in order. The lock, ``NOTIFY`` and the largest id go as one simple query, the
  customer index rows and the new ids as one statement.

It also says which of many complaints are stored, in one query (``stored_originators``,
for a group's idempotency keys).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import suppress
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType, retry
from psycopg.pq import TransactionStatus
from psycopg.sql import SQL, Identifier

from complaintlog.persistence.customer_index import BACKFILLED, PostgresCustomerSql, rows_of
from complaintlog.persistence.pools import pool_for

__all__ = ["PIPELINED_MOST", "CopyingPostgresRecorder", "PostgresStoreFactory"]

PIPELINED_MOST = 64
"""The most events a save inserts with ``INSERT`` in pipeline mode; more go by ``COPY``."""
_BEGIN = SQL("BEGIN")
_COMMIT = SQL("COMMIT")
_IDLE = TransactionStatus.IDLE


class PostgresStoreFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory, borrowing from the process's shared pool (or the
    application's, :mod:`complaintlog.persistence.pools`) instead of a pool of its own."""

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        own = self.datastore.pool
        self.datastore.pool = pool_for(self.env)  # type: ignore[assignment]
        own.close()


class CopyingPostgresRecorder(PostgresApplicationRecorder):
    """Inserts a batch of stored events with one binary ``COPY``; returns their ids."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        table = (Identifier(self.datastore.schema), Identifier(self.events_table_name))
        self.copy_statement = SQL(
            "COPY {}.{} (originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        ).format(*table)
        self.ids_after_statement = SQL(
            "SELECT notification_id FROM {}.{} WHERE notification_id > %s ORDER BY notification_id"
        ).format(*table)
        self.copy_types = [self.datastore.originator_id_type, "int8", "text", "bytea"]
        self.notify_statement = SQL("NOTIFY {}").format(Identifier(self.channel_name))
        self.customers = PostgresCustomerSql(self.datastore.schema)
        # Before the copy, one round trip: eventsourcing's lock statements, the NOTIFY and
        # the largest id, sent as one simple query (no parameters), whose last result is
        # the largest id. After it, one more: the customer index rows and the new ids.
        self.before_copy_statement = SQL("; ").join(
            [
                *self.lock_table_statements,
                self.notify_statement,
                self.max_notification_id_statement,
            ]
        )
        self.after_copy_statement = SQL("WITH indexed AS ({}) {}").format(
            self.customers.insert, self.ids_after_statement
        )
        """The statements of an insert, shared with the async store
        (:mod:`complaintlog.persistence.async_postgres`)."""
        id_type = SQL(self.datastore.originator_id_type)
        self.insert_returning_statement = SQL(
            "WITH indexed AS ({}) INSERT INTO {}.{} "
            "(originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::{}[], %s::int8[], %s::text[], %s::bytea[]) "
            "RETURNING originator_id, originator_version, notification_id"
        ).format(self.customers.insert, *table, id_type)
        self.stored_statement = SQL(
            "SELECT DISTINCT originator_id FROM {}.{} WHERE originator_id = ANY(%s)"
        ).format(*table)
        self.sql_create_statements.append(self.customers.create)

    def complaints_of_customer(self, customer_id: str) -> list[UUID] | None:
        """The customer's complaints from the index (``None``: not indexed yet)."""
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(self.customers.select, (BACKFILLED[0],))
            if not cursor.fetchall():
                return None
            cursor.execute(self.customers.select, (customer_id,))
            return [UUID(row["complaint_id"]) for row in cursor.fetchall()]

    def index_customers(self, customers: Sequence[tuple[str, UUID]], *, done: bool) -> None:
        """Index complaints written before the index existed (``done``: all of them)."""
        rows = rows_of(customers) + ([BACKFILLED] if done else [])
        with self.datastore.transaction(commit=True) as cursor:
            self.customers.write(cursor, rows)

    def stored_originators(self, originator_ids: Collection[UUID]) -> set[UUID]:
        """Which of these originators have events: one query for all of them."""
        as_text = self.datastore.originator_id_type != "uuid"
        wanted = [str(i) if as_text else i for i in originator_ids]
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(self.stored_statement, (wanted,))
            return {UUID(str(row["originator_id"])) for row in cursor.fetchall()}

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        customers = kwargs.get("customers", ())
        with self.datastore.get_connection() as connection:
            if len(stored_events) <= PIPELINED_MOST and connection.autocommit:
                return self._insert_pipelined(connection, stored_events, customers)
            with connection.transaction(), connection.cursor() as cursor:
                return self.copy_events(cursor, stored_events, customers)

    def _insert_pipelined(
        self,
        connection: Any,
        stored_events: Sequence[StoredEvent],
        customers: Sequence[tuple[str, UUID]],
    ) -> list[int]:
        """``BEGIN``, lock, notify, insert returning the ids, ``COMMIT``: sent at once in
        psycopg's pipeline mode, one round trip. The connection is in autocommit mode, so
        the transaction is spelled out, and rolled back if anything in it failed."""
        columns: tuple[list[Any], list[int], list[str], list[bytes]] = ([], [], [], [])
        for event in stored_events:
            columns[0].append(event.originator_id)
            columns[1].append(event.originator_version)
            columns[2].append(event.topic)
            columns[3].append(event.state)
        try:
            with connection.cursor() as cursor, connection.cursor() as inserting:
                with connection.pipeline():
                    cursor.execute(_BEGIN)
                    for statement in self.lock_table_statements:
                        cursor.execute(statement)
                    cursor.execute(self.notify_statement)
                    inserting.execute(
                        self.insert_returning_statement,
                        (*self.customers.parameters(rows_of(customers)), *columns),
                    )
                    cursor.execute(_COMMIT)
                rows = inserting.fetchall()
        except BaseException:
            if not connection.closed and connection.info.transaction_status != _IDLE:
                with suppress(psycopg.Error):  # the first error is the one to raise
                    connection.rollback()
            raise
        numbered = {
            (str(row["originator_id"]), int(row["originator_version"])): int(row["notification_id"])
            for row in rows
        }
        if len(numbered) != len(stored_events):  # pragma: no cover - only if the insert failed us
            msg = f"{len(stored_events)} events inserted, {len(numbered)} notification ids"
            raise OperationalError(msg)
        return [numbered[str(e.originator_id), e.originator_version] for e in stored_events]

    def copy_events(
        self,
        cursor: Any,
        stored_events: Sequence[StoredEvent],
        customers: Sequence[tuple[str, UUID]] = (),
    ) -> list[int]:
        """Lock, notify, copy and number the events inside the cursor's open transaction
        (ours, or a caller's: :mod:`complaintlog.persistence.bound`). Rows are dicts."""
        cursor.execute(self.before_copy_statement)
        while cursor.nextset():  # to the last statement's result
            pass
        found = cursor.fetchone()
        before = int(found["max"] or 0) if found is not None else 0
        with cursor.copy(self.copy_statement) as copy:
            copy.set_types(self.copy_types)
            for event in stored_events:
                copy.write_row(
                    (event.originator_id, event.originator_version, event.topic, event.state)
                )
        cursor.execute(
            self.after_copy_statement,
            (*self.customers.parameters(rows_of(customers)), before),
        )
        ids = [int(row["notification_id"]) for row in cursor.fetchall()]
        if len(ids) != len(stored_events):  # pragma: no cover - only if the lock failed us
            msg = f"{len(stored_events)} events copied, {len(ids)} notification ids found"
            raise OperationalError(msg)
        return ids

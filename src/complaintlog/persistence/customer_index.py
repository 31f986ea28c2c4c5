"""Which complaints each customer has: a table written with the events, for erasure.

``erase_personal_data`` must find every complaint of a customer. Reading every ``Received``
event of the log took about a second per 50,000 complaints; this table answers with one
index lookup. Its rows are written by the recorders in the same transaction as the
``Received`` event they describe, so the table never lists a complaint that is not stored
nor misses one that is. A store written before the table existed is indexed once, when a
log opens it (or at ``complaintlog migrate``); a marker row says that was done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

__all__ = [
    "BACKFILLED",
    "CUSTOMER_TABLE",
    "SQLITE_CREATE",
    "SQLITE_INSERT",
    "SQLITE_SELECT",
    "PostgresCustomerSql",
    "rows_of",
]

CUSTOMER_TABLE = "complaintlog_customer_complaints"
BACKFILLED = ("", "0" * 32)
"""The marker row: the store's earlier complaints are indexed."""

SQLITE_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {CUSTOMER_TABLE} (customer_id TEXT NOT NULL, "
    "complaint_id TEXT NOT NULL, PRIMARY KEY (customer_id, complaint_id)) WITHOUT ROWID"
)
SQLITE_INSERT = (
    "INSERT OR IGNORE INTO complaintlog_customer_complaints (customer_id, complaint_id) "
    "VALUES (?, ?)"
)
SQLITE_SELECT = "SELECT complaint_id FROM complaintlog_customer_complaints WHERE customer_id = ?"


def rows_of(customers: Iterable[tuple[str, UUID]]) -> list[tuple[str, str]]:
    """Rows for ``(customer id, complaint id)`` pairs."""
    return [(customer, complaint.hex) for customer, complaint in customers]


class PostgresCustomerSql:
    """The table's statements in one schema."""

    def __init__(self, schema: str) -> None:
        from psycopg import sql

        table = sql.Identifier(schema, CUSTOMER_TABLE)
        self.create = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (customer_id text NOT NULL, "
            "complaint_id text NOT NULL, PRIMARY KEY (customer_id, complaint_id))"
        ).format(table)
        # one statement for a whole batch's rows: executemany sent one INSERT per row, 15%
        # of a bulk import's time on PostgreSQL
        self.insert = sql.SQL(
            "INSERT INTO {} (customer_id, complaint_id) "
            "SELECT * FROM unnest(%s::text[], %s::text[]) ON CONFLICT DO NOTHING"
        ).format(table)
        self.select = sql.SQL("SELECT complaint_id FROM {} WHERE customer_id = %s").format(table)

    @staticmethod
    def parameters(rows: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
        """The insert's parameters for ``rows`` (shared with the async store)."""
        return [row[0] for row in rows], [row[1] for row in rows]

    def write(self, cursor: Any, rows: Sequence[tuple[str, str]]) -> None:
        if rows:
            cursor.execute(self.insert, self.parameters(rows))

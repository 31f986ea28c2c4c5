"""Where one stored event sits in the log, for error messages that name its position."""

from __future__ import annotations

from typing import Any
from uuid import UUID

__all__ = ["position_of"]


def position_of(recorder: Any, originator_id: UUID | str, version: int) -> int | None:
    """The notification id of ``originator_id`` v``version``, or ``None`` when the store
    cannot say (memory, or a read that fails: this only decorates an error)."""
    originator = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    if datastore is None or table is None:
        return None
    try:
        schema = getattr(datastore, "schema", None)
        with datastore.transaction(commit=False) as cursor:
            if schema is None:  # SQLite: the position is the rowid
                cursor.execute(
                    f"SELECT rowid FROM {table} "  # noqa: S608  # eventsourcing's table name
                    "WHERE originator_id = ? AND originator_version = ?",
                    (originator.hex, version),
                )
                row = cursor.fetchone()
                return int(row[0]) if row else None
            from psycopg import sql

            statement = sql.SQL(
                "SELECT notification_id FROM {}.{} WHERE originator_id = %s "
                "AND originator_version = %s"
            ).format(sql.Identifier(schema), sql.Identifier(table))
            cursor.execute(statement, (originator, version))
            found = cursor.fetchone()
            if not found:
                return None
            value = found["notification_id"] if isinstance(found, dict) else found[0]
            return int(value)
    except Exception:  # only decorating an error already being raised
        return None

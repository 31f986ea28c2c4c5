"""Where each relay stands in the log, kept in the log's own store.

One row per relay name in ``complaintlog_relay_positions``, in the same database (SQLite
file or PostgreSQL schema) as the events, so a relay restarted anywhere resumes where the
last one stopped. The row moves only after the broker confirmed every message up to it.
"""

from __future__ import annotations

from complaintlog.application import ComplaintLog
from complaintlog.projections._store import ViewStore, compose, open_view_store

__all__ = ["POSITIONS_TABLE", "RelayPositions"]

POSITIONS_TABLE = "complaintlog_relay_positions"


class RelayPositions:
    """Read and advance relays' positions."""

    def __init__(self, log: ComplaintLog) -> None:
        settings = log.settings
        self._store: ViewStore = open_view_store(settings.kind, settings.env, settings.sqlite_path)
        with self._store.transaction() as tx:
            tx.execute(
                compose(
                    "CREATE TABLE IF NOT EXISTS {table} ("
                    "relay TEXT PRIMARY KEY, position BIGINT NOT NULL)",
                    table=POSITIONS_TABLE,
                )
            )

    def get(self, relay: str) -> int:
        """The position of the last event the broker confirmed for ``relay`` (0: none)."""
        rows = self._store.query(
            compose("SELECT position FROM {table} WHERE relay = ?", table=POSITIONS_TABLE),
            (relay,),
        )
        return int(rows[0][0]) if rows else 0

    def all(self) -> dict[str, int]:
        rows = self._store.query(
            compose("SELECT relay, position FROM {table} ORDER BY relay", table=POSITIONS_TABLE)
        )
        return {str(name): int(position) for name, position in rows}

    def save(self, relay: str, position: int) -> None:
        """Move ``relay`` to ``position`` (never backwards)."""
        with self._store.transaction() as tx:
            updated = tx.execute(
                compose(
                    "UPDATE {table} SET position = ? WHERE relay = ? AND position < ?",
                    table=POSITIONS_TABLE,
                ),
                (position, relay, position),
            )
            if not updated:
                tx.execute(
                    compose(
                        "INSERT INTO {table} (relay, position) VALUES (?, ?) "
                        "ON CONFLICT (relay) DO NOTHING",
                        table=POSITIONS_TABLE,
                    ),
                    (relay, position),
                )

    def close(self) -> None:
        self._store.close()

"""Helpers for the fault tests: what a store holds, compared across stores and crashes.

Two stores that imported the same file hold different complaint ids and recording times,
so they are compared by external reference, with each event's recording time (and the
chain digest over it) left out. Everything else must match exactly.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import attrs

from complaintlog import ComplaintLog
from complaintlog.projections import Projections
from complaintlog.projections._store import SqliteViewStore, ViewStore

COMPLAINT_TOPIC = "complaintlog.domain.complaint:Complaint."
INDEX_TOPIC = "complaintlog.domain.external_reference:ExternalReference."
RECORDING = frozenset({"timestamp", "chain"})
"""When an event was recorded, and the chain digest that covers it: differ between stores."""

VIEW_TABLES = (
    "complaintlog_current_state",
    "complaintlog_sla_cases",
    "complaintlog_sla_clocks",
    "complaintlog_statistics",
)


@attrs.frozen
class Contents:
    """A store's complaints by external reference, and its index registrations."""

    streams: dict[str, tuple[tuple[int, str, str], ...]]
    """ref -> (version, event, state without recording time) for every event, in order."""
    registered: Counter[str]
    """ref -> how many index events registered it (1 for every stored complaint)."""
    gaps: tuple[str, ...]
    """Streams whose versions are not 1..n in recording order."""
    other_topics: Counter[str]
    """Stored records that are neither complaint nor index events (none expected)."""


def contents(log: ComplaintLog) -> Contents:
    events: dict[object, list[tuple[int, str, str]]] = defaultdict(list)
    refs: dict[object, str] = {}
    registered: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for notification in log.notifications():
        state = log.event_state(notification)
        originator = notification.originator_id
        if notification.topic.startswith(INDEX_TOPIC):
            registered[state["external_ref"]] += 1
            events[originator].append((notification.originator_version, "index", ""))
            continue
        if not notification.topic.startswith(COMPLAINT_TOPIC):
            other[notification.topic] += 1
            continue
        name = notification.topic.removeprefix(COMPLAINT_TOPIC)
        if name == "Received":
            refs[originator] = state["external_ref"] or str(originator)
        kept = {key: value for key, value in state.items() if key not in RECORDING}
        events[originator].append(
            (notification.originator_version, name, json.dumps(kept, sort_keys=True))
        )
    gaps = tuple(
        str(originator)
        for originator, stream in events.items()
        if [version for version, _, _ in stream] != list(range(1, len(stream) + 1))
    )
    streams = {
        refs.get(originator, f"<no Received: {originator}>"): tuple(stream)
        for originator, stream in events.items()
        if stream[0][1] != "index"
    }
    return Contents(streams, registered, gaps, other)


def view_rows(store: ViewStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every view table, sorted: two equal dumps are two equal views."""
    return {
        table: sorted((tuple(row) for row in store.query(f"SELECT * FROM {table}")), key=repr)
        for table in VIEW_TABLES
    }


def clean_rebuild(log: ComplaintLog) -> dict[str, list[tuple[Any, ...]]]:
    """The views replayed from scratch into a throwaway in-memory store."""
    store = SqliteViewStore(":memory:")
    try:
        with Projections(log, store=store) as fresh:
            fresh.catch_up()
            return view_rows(store)
    finally:
        store.close()


def sqlite_max_position(path: Path) -> int:
    """The last notification id in a SQLite store, read beside a running writer."""
    if not path.exists():
        return 0
    connection = sqlite3.connect(path, timeout=30)
    try:
        row = connection.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
    except sqlite3.OperationalError:  # the writer has not created the table yet
        return 0
    finally:
        connection.close()
    return int(row[0] or 0)

"""A lean projection runner: follow the notification log, write view and position together.

Why not eventsourcing's ``ProjectionRunner``: it needs ``subscribe()``, which the SQLite
recorder does not have, and it hands over one rebuilt domain event at a time. Complaint views
must be rebuilt fast (100k+ events per second for the three projections together on SQLite),
so this runner instead

* polls the log in pages (``catch_up()``), on every store alike;
* reads each page once for all projections, and decodes only the stored JSON: no
  aggregates, no pydantic validation. On SQLite the page is read with our own ``sqlite3``
  connection from eventsourcing's ``stored_events`` table (its notification id is the
  ``rowid``, as in ``SQLiteApplicationRecorder.select_notifications``), which is three
  times faster than building ``Notification`` objects; other stores use
  ``log.recorder.select_notifications``;
* lets each projection apply the page to per-complaint state held in a cache, then writes
  the changed rows of every projection with ``executemany`` *and* each projection's
  tracking position in ONE transaction. The position is advanced with a compare-and-set
  (``UPDATE ... WHERE position = <the position the batch started from>``): a crash before
  the commit loses the whole batch and it is processed again; a crash after it loses
  nothing; a second runner racing on the same view makes one of them fail the compare and
  roll back (:class:`ProjectionConflictError`). Either way no event is lost or counted
  twice. Every event advances the position, also the ones a projection ignores (other
  aggregates' events such as ``ExternalReference.Registered``).

The per-complaint cache is only ever a copy of committed rows plus the batch in progress;
any failure discards it, and the next batch reloads what it needs from the tables.

A full ``rebuild()`` on SQLite does not replay the log in log order. Every view here is a
fold per complaint, so the runner reads the log *complaint by complaint* (eventsourcing's
primary key index on ``(originator_id, originator_version)``, up to the last position at
the start) and writes each complaint's rows once, when all its events are folded, in
complaint id order. In log order, the rows of a complaint are written again in every batch
that holds one of its events, into random places of the tables' primary key indexes, and
the cache has to hold every complaint still active; at a million complaints that rewrote
most index pages at every commit. In id order, every index grows at its end, the cache
holds one page of complaints, and memory stays flat whatever the log's size. While it
runs, the views' positions are -1 (a catch-up elsewhere refuses to touch them); the last
transaction builds the secondary indexes and sets the positions to where it stopped, and a
normal catch-up follows for what was recorded meanwhile. A rebuild that dies leaves a
marker that the next runner to open the views sees: it starts them again from scratch.

Python's cyclic garbage collector is paused while a page is processed: the pages and
states are plain dicts, lists, tuples and slotted objects without cycles (reference
counting frees them), and each collection would walk every cached state for nothing.
"""

from __future__ import annotations

import sqlite3
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from complaintlog.persistence.collector import collector_paused
from complaintlog.projections._store import (
    TRACKING_TABLE,
    ProjectionConflictError,
    Row,
    Transaction,
    ViewStore,
    compose,
    postgres_connection,
)

if TYPE_CHECKING:
    from complaintlog.application import ComplaintLog

__all__ = [
    "COMPLAINT_TOPIC_PREFIX",
    "EPOCH",
    "Follower",
    "LogEvent",
    "LogReader",
    "Projection",
    "from_us",
    "parse_us",
    "recorded_by",
    "to_us",
]

COMPLAINT_TOPIC_PREFIX = "complaintlog.domain.complaint:Complaint."
_PREFIX_LENGTH = len(COMPLAINT_TOPIC_PREFIX)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
MAX_US = 2**63 - 1
"""Stands for "until further notice" in validity columns (``valid_until_us``)."""
_IN_CHUNK = 500
"""Ids per ``IN (...)`` list when loading state: well under every database's limit."""


def parse_us(text: str) -> int:
    """Microseconds since the epoch of an ISO 8601 time as the events store it."""
    return (datetime.fromisoformat(text) - EPOCH) // _US


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // _US


def from_us(value: int) -> datetime:
    """The UTC datetime of a microsecond count."""
    return EPOCH + timedelta(microseconds=value)


LogEvent = tuple[int, str, str, int, dict[str, Any]]
"""One notification, decoded once and shared by every projection, as a plain tuple (the
per-event path creates one for every event; a tuple costs a quarter of a NamedTuple):

``(position, complaint_id, kind, at, state)``: the notification id; the originator id as
32 hex digits (``UUID.hex``); the complaint event's class name (``"Received"``), empty for
other aggregates' events; business time (``occurred_at``) in microseconds, 0 for other
aggregates; the stored JSON state (``state["timestamp"]`` is the recording time).
"""


def _kind(topic: str) -> str:
    """The complaint event's class name of a topic; empty for other aggregates' events."""
    return topic[_PREFIX_LENGTH:] if topic.startswith(COMPLAINT_TOPIC_PREFIX) else ""


def _event(position: int, originator_id: str, topic: str, state: dict[str, Any]) -> LogEvent:
    kind = _kind(topic)
    if kind:
        return (position, originator_id, kind, parse_us(state["occurred_at"]), state)
    return (position, originator_id, "", 0, state)


def _hex(originator_id: object) -> str:
    """Complaint ids are kept as 32 hex digits, the way eventsourcing's SQLite stores them."""
    if isinstance(originator_id, UUID):
        return originator_id.hex
    text = str(originator_id)
    return text.replace("-", "") if len(text) != 32 else text


class LogReader:
    """Reads the ComplaintLog's notification log in pages, decoding the JSON once."""

    def __init__(self, log: ComplaintLog) -> None:
        self._log = log
        mapper = log.mapper
        self._plain = mapper.cipher is None and mapper.compressor is None
        self._kinds: dict[str, str] = {}
        """Each topic's event kind (:func:`_kind`): a few dozen topics, met once per event."""
        self._connection: sqlite3.Connection | None = None
        path = log.settings.sqlite_path
        if log.settings.kind == "sqlite" and path is not None:
            self._connection = sqlite3.connect(
                f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=30, isolation_level=None
            )
        self._postgres = log.settings.kind == "postgres"
        self._postgres_connection: Any = None  # opened by the first read by complaint

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._postgres_connection is not None:
            self._postgres_connection.close()
            self._postgres_connection = None

    def read(self, after: int, limit: int, stop: int | None = None) -> list[LogEvent]:
        """Up to ``limit`` events with positions after ``after`` (and up to ``stop``)."""
        if self._connection is not None:
            return self._read_sqlite(self._connection, after, limit, stop)
        page = self._recorder().select_notifications(after + 1, limit, stop=stop)
        decode = self._log.mapper.decode_stored_state
        return [_event(n.id, _hex(n.originator_id), n.topic, decode(n)) for n in page]

    def events_of(self, complaint_ids: Sequence[str]) -> list[LogEvent]:
        """Every event of these complaints, each complaint's in order (positions may be 0)."""
        if self._connection is not None:
            events: list[LogEvent] = []
            for chunk in chunks(complaint_ids):
                marks = ",".join("?" * len(chunk))
                rows = self._connection.execute(
                    compose(
                        "SELECT rowid, originator_id, originator_version, topic, "
                        "state FROM stored_events "
                        "WHERE originator_id IN ({marks}) ORDER BY rowid",
                        marks=marks,
                    ),
                    tuple(chunk),
                ).fetchall()
                events.extend(self._decode_rows(rows))
            return events
        recorder = self._recorder()
        decode = self._log.mapper.decode_stored_state
        return [
            _event(0, complaint_id, stored.topic, decode(stored))
            for complaint_id in complaint_ids
            for stored in recorder.select_events(UUID(complaint_id))
        ]

    @property
    def by_complaint(self) -> bool:
        """Whether :meth:`read_by_complaint` is available (a SQLite file or PostgreSQL)."""
        return self._connection is not None or self._postgres

    def read_by_complaint(
        self, after: str, limit: int, stop: int
    ) -> tuple[list[LogEvent], str] | None:
        """Every event, with a position up to ``stop``, of the aggregates whose ids come
        next after ``after`` in id order: about ``limit`` events of whole aggregates, each
        aggregate's in version order. Returns them and the last id, to pass on as
        ``after``; ``None`` past the last aggregate."""
        rows = self._rows_by_complaint(after, limit, stop)
        if not rows:
            return None
        last = rows[-1][1]
        if len(rows) == limit:
            # the page may end inside the last aggregate's events: leave it for the next page
            first_of_last = len(rows) - 1
            while first_of_last > 0 and rows[first_of_last - 1][1] == last:
                first_of_last -= 1
            if first_of_last > 0:
                del rows[first_of_last:]
                last = rows[-1][1]
            else:  # one aggregate with more events than a page: all of them
                rows = self._rows_of(last, stop)
        return self._decode_rows(rows), last

    def _rows_by_complaint(self, after: str, limit: int, stop: int) -> list[Row]:
        """``(position, id as 32 hex digits, version, topic, state)`` in id order."""
        if self._connection is not None:
            return self._connection.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                "WHERE originator_id > ? AND rowid <= ? "
                "ORDER BY originator_id, originator_version LIMIT ?",
                (after, stop, limit),
            ).fetchall()
        if after:
            return self._postgres_rows(
                "originator_id > %s AND notification_id <= %s "
                "ORDER BY originator_id, originator_version LIMIT %s",
                (UUID(hex=after), stop, limit),
            )
        return self._postgres_rows(
            "notification_id <= %s ORDER BY originator_id, originator_version LIMIT %s",
            (stop, limit),
        )

    def _rows_of(self, aggregate: str, stop: int) -> list[Row]:
        if self._connection is not None:
            return self._connection.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events WHERE originator_id = ? AND rowid <= ? "
                "ORDER BY originator_version",
                (aggregate, stop),
            ).fetchall()
        return self._postgres_rows(
            "originator_id = %s AND notification_id <= %s ORDER BY originator_version",
            (UUID(hex=aggregate), stop),
        )

    def _postgres_rows(self, condition: str, params: tuple[Any, ...]) -> list[Row]:
        """Rows of eventsourcing's PostgreSQL events table (read with our own connection,
        in its primary key's order), shaped like SQLite's."""
        if not self._postgres:
            msg = "reading by complaint needs a SQLite file or PostgreSQL store"
            raise RuntimeError(msg)
        from psycopg import sql

        recorder: Any = self._recorder()
        if self._postgres_connection is None:
            self._postgres_connection = postgres_connection(self._log.settings.env)
        statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {table} WHERE "
        ).format(table=sql.Identifier(recorder.datastore.schema, recorder.events_table_name))
        rows = self._postgres_connection.execute(
            statement + sql.SQL(condition),  # condition: constant SQL of this module
            params,
        ).fetchall()
        return [(row[0], row[1].hex, row[2], row[3], bytes(row[4])) for row in rows]

    def _recorder(self) -> ApplicationRecorder:
        recorder = self._log.recorder
        assert isinstance(recorder, ApplicationRecorder)  # an Application's recorder is one
        return recorder

    def _read_sqlite(
        self, connection: sqlite3.Connection, after: int, limit: int, stop: int | None
    ) -> list[LogEvent]:
        rows = connection.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
            (after, stop if stop is not None else MAX_US, limit),
        ).fetchall()
        return self._decode_rows(rows)

    def _decode_rows(self, rows: list[Row]) -> list[LogEvent]:
        if self._plain:
            # the hot path of a rebuild, one pass per event: _event, _hex and parse_us
            # inlined, and each topic's kind looked up instead of cut from the topic again
            loads = orjson.loads
            parse = datetime.fromisoformat
            kinds = self._kinds
            events: list[LogEvent] = []
            append = events.append
            for position, originator_id, _, topic, blob in rows:
                state = loads(blob)
                kind = kinds.get(topic)
                if kind is None:
                    kind = kinds[topic] = _kind(topic)
                if len(originator_id) != 32:
                    originator_id = _hex(originator_id)
                if kind:
                    at = (parse(state["occurred_at"]) - EPOCH) // _US
                    append((position, originator_id, kind, at, state))
                else:
                    append((position, originator_id, "", 0, state))
            return events
        decode = self._log.mapper.decode_stored_state
        return [
            _event(
                row[0], _hex(row[1]), row[3], decode(StoredEvent(row[1], row[2], row[3], row[4]))
            )
            for row in rows
        ]

    def last_position(self) -> int:
        return self._log.max_position()


S = TypeVar("S")


class Projection(ABC, Generic[S]):
    """A view kept from the log: per-complaint state ``S`` in a cache, rows in tables.

    Subclasses name their tables, say how to create them, how to load the state of some
    complaints from them, how to apply a page of events (a ``match`` on the event kind), and
    how to write what changed. The :class:`Follower` does the rest.
    """

    name: ClassVar[str]
    """The projection's key in the tracking table."""
    tables: ClassVar[tuple[str, ...]]
    per_complaint: ClassVar[bool] = False
    """True when a complaint's rows depend on that complaint's events only (in their
    order), never on other complaints' or on the order between complaints: the runner may
    then rebuild the view complaint by complaint."""
    max_cache: ClassVar[int] = 50_000
    """Complaint states kept between batches; the cache is dropped when it grows past this
    (a few kilobytes each: 50,000 states of the three views take about 200 MB)."""

    def __init__(self) -> None:
        self.cache: dict[str, S] = {}
        self.dirty: dict[str, S] = {}
        self.cache_position = -1
        """The position the cache reflects; another runner moving the view invalidates it."""
        self.rows_are_new = False
        """Set by the runner while it rebuilds complaint by complaint into emptied tables:
        every row :meth:`write` writes is then new to its table (``write_rows(new=...)``)."""

    def config(self) -> str:
        """What the rows depend on besides the log (a policy, a calendar): a change rebuilds."""
        return "1"

    @abstractmethod
    def create_tables(self, tx: Transaction) -> None: ...

    @abstractmethod
    def create_indexes(self, tx: Transaction) -> None: ...

    @abstractmethod
    def load(self, store: ViewStore, complaint_ids: Sequence[str]) -> dict[str, S]:
        """The stored state of these complaints (those that have one)."""

    @abstractmethod
    def handle(self, events: Sequence[LogEvent]) -> None:
        """Apply events to ``self.cache``, recording changed states in ``self.dirty``."""

    @abstractmethod
    def write(self, tx: Transaction) -> None:
        """Write the rows of ``self.dirty``."""

    # -- driven by the Follower -------------------------------------------------------------

    def apply(self, events: Sequence[LogEvent], store: ViewStore) -> None:
        cache = self.cache
        missing = {
            complaint_id
            for _, complaint_id, kind, _, _ in events
            if kind and kind != "Received" and complaint_id not in cache
        }
        if missing:
            cache.update(self.load(store, sorted(missing)))
        self.handle(events)

    def committed(self, position: int) -> None:
        self.dirty.clear()
        self.cache_position = position
        if len(self.cache) > self.max_cache:
            self.cache.clear()

    def discard(self) -> None:
        self.dirty.clear()
        self.cache.clear()
        self.cache_position = -1

    def drop_tables(self, tx: Transaction) -> None:
        for table in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {table}")


def chunks(values: Sequence[str], size: int = _IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(
    store: ViewStore, sql_before_in: str, values: Sequence[str], sql_after_in: str = ""
) -> list[Row]:
    """Run ``<sql_before_in> IN (?, ?, ...) <sql_after_in>`` for the values, in chunks."""
    rows: list[Row] = []
    for chunk in chunks(values):
        marks = ",".join("?" * len(chunk))
        rows.extend(store.query(f"{sql_before_in} IN ({marks}) {sql_after_in}", tuple(chunk)))
    return rows


EventFilter = Callable[[list[LogEvent]], list[LogEvent]]


def recorded_by(moment: datetime) -> EventFilter:
    """Keep only events recorded by ``moment``; a complaint's later events are cut after its
    first one recorded too late (as ``ComplaintLog.get(as_known_at=...)`` does), so a
    skewed clock never lets a step in without the one before it. The decision for an event
    depends only on the events before it, so a page processed again decides the same."""
    limit = to_us(moment)
    first_late: dict[str, int] = {}

    def keep(events: list[LogEvent]) -> list[LogEvent]:
        kept: list[LogEvent] = []
        for event in events:
            position, complaint_id = event[0], event[1]
            cut = first_late.get(complaint_id)
            if cut is None and parse_us(event[4]["timestamp"]) > limit:
                cut = first_late[complaint_id] = position
            if cut is None or position < cut:
                kept.append(event)
        return kept

    return keep


class Follower:
    """Keeps projections up to date with the log, each with its own tracking position."""

    def __init__(
        self,
        log: ComplaintLog,
        store: ViewStore,
        projections: Iterable[Projection[Any]],
        *,
        batch_size: int = 5000,
        event_filter: EventFilter | None = None,
    ) -> None:
        self.log = log
        self.store = store
        self.projections = tuple(projections)
        self.batch_size = batch_size
        self.event_filter = event_filter
        self.reader = LogReader(log)
        self._ensured = False

    def close(self) -> None:
        self.reader.close()

    # -- schema and positions ---------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create missing tables; rebuild a projection whose configuration changed."""
        if self._ensured:
            return
        self.store.ensure_tracking()
        for projection in self.projections:
            tracked = self.store.tracking(projection.name)
            if tracked is None or tracked[1] != projection.config():
                self._reset(projection, with_indexes=True)
            else:
                with self.store.transaction() as tx:
                    projection.create_tables(tx)
                    projection.create_indexes(tx)
        self._ensured = True

    def _reset(self, projection: Projection[Any], *, with_indexes: bool) -> None:
        projection.discard()
        with self.store.transaction() as tx:
            projection.drop_tables(tx)
            projection.create_tables(tx)
            if with_indexes:
                projection.create_indexes(tx)
            updated = tx.execute(
                compose(
                    "UPDATE {tracking_table} SET position = 0, config = ? WHERE projection = ?",
                    tracking_table=TRACKING_TABLE,
                ),
                (projection.config(), projection.name),
            )
            if not updated:
                tx.execute(
                    compose(
                        "INSERT INTO {tracking_table} (projection, position, config) "
                        "VALUES (?, 0, ?)",
                        tracking_table=TRACKING_TABLE,
                    ),
                    (projection.name, projection.config()),
                )

    def positions(self) -> dict[str, int]:
        """Each projection's position: the id of the last notification it processed."""
        self.ensure_schema()
        positions: dict[str, int] = {}
        for projection in self.projections:
            tracked = self.store.tracking(projection.name)
            positions[projection.name] = tracked[0] if tracked else 0
        return positions

    # -- processing -------------------------------------------------------------------------

    def catch_up(self, *, until: int | None = None) -> int:
        """Process every event recorded since each projection's position (up to ``until``).

        Returns the number of log events read (the most-behind projection's new events).
        """
        positions = self.positions()
        for name, position in positions.items():
            if position < 0:  # being rebuilt by another runner (or a rebuild died)
                raise ProjectionConflictError(name, position)
        for projection in self.projections:
            if projection.cache_position != positions[projection.name]:
                projection.discard()  # the view moved without us (another runner, a reset)
                projection.cache_position = positions[projection.name]
        processed = 0
        while True:
            start = min(positions.values())
            if until is not None and start >= until:
                break
            with collector_paused():
                events = self.reader.read(start, self.batch_size, stop=until)
                if not events:
                    break
                last = events[-1][0]
                self._process(events, positions, start, last)
                processed += len(events)
                del events  # freed while the collector still sleeps
            for name in positions:
                positions[name] = max(positions[name], last)
        return processed

    def _process(
        self, events: list[LogEvent], positions: dict[str, int], start: int, last: int
    ) -> None:
        chosen = self.event_filter(events) if self.event_filter is not None else events
        moving = [p for p in self.projections if positions[p.name] < last]
        try:
            for projection in moving:
                own = positions[projection.name]
                todo = chosen if own == start else [e for e in chosen if e[0] > own]
                projection.apply(todo, self.store)
            with self.store.transaction() as tx:
                for projection in moving:
                    projection.write(tx)
                    expected = positions[projection.name]
                    updated = tx.execute(
                        compose(
                            "UPDATE {tracking_table} SET position = ? WHERE projection = "
                            "? AND position = ?",
                            tracking_table=TRACKING_TABLE,
                        ),
                        (last, projection.name, expected),
                    )
                    if updated != 1:
                        raise ProjectionConflictError(projection.name, expected)
        except BaseException:
            for projection in moving:
                projection.discard()
            raise
        for projection in moving:
            projection.committed(last)

    def rebuild(self, projections: Collection[str] | None = None) -> int:
        """Drop the views (all, or those named) and replay the whole log into them.

        Returns the number of log events read.
        """
        self.ensure_schema()
        chosen = [p for p in self.projections if projections is None or p.name in projections]
        if (
            chosen
            and self.event_filter is None
            and self.reader.by_complaint
            and all(projection.per_complaint for projection in chosen)
        ):
            return self._rebuild_by_complaint(chosen) + self.catch_up()
        for projection in chosen:
            self._reset(projection, with_indexes=False)
        count = self.catch_up()
        with self.store.transaction() as tx:
            for projection in chosen:
                projection.create_indexes(tx)
        return count

    def _rebuild_by_complaint(self, chosen: Sequence[Projection[Any]]) -> int:
        """Replay the log complaint by complaint up to its current end (module docstring)."""
        marker = f"rebuilding {uuid.uuid4().hex}"
        stop = self.reader.last_position()
        for projection in chosen:
            self._reset(projection, with_indexes=False)
        self._mark(chosen, -1, marker, expected=0, expected_config=None)
        for projection in chosen:
            projection.rows_are_new = True
        try:
            count = self._replay_by_complaint(chosen, marker, stop)
        finally:
            for projection in chosen:
                projection.rows_are_new = False
        self._mark(chosen, stop, None, expected=-1, expected_config=marker, indexes=True)
        return count

    def _replay_by_complaint(
        self, chosen: Sequence[Projection[Any]], marker: str, stop: int
    ) -> int:
        count = 0
        after = ""
        while True:
            with collector_paused():
                page = self.reader.read_by_complaint(after, self.batch_size, stop)
                if page is None:
                    break
                events, after = page
                try:
                    for projection in chosen:
                        projection.handle(events)
                    with self.store.transaction() as tx:
                        for projection in chosen:
                            projection.write(tx)
                        self._check_marks(tx, chosen, marker)
                except BaseException:
                    self._ensured = False  # the next catch-up starts the marked views again
                    raise
                finally:
                    for projection in chosen:
                        projection.discard()  # every complaint of the page is complete
                count += len(events)
                del events, page  # freed while the collector still sleeps
        return count

    def _mark(
        self,
        chosen: Sequence[Projection[Any]],
        position: int,
        config: str | None,
        *,
        expected: int,
        expected_config: str | None,
        indexes: bool = False,
    ) -> None:
        """Move the chosen projections' tracking rows from ``expected`` to ``position`` (and
        their config to ``config``, or their own), refusing if another runner moved them."""
        with self.store.transaction() as tx:
            for projection in chosen:
                if indexes:
                    projection.create_indexes(tx)
                current = projection.config() if expected_config is None else expected_config
                updated = tx.execute(
                    compose(
                        "UPDATE {tracking_table} SET position = ?, config = ? "
                        "WHERE projection = ? AND position = ? AND config = ?",
                        tracking_table=TRACKING_TABLE,
                    ),
                    (position, config or projection.config(), projection.name, expected, current),
                )
                if updated != 1:
                    raise ProjectionConflictError(projection.name, expected)
        for projection in chosen:
            projection.cache_position = position

    def _check_marks(self, tx: Transaction, chosen: Sequence[Projection[Any]], marker: str) -> None:
        """Refuse to commit a page of a rebuild whose views another runner took over."""
        for projection in chosen:
            rows = tx.query(
                compose(
                    "SELECT position, config FROM {tracking_table} WHERE projection = ?",
                    tracking_table=TRACKING_TABLE,
                ),
                (projection.name,),
            )
            if not rows or tuple(rows[0]) != (-1, marker):
                raise ProjectionConflictError(projection.name, -1)

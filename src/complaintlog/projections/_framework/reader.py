"""Reading the notification log: the decoded event every projection shares, and its reader.

A :data:`LogEvent` is one notification decoded once, as a plain tuple, with business time in
microseconds since the epoch (``parse_us``, ``to_us``, ``from_us``). :class:`LogReader` reads
pages of them, in log order for a catch-up and complaint by complaint for a rebuild, with its
own ``sqlite3`` or PostgreSQL connection where it can (see the runner's docstring in
``follower.py`` for why). Kept apart from the runner so that the views and the tests can read
the log without the catch-up machinery.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.utils import TopicError, resolve_topic

from complaintlog.application.event_store import store_errors
from complaintlog.domain.complaint import Complaint
from complaintlog.errors import UnreadableRecordError
from complaintlog.projections._framework.partitions import PAST_EVERY_ID
from complaintlog.projections._store import Row, compose

if TYPE_CHECKING:
    from complaintlog.application import ComplaintLog

__all__ = [
    "COMPLAINT_TOPIC_PREFIX",
    "EPOCH",
    "MAX_US",
    "LogEvent",
    "LogReader",
    "chunks",
    "from_us",
    "parse_us",
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


IdRange = tuple[str, str]
"""Aggregate ids after the first and before the second (32 hex digits): a partition's."""


def _kind(topic: str) -> str:
    """The complaint event's class name of a topic; empty for other aggregates' events."""
    return topic[_PREFIX_LENGTH:] if topic.startswith(COMPLAINT_TOPIC_PREFIX) else ""


Upcast = Callable[[dict[str, Any]], None]
_UPCASTS: dict[str, Upcast | None] = {}


def upcaster(topic: str) -> Upcast | None:
    """What lifts a stored state of ``topic`` to its class's current version, the way the
    mapper does for the aggregate (``upcast_v1_v2``, ...): ``None`` when nothing can need
    it. Projections read the JSON directly, so they must see old versions converted too."""
    try:
        return _UPCASTS[topic]
    except KeyError:
        pass
    try:
        event_class = resolve_topic(topic)
    except (ImportError, AttributeError, ValueError, TopicError):
        event_class = None
    version = getattr(event_class, "class_version", 1)
    found: Upcast | None = None
    if version > 1:

        def lift(state: dict[str, Any]) -> None:
            stored = state.pop("class_version", 1)
            while stored < version:
                getattr(event_class, f"upcast_v{stored}_v{stored + 1}")(state)
                stored += 1

        found = lift
    _UPCASTS[topic] = found
    return found


def _event(position: int, originator_id: str, topic: str, state: dict[str, Any]) -> LogEvent:
    lift = upcaster(topic)
    if lift is not None:
        lift(state)
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
            # Used by one thread at a time, but not always the one that opened it (a web
            # server's worker threads take turns, under the caller's lock).
            self._connection = sqlite3.connect(
                f"{path.absolute().as_uri()}?mode=ro",
                uri=True,
                timeout=30,
                isolation_level=None,
                check_same_thread=False,
            )
        self._postgres = log.settings.kind == "postgres"

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def read(
        self, after: int, limit: int, stop: int | None = None, only: IdRange | None = None
    ) -> list[LogEvent]:
        """Up to ``limit`` events with positions after ``after`` (and up to ``stop``).

        With ``only`` (ids after its first and before its second, a partition's), the
        events of other aggregates come without their state, not decoded: as events no
        view reads (kind ``""``), which still move the positions."""
        if self._connection is not None:
            return self._read_sqlite(self._connection, after, limit, stop, only)
        page = self._recorder().select_notifications(after + 1, limit, stop=stop)
        decode = self._log.mapper.decode_stored_state
        events: list[LogEvent] = []
        for n in page:
            originator_id = _hex(n.originator_id)
            if only is not None and not only[0] < originator_id < only[1]:
                events.append((n.id, originator_id, "", 0, {}))
            else:
                events.append(_event(n.id, originator_id, n.topic, decode(n)))
        return events

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
        self, after: str, limit: int, stop: int, before: str | None = None
    ) -> tuple[list[LogEvent], str] | None:
        """Every event, with a position up to ``stop``, of the aggregates whose ids come
        next after ``after`` in id order (and before ``before``, if given: a partition's
        end): about ``limit`` events of whole aggregates, each aggregate's in version order.
        Returns them and the last id, to pass on as ``after``; ``None`` past the last
        aggregate."""
        rows = self._rows_by_complaint(after, limit, stop, before)
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

    def events_up_to(self, complaint_ids: Sequence[str], stop: int) -> list[LogEvent]:
        """Every event, with a position up to ``stop``, of these complaints (ids as 32 hex
        digits): complaint by complaint in id order, each complaint's in version order. What
        a view folds again when only some complaints' rows change (a tenant's policy); needs
        :attr:`by_complaint`."""
        wanted = sorted(complaint_ids)
        if not wanted:
            return []
        if self._connection is not None:
            rows = self._connection.execute(
                compose(
                    "SELECT rowid, originator_id, originator_version, topic, state "
                    "FROM stored_events WHERE originator_id IN ({marks}) AND rowid <= ? "
                    "ORDER BY originator_id, originator_version",
                    marks=",".join("?" * len(wanted)),
                ),
                (*wanted, stop),
            ).fetchall()
        else:
            rows = self._postgres_rows(
                "originator_id = ANY(%s) AND notification_id <= %s "
                "ORDER BY originator_id, originator_version",
                ([UUID(hex=complaint_id) for complaint_id in wanted], stop),
            )
        return self._decode_rows(rows)

    def _rows_by_complaint(
        self, after: str, limit: int, stop: int, before: str | None
    ) -> list[Row]:
        """``(position, id as 32 hex digits, version, topic, state)`` in id order."""
        if self._connection is not None:
            return self._connection.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                "WHERE originator_id > ? AND originator_id < ? AND rowid <= ? "
                "ORDER BY originator_id, originator_version LIMIT ?",
                (after, before or PAST_EVERY_ID, stop, limit),
            ).fetchall()
        conditions: list[str] = []
        params: list[Any] = []
        for sql, bound in (("originator_id > %s", after), ("originator_id < %s", before)):
            if bound:
                conditions.append(sql)
                params.append(UUID(hex=bound))
        return self._postgres_rows(
            " AND ".join([*conditions, "notification_id <= %s"])
            + " ORDER BY originator_id, originator_version LIMIT %s",
            (*params, stop, limit),
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
        from psycopg.rows import tuple_row

        recorder: Any = self._recorder()
        statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {table} WHERE "
        ).format(table=sql.Identifier(recorder.datastore.schema, recorder.events_table_name))
        with (
            store_errors(self._log.settings.redacted_url, "read the log"),
            recorder.datastore.get_connection() as conn,  # the log's pool
            conn.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute(statement + sql.SQL(condition), params)  # condition: constant SQL
            rows = cursor.fetchall()
        return [(row[0], row[1].hex, row[2], row[3], bytes(row[4])) for row in rows]

    def _recorder(self) -> ApplicationRecorder:
        recorder = self._log.recorder
        assert isinstance(recorder, ApplicationRecorder)  # an Application's recorder is one
        return recorder

    def _read_sqlite(
        self,
        connection: sqlite3.Connection,
        after: int,
        limit: int,
        stop: int | None,
        only: IdRange | None = None,
    ) -> list[LogEvent]:
        rows = connection.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
            (after, stop if stop is not None else MAX_US, limit),
        ).fetchall()
        return self._decode_rows(rows, only)

    def _decode_rows(self, rows: list[Row], only: IdRange | None = None) -> list[LogEvent]:
        if self._plain:
            # the hot path of a rebuild, one pass per event: _event, _hex and parse_us
            # inlined, and each topic's kind looked up instead of cut from the topic again
            loads = orjson.loads
            parse = datetime.fromisoformat
            kinds = self._kinds
            upcasts = _UPCASTS
            events: list[LogEvent] = []
            append = events.append
            position = 0
            low, high = only if only is not None else ("", PAST_EVERY_ID)
            try:
                for position, originator_id, _, topic, blob in rows:
                    if len(originator_id) != 32:
                        originator_id = _hex(originator_id)
                    if not low < originator_id < high:  # another partition's: not decoded
                        append((position, originator_id, "", 0, {}))
                        continue
                    state = loads(blob)
                    kind = kinds.get(topic)
                    if kind is None:
                        kind = kinds[topic] = _kind(topic)
                    lift = upcasts.get(topic) if topic in upcasts else upcaster(topic)
                    if lift is not None:
                        lift(state)
                    if kind:
                        at = (parse(state["occurred_at"]) - EPOCH) // _US
                        append((position, originator_id, kind, at, state))
                    else:
                        append((position, originator_id, "", 0, state))
            except (ValueError, KeyError, TypeError) as error:  # orjson's errors are ValueErrors
                raise UnreadableRecordError(None, None, position, repr(error)) from error
            return events
        decode = self._log.mapper.decode_stored_state
        low, high = only if only is not None else ("", PAST_EVERY_ID)
        decoded: list[LogEvent] = []
        for row in rows:
            originator_id = _hex(row[1])
            if not low < originator_id < high:
                decoded.append((row[0], originator_id, "", 0, {}))
                continue
            state = decode(StoredEvent(row[1], row[2], row[3], row[4]))
            decoded.append(_event(row[0], originator_id, row[3], state))
        return decoded

    def last_position(self) -> int:
        return self._log.max_position()

    def first_unreadable(self, events: Sequence[LogEvent]) -> UnreadableRecordError | None:
        """The first complaint event whose stored state does not fit its class: what a
        projection that failed on these events met (a row altered behind our back)."""
        for position, complaint_id, kind, _, state in events:
            event_class = getattr(Complaint, kind, None) if kind else None
            if not isinstance(event_class, type):
                continue
            try:
                self._log.mapper.typed_state(event_class, dict(state))
            except (ValueError, TypeError, KeyError) as error:
                detail = f"{kind}: {str(error).splitlines()[0]}"
                return UnreadableRecordError(UUID(complaint_id), None, position, detail)
        return None


def chunks(values: Sequence[str], size: int = _IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]

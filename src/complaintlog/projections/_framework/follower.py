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

Following the log, most pages hold one event or a few, and on PostgreSQL a catch-up's time
is its round trips: it reads every position (and whether the views are followed in
partitions) in one query, stops after a page shorter than asked for (the head of the log,
as it was read) instead of reading an empty one, sends the queries of every view's stored
rows for the page before it reads any answer (``ViewStore.reading``: one pipeline), and
writes a page of at most :data:`PIPELINED_EVENTS` events in one pipelined transaction:
the positions' compare-and-set first, then the rows, each statement sent without waiting
for the one before (``docs/performance.md``, "PostgreSQL one-event catch-up").

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
runs, the views' positions are -1 (a catch-up elsewhere refuses to touch them); then the
secondary indexes are built (:mod:`.index_builds`), the last transaction sets the positions
to where it stopped, and a catch-up follows for what was recorded meanwhile. A rebuild that
dies leaves a marker that the next runner to open the views sees: it starts them again.

Python's cyclic garbage collector is paused while a page is processed: the pages and
states are plain dicts, lists, tuples and slotted objects without cycles (reference
counting frees them), and each collection would walk every cached state for nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from complaintlog.errors import InvalidValueError, StoreUnavailableError
from complaintlog.persistence.collector import collector_paused
from complaintlog.projections._framework.index_builds import build_indexes_apart
from complaintlog.projections._framework.partition_tracking import (
    Tracking,
    join,
    partition_count,
    partitions_in,
    split,
    tracking_key,
    tracking_rows,
)
from complaintlog.projections._framework.partitions import Partition, partitions
from complaintlog.projections._framework.projection import Projection
from complaintlog.projections._framework.reader import LogEvent, LogReader, chunks, parse_us, to_us
from complaintlog.projections._store import (
    TRACKING_TABLE,
    ProjectionConflictError,
    Row,
    Transaction,
    ViewPolicyMismatchError,
    ViewStore,
    compose,
)

if TYPE_CHECKING:
    from complaintlog.application import ComplaintLog

__all__ = ["PIPELINED_EVENTS", "EventFilter", "Follower", "Replay", "recorded_by"]

EventFilter = Callable[[list[LogEvent]], list[LogEvent]]

Replay = Callable[[Sequence[Projection[Any]], str, int], int]
"""Writes the chosen views' rows of every complaint up to a position, each page's commit
checking the rebuild's marker: ``(chosen, marker, stop) -> events read``."""


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


PIPELINED_EVENTS = 64
"""Pages of at most this many events (a catch-up following the log) are written in one
pipelined transaction on PostgreSQL, as the event recorder saves batches of as many."""

_CREATOR_LOCK = 0x636C_7669_6577  # "clview"
_DAY_ROWS_LOCK = 0x636C_6461_7973  # "cldays"


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
        partition: Partition | None = None,
    ) -> None:
        self.log = log
        self.store = store
        self.projections = tuple(projections)
        self.batch_size = batch_size
        self.event_filter = event_filter
        self.partition = partition
        """The complaints this runner keeps (None: all); see :mod:`.partition_tracking`."""
        self._ids = partition.id_range if partition is not None else None
        """The partition's ids for the reader, which decodes no other aggregate's events."""
        self.reader = LogReader(log)
        self._ensured = False
        self._partition_runners: dict[Partition, Follower] = {}

    def close(self) -> None:
        self.reader.close()
        for runner in self._partition_runners.values():
            runner.close()

    def key(self, projection: Projection[Any]) -> str:
        """The projection's tracking row for this runner (its partition's, if it has one)."""
        return tracking_key(projection.name, self.partition)

    def _tracked(
        self, projection: Projection[Any], rows: Tracking | None = None
    ) -> tuple[int, str] | None:
        """Position and configuration of the projection as this runner sees it (in the
        tracking ``rows`` given, else as stored now): for a runner without a partition on
        views followed in partitions, the lowest position."""
        if rows is None:
            rows = tracking_rows(self.store)
        own = rows.get(self.key(projection))
        if own is not None or self.partition is not None:
            return own
        parts = partitions_in(rows, projection.name)
        if not parts:
            return None
        return min(position for position, _ in parts.values()), next(iter(parts.values()))[1]

    # -- schema and positions ---------------------------------------------------------------

    def create_missing(self) -> None:
        """Create the tables and indexes that do not exist yet (on open: a view is empty,
        not missing, before its first catch-up). Changes nothing that exists."""

        def create(tx: Transaction) -> None:
            tx.execute(
                compose(
                    "CREATE TABLE IF NOT EXISTS {tracking_table} (projection TEXT PRIMARY KEY, "
                    "position BIGINT NOT NULL, config TEXT NOT NULL)",
                    tracking_table=TRACKING_TABLE,
                )
            )
            for projection in self.projections:
                projection.create_tables(tx)
                projection.create_indexes(tx)

        self._create_giving_way(self.projections, create)

    def check_configs(self) -> None:
        """Refuse views built under another configuration (policy, calendar)."""
        rows = tracking_rows(self.store)
        for projection in self.projections:
            tracked = self._tracked(projection, rows)
            if tracked is None or tracked[0] < 0:  # new, or a marker of a rebuild under way
                continue
            if tracked[1] != projection.config():
                raise ViewPolicyMismatchError(projection.name, tracked[1], projection.config())

    def ensure_schema(self, *, adopt: bool = False) -> None:
        """Create missing tables; a projection whose configuration changed is refused, or
        with ``adopt`` reset to be rebuilt under the new one."""
        if self._ensured and not adopt:
            return
        self.store.ensure_tracking()
        if self.partition is not None:
            if adopt:
                rule = "a policy changes by a rebuild of every partition: open without one"
                raise InvalidValueError("partition", str(self.partition), rule)
            self._split_views(self.partition)
        if not adopt:
            self.check_configs()
        for projection in self.projections:
            tracked = self._tracked(projection)
            if tracked is None or tracked[1] != projection.config():
                self._reset(projection, with_indexes=True)
            elif not self._create_missing(projection):
                return  # a worker is writing these tables: the next opening tries again
        self._ensured = True

    def _split_views(self, partition: Partition) -> None:
        """Give every view one tracking row per partition, if it has not got them yet."""
        with self.store.transaction() as tx:
            if tx.kind == "postgres":  # the openers take turns (SQLite: BEGIN IMMEDIATE)
                tx.execute("SELECT pg_advisory_xact_lock(?)", (_CREATOR_LOCK,))
            for projection in self.projections:
                split(tx, projection.name, partition, projection.config())

    def _create_missing(self, projection: Projection[Any]) -> bool:
        """Create what a newer version added to a projection whose tables exist."""

        def create(tx: Transaction) -> None:
            projection.create_tables(tx)
            projection.create_indexes(tx)

        return self._create_giving_way((projection,), create)

    def _create_giving_way(
        self, projections: Sequence[Projection[Any]], create: Callable[[Transaction], None]
    ) -> bool:
        """Run ``CREATE ... IF NOT EXISTS`` statements without deadlocking a writer.

        On PostgreSQL ``CREATE INDEX IF NOT EXISTS`` locks its table even when the index
        exists, so an opener running it while a worker writes the same tables in another
        order can deadlock with that worker (and the server may abort the worker). Openers
        take turns on an advisory lock (two creating the same table collide); then each
        waits for table locks only briefly, well under the server's deadlock check, and
        gives way: a writer holding them means the tables exist. False when it gave way.
        """
        try:
            with self._schema_transaction(projections) as tx:
                if tx.kind == "postgres":
                    tx.execute("SELECT pg_advisory_xact_lock(?)", (_CREATOR_LOCK,))
                    tx.execute("SET LOCAL lock_timeout = '200ms'")
                create(tx)
        except StoreUnavailableError as error:
            if type(error.__cause__).__name__ != "LockNotAvailable":
                raise
            return False
        return True

    @contextmanager
    def _schema_transaction(self, projections: Sequence[Projection[Any]]) -> Iterator[Transaction]:
        """A transaction that creates, drops or folds again the projections' tables: what
        the projections decided about their tables in it (whether day rows are kept)
        holds once it commits, and is taken back if it rolls back (an opener giving way
        to a writer, a runner that lost a race)."""
        try:
            with self.store.transaction() as tx:
                yield tx
        except BaseException:
            for projection in projections:
                projection.schema_ended(committed=False)
            raise
        for projection in projections:
            projection.schema_ended(committed=True)

    def _reset(self, projection: Projection[Any], *, with_indexes: bool) -> None:
        projection.discard()
        with self._schema_transaction((projection,)) as tx:
            join(tx, projection.name)
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

    def positions(self, rows: Tracking | None = None) -> dict[str, int]:
        """Each projection's position: the id of the last notification it processed (in
        the tracking ``rows`` given, else as stored now)."""
        self.ensure_schema()
        if rows is None:
            rows = tracking_rows(self.store)
        positions: dict[str, int] = {}
        for projection in self.projections:
            tracked = self._tracked(projection, rows)
            positions[projection.name] = tracked[0] if tracked else 0
        return positions

    def _catch_up_partitions(self, count: int, until: int | None) -> int:
        """A runner without a partition, on views followed in partitions: each in turn."""
        read = 0
        for partition in partitions(count):
            runner = self._partition_runners.get(partition)
            if runner is None:
                runner = self._partition_runners[partition] = Follower(
                    self.log,
                    self.store,
                    self.projections,
                    batch_size=self.batch_size,
                    event_filter=self.event_filter,
                    partition=partition,
                )
            read = max(read, runner.catch_up(until=until))
        return read

    # -- processing -------------------------------------------------------------------------

    def catch_up(self, *, until: int | None = None) -> int:
        """Process every event recorded since each projection's position (up to ``until``).

        Returns the number of log events read (the most-behind projection's new events).
        """
        self.ensure_schema()
        rows = tracking_rows(self.store)  # positions and partitions: one look
        if self.partition is None:
            count = partition_count(rows)
            if count is not None:
                return self._catch_up_partitions(count, until)
        positions = self.positions(rows)
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
                events = self.reader.read(start, self.batch_size, stop=until, only=self._ids)
                if not events:
                    break
                last = events[-1][0]
                self._process(events, positions, start, last)
                processed += len(events)
                short = len(events) < self.batch_size
                del events  # freed while the collector still sleeps
            for name in positions:
                positions[name] = max(positions[name], last)
            if short:  # the head of the log as it was read: no second, empty read
                break
        return processed

    def _process(
        self, events: list[LogEvent], positions: dict[str, int], start: int, last: int
    ) -> None:
        chosen = events
        if self._ids is not None:  # first: other partitions' events come undecoded
            after, before = self._ids
            chosen = [event for event in chosen if after < event[1] < before]
        if self.event_filter is not None:
            chosen = self.event_filter(chosen)
        moving = [p for p in self.projections if positions[p.name] < last]
        try:
            todos = [
                chosen
                if positions[projection.name] == start
                else [e for e in chosen if e[0] > positions[projection.name]]
                for projection in moving
            ]
            loads = self._load(moving, todos)
            for projection, todo, loaded in zip(moving, todos, loads, strict=True):
                projection.apply(todo, loaded)
            with self.store.transaction(pipelined=len(events) <= PIPELINED_EVENTS) as tx:
                if self.partition is not None and tx.kind == "postgres":
                    # the day rows sum over complaints of every partition: one at a time
                    tx.execute("SELECT pg_advisory_xact_lock(?)", (_DAY_ROWS_LOCK,))
                check = self._move_positions(tx, moving, positions, last)
                for projection in moving:
                    projection.write(tx)
                check()
        except BaseException as error:
            for projection in moving:
                projection.discard()
            if isinstance(error, ValueError | KeyError | TypeError | AttributeError):
                culprit = self.reader.first_unreadable(chosen)
                if culprit is not None:
                    raise culprit from error
            raise
        for projection in moving:
            projection.committed(last)

    def _load(
        self, moving: Sequence[Projection[Any]], todos: Sequence[Sequence[LogEvent]]
    ) -> list[dict[str, Any]]:
        """The stored states each view needs for its events (:meth:`Projection.missing`;
        none sends no query). Every view's queries are sent before any answer is read: on
        PostgreSQL they share one round trip, where each was one."""
        with self.store.reading() as reads:
            answers = [
                projection.load_later(reads, projection.missing(todo))
                for projection, todo in zip(moving, todos, strict=True)
            ]
            return [answer() for answer in answers]

    def _move_positions(
        self,
        tx: Transaction,
        moving: Sequence[Projection[Any]],
        positions: dict[str, int],
        last: int,
    ) -> Callable[[], None]:
        """Move the projections' positions to ``last`` if they are still where the page
        started from (compare-and-set); returns the check, which raises
        :class:`ProjectionConflictError` for one another runner moved. Sent first, so that
        in a pipelined transaction the answer comes back with the first query of the
        views' writes instead of costing a round trip of its own."""
        if tx.kind != "postgres":  # one statement each (RETURNING needs SQLite 3.35)
            moved = [
                (self.key(projection),)
                for projection in moving
                if tx.execute(
                    compose(
                        "UPDATE {tracking_table} SET position = ? WHERE projection = ? "
                        "AND position = ?",
                        tracking_table=TRACKING_TABLE,
                    ),
                    (last, self.key(projection), positions[projection.name]),
                )
                == 1
            ]

            def answer() -> list[Row]:
                return moved

        else:
            conditions = " OR ".join(["(projection = ? AND position = ?)"] * len(moving))
            params: list[Any] = [last]
            for projection in moving:
                params += [self.key(projection), positions[projection.name]]
            answer = tx.query_later(
                compose(
                    "UPDATE {tracking_table} SET position = ? WHERE {conditions} "
                    "RETURNING projection",
                    tracking_table=TRACKING_TABLE,
                    conditions=conditions,
                ),
                params,
            )

        def check() -> None:
            done = {str(row[0]) for row in answer()}
            for projection in moving:
                if self.key(projection) not in done:
                    raise ProjectionConflictError(projection.name, positions[projection.name])

        return check

    def rebuild(
        self, projections: Collection[str] | None = None, *, replay: Replay | None = None
    ) -> int:
        """Drop the views (all, or those named) and replay the whole log into them.

        ``replay`` writes the rows of a rebuild complaint by complaint in another way than
        :meth:`replay_by_complaint` in this process (:mod:`.parallel`: in several
        processes). Returns the number of log events read.
        """
        if self.partition is not None:
            rule = "a rebuild replays every partition: run it without one (workers=N splits it)"
            raise InvalidValueError("partition", str(self.partition), rule)
        self.ensure_schema()
        chosen = [p for p in self.projections if projections is None or p.name in projections]
        by_complaint = (
            chosen
            and self.event_filter is None
            and self.reader.by_complaint
            and all(projection.per_complaint for projection in chosen)
        )
        if replay is not None and not by_complaint:
            rule = "a rebuild in several processes replays every view complaint by complaint"
            raise InvalidValueError("workers", replay, rule)
        if by_complaint:
            return self._rebuild_by_complaint(chosen, replay) + self.catch_up()
        for projection in chosen:
            self._reset(projection, with_indexes=False)
        count = self.catch_up()
        with self._schema_transaction(chosen) as tx:
            for projection in chosen:
                projection.create_indexes(tx)
        return count

    def refold_tenant(self, tenant: str | None, own: Collection[str]) -> int | None:
        """Fold again, each under its configuration, only the complaints of ``tenant`` (or,
        with ``None``, of the tenants not in ``own``: the default policy's) in the views
        whose stored configuration differs from theirs, and record the new configurations.

        For a change of one tenant's policy: its complaints' rows are taken away and its
        complaints' events replayed up to each view's position, every other complaint's rows
        left as they are. One transaction per store, the configurations compared and set
        first: a crash leaves the old rows under the old configurations or the new rows under
        the new ones, and a runner that moved a view meanwhile makes it fail with
        :class:`ProjectionConflictError`. Returns the number of events read, or ``None``
        when it cannot (a rebuild under way, a view of another version, views followed in
        partitions, a log that cannot be read by complaint): the caller then rebuilds
        everything.
        """
        if not self.reader.by_complaint or self.event_filter is not None:
            return None
        self.store.ensure_tracking()
        chosen: list[tuple[Projection[Any], int, str, str]] = []
        for projection in self.projections:
            tracked = self.store.tracking(projection.name)
            if tracked is None or tracked[0] < 0:
                return None
            position, stored = tracked
            if stored == projection.config():
                continue
            table = projection.tenant_table
            if table is None or not projection.same_version(stored):
                return None
            chosen.append((projection, position, stored, table))
        if tenant is None:
            others = sorted(own)
            where = f"tenant NOT IN ({','.join('?' * len(others))})" if others else "1 = 1"
            params: tuple[str, ...] = tuple(others)
        else:
            where, params = "tenant = ?", (tenant,)
        count = 0
        with self._schema_transaction([found[0] for found in chosen]) as tx:
            for projection, position, stored, table in chosen:
                updated = tx.execute(
                    compose(
                        "UPDATE {tracking_table} SET config = ? "
                        "WHERE projection = ? AND position = ? AND config = ?",
                        tracking_table=TRACKING_TABLE,
                    ),
                    (projection.config(), projection.name, position, stored),
                )
                if updated != 1:
                    raise ProjectionConflictError(projection.name, position)
                ids = [
                    str(row[0])
                    for row in tx.query(
                        compose(
                            "SELECT complaint_id FROM {table} WHERE {where} ORDER BY complaint_id",
                            table=table,
                            where=where,
                        ),
                        params,
                    )
                ]
                projection.discard()
                try:
                    projection.forget(tx, ids)
                    for chunk in chunks(ids):
                        with collector_paused():
                            events = self.reader.events_up_to(chunk, position)
                            projection.handle(events)
                            projection.write(tx)
                            projection.discard()
                            count += len(events)
                    projection.refolded(tx)
                finally:
                    projection.discard()
        for projection, position, _, _ in chosen:
            projection.cache_position = position
        return count

    def _rebuild_by_complaint(
        self, chosen: Sequence[Projection[Any]], replay: Replay | None = None
    ) -> int:
        """Replay the log complaint by complaint up to its current end (module docstring)."""
        marker = f"rebuilding {uuid.uuid4().hex}"
        stop = self.reader.last_position()
        for projection in chosen:
            self._reset(projection, with_indexes=False)
        self._mark(chosen, -1, marker, expected=0, expected_config=None)
        for projection in chosen:
            projection.rows_are_new = True
        try:
            count = (replay or self.replay_by_complaint)(chosen, marker, stop)
            builders = self.store.index_builders()
            build_indexes_apart(chosen, builders, lambda p: self._schema_transaction((p,)))
        except BaseException:
            self._ensured = False  # the next catch-up starts the marked views again
            raise
        finally:
            for projection in chosen:
                projection.rows_are_new = False
        self._mark(chosen, stop, None, expected=-1, expected_config=marker, indexes=True)
        return count

    def replay_by_complaint(
        self,
        chosen: Sequence[Projection[Any]],
        marker: str,
        stop: int,
        partition: Partition | None = None,
    ) -> int:
        """Write the chosen views' rows of every complaint (of ``partition``), complaint by
        complaint, up to ``stop``; each page's commit checks the rebuild's ``marker``."""
        count = 0
        after = "" if partition is None else partition.after
        before = None if partition is None else partition.before
        while True:
            with collector_paused():
                page = self.reader.read_by_complaint(after, self.batch_size, stop, before)
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
        with self._schema_transaction(chosen) as tx:
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

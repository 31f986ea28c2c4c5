"""Current state: one row per complaint, for CRM screens and work queues.

The processor folds events into a row per complaint (status from the shared
:func:`~complaintlog.domain.status.derive_status`, so the screen never disagrees with the
complaint itself).

``as_of`` (a past business time) is answered without a history table: a row whose last
activity is not after ``as_of`` already *is* the complaint as of then; the complaints with
activity after ``as_of`` are replayed from the log (their few events, cut at ``as_of``)
through the same fold, and the two sets are merged in the query's order. Keeping a version
row per event instead would double the rows written per event, and the write rate is what
bounds a rebuild; a query far in the past costs a replay of the complaints active since.

Promise semantics follow the aggregate: a promise is kept by an update (``inform``) or a
resolution made by its due time, and a new promise supersedes one that is still open.
``promise_due`` holds the due time of the latest promise not kept; it is open while that
time lies ahead and broken once it has passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from complaintlog.domain.status import OPEN_STATUSES, Status, derive_status
from complaintlog.domain.values import Category, Channel, EscalationLevel, Severity
from complaintlog.projections._framework import (
    LogEvent,
    LogReader,
    Projection,
    from_us,
    parse_us,
    recorded_by,
    select_in,
    to_us,
)
from complaintlog.projections._store import (
    Transaction,
    ViewStore,
    compose,
    create_table,
    marks,
    write_rows,
)

__all__ = ["ComplaintState", "CurrentStateProjection", "CurrentStateView"]

TABLE = "complaintlog_current_state"

_COLUMNS = (
    "complaint_id",
    "status",
    "is_open",
    "customer_id",
    "channel",
    "dimension",
    "cause",
    "product",
    "severity",
    "assignee",
    "team",
    "escalation_level",
    "promise_due_us",
    "received_us",
    "acknowledged_us",
    "resolved_us",
    "withdrawn_us",
    "paused_since_us",
    "cycle",
    "handled",
    "after_care",
    "last_activity_us",
    "last_event_us",
    "external_ref",
    "version",
)
_TYPES = {
    "complaint_id": "TEXT NOT NULL",
    "status": "TEXT NOT NULL",
    "is_open": "INTEGER NOT NULL",
    "channel": "TEXT NOT NULL",
    "severity": "TEXT NOT NULL",
    "cycle": "INTEGER NOT NULL",
    "handled": "INTEGER NOT NULL",
    "after_care": "INTEGER NOT NULL",
    "version": "INTEGER NOT NULL",
    "received_us": "BIGINT NOT NULL",
    "last_activity_us": "BIGINT NOT NULL",
    "last_event_us": "BIGINT NOT NULL",
}
_COLUMN_LIST = ", ".join(_COLUMNS)
NOT_ACTIVITY = frozenset({"PersonalDataErased"})
"""Events that are records about a complaint, not steps in handling it: they change neither
its status nor its last activity (as in the aggregate)."""
_NULLABLE = tuple(not _TYPES.get(name, "").endswith("NOT NULL") for name in _COLUMNS)
"""The columns the row builder may mark NULL (:func:`marks`): every nullable one, times and
text alike (a rebuild binds about five NULLs per row, and a ``None`` binds slowly)."""
_OPEN = frozenset(status.value for status in OPEN_STATUSES)


def _column_type(name: str) -> str:
    if name in _TYPES:
        return _TYPES[name]
    return "BIGINT" if name.endswith("_us") else "TEXT"


_STATUSES: dict[tuple[object, ...], str] = {}
"""derive_status's answers by their facts: the fold asks once per event, the answers repeat."""


def _derive(facts: tuple[object, ...]) -> str:
    withdrawn, resolved, after_care, paused, later_cycle, handled, escalated, acknowledged = facts
    return derive_status(
        withdrawn=bool(withdrawn),
        resolved=bool(resolved),
        after_care=bool(after_care),
        paused=bool(paused),
        cycle=2 if later_cycle else 1,
        handled_in_cycle=bool(handled),
        escalated=bool(escalated),
        acknowledged=bool(acknowledged),
    ).value


class _State:
    """A complaint's row while it is being folded; slots for speed."""

    __slots__ = _COLUMNS

    complaint_id: str
    status: str
    is_open: int
    customer_id: str | None
    channel: str
    dimension: str | None
    cause: str | None
    product: str | None
    severity: str
    assignee: str | None
    team: str | None
    escalation_level: str | None
    promise_due_us: int | None
    received_us: int
    acknowledged_us: int | None
    resolved_us: int | None
    withdrawn_us: int | None
    paused_since_us: int | None
    cycle: int
    handled: int
    after_care: int
    last_activity_us: int
    last_event_us: int
    external_ref: str | None
    version: int

    def row(self, null: int | None = None) -> tuple[Any, ...]:
        """The row, with ``null`` for its NULLs (see :func:`marks`).

        The status is derived here, once per row written, rather than after every event:
        it depends only on the other columns, and no event's handling reads it."""
        self.derive()
        customer = self.customer_id
        dimension = self.dimension
        cause = self.cause
        product = self.product
        assignee = self.assignee
        team = self.team
        level = self.escalation_level
        promise_due = self.promise_due_us
        acknowledged = self.acknowledged_us
        resolved = self.resolved_us
        withdrawn = self.withdrawn_us
        paused = self.paused_since_us
        reference = self.external_ref
        return (
            self.complaint_id,
            self.status,
            self.is_open,
            null if customer is None else customer,
            self.channel,
            null if dimension is None else dimension,
            null if cause is None else cause,
            null if product is None else product,
            self.severity,
            null if assignee is None else assignee,
            null if team is None else team,
            null if level is None else level,
            null if promise_due is None else promise_due,
            self.received_us,
            null if acknowledged is None else acknowledged,
            null if resolved is None else resolved,
            null if withdrawn is None else withdrawn,
            null if paused is None else paused,
            self.cycle,
            self.handled,
            self.after_care,
            self.last_activity_us,
            self.last_event_us,
            null if reference is None else reference,
            self.version,
        )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> _State:
        state = cls()
        for name, value in zip(_COLUMNS, row, strict=True):
            setattr(state, name, value)
        return state

    @classmethod
    def received(cls, complaint_id: str, at: int, data: dict[str, Any]) -> _State:
        category = data["category"] or {}
        state = cls()
        state.complaint_id = complaint_id
        state.customer_id = data["customer"]["id"]
        state.channel = data["channel"]
        state.dimension = category.get("dimension")
        state.cause = category.get("cause")
        state.product = category.get("product")
        state.severity = data["severity"]
        state.assignee = state.team = state.escalation_level = None
        state.promise_due_us = None
        state.received_us = at
        state.acknowledged_us = state.resolved_us = state.withdrawn_us = None
        state.paused_since_us = None
        state.cycle = 1
        state.handled = state.after_care = 0
        state.external_ref = data["external_ref"]
        state.version = 0
        return state

    def derive(self) -> None:
        facts = (
            self.withdrawn_us is not None,
            self.resolved_us is not None,
            self.after_care,
            self.paused_since_us is not None,
            self.cycle > 1,
            self.handled,
            self.escalation_level is not None,
            self.acknowledged_us is not None,
        )
        status = _STATUSES.get(facts)
        if status is None:
            status = _STATUSES[facts] = _derive(facts)
        self.status = status
        self.is_open = 1 if status in _OPEN else 0

    def keep_promise(self, at: int) -> None:
        due = self.promise_due_us
        if due is not None and at <= due:
            self.promise_due_us = None


class CurrentStateProjection(Projection[_State]):
    """Folds complaint events into current-state rows and their versions."""

    name = "current_state"
    tables = (TABLE,)
    per_complaint = True

    def config(self) -> str:
        return "current_state-1"

    def create_tables(self, tx: Transaction) -> None:
        columns = ", ".join(f"{name} {_column_type(name)}" for name in _COLUMNS)
        create_table(tx, TABLE, columns, "complaint_id")

    def create_indexes(self, tx: Transaction) -> None:
        # Every list query pages oldest first: (filter, received_us, complaint_id) indexes
        # answer a page by walking the index, at any table size.
        for column in ("is_open", "status", "assignee", "customer_id"):
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_{column} "
                f"ON {TABLE} ({column}, received_us, complaint_id)"
            )
        for column in ("dimension", "cause", "product"):
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_{column} "
                f"ON {TABLE} ({column}, received_us, complaint_id) WHERE {column} IS NOT NULL"
            )
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_last_event ON {TABLE} (last_event_us)")

    def load(self, store: ViewStore, complaint_ids: Sequence[str]) -> dict[str, _State]:
        rows = select_in(
            store,
            compose(
                "SELECT {column_list} FROM {table} WHERE complaint_id",
                column_list=_COLUMN_LIST,
                table=TABLE,
            ),
            complaint_ids,
        )
        return {row[0]: _State.from_row(row) for row in rows}

    def handle(self, events: Sequence[LogEvent]) -> None:
        cache = self.cache
        dirty = self.dirty
        for _, complaint_id, kind, at, data in events:
            if not kind:
                continue  # another aggregate's event: only the position moves
            if kind in NOT_ACTIVITY:
                found = cache.get(complaint_id)
                if found is not None:
                    found.version += 1
                    found.last_event_us = at
                    dirty[complaint_id] = found
                continue
            if kind == "Received":
                state = cache[complaint_id] = _State.received(complaint_id, at, data)
            else:
                found = cache.get(complaint_id)
                if found is None:
                    continue  # its Received was never recorded: nothing to attach it to
                state = found
                match kind:
                    case "Acknowledged":
                        state.acknowledged_us = at
                    case "Assigned":
                        state.assignee = data["assignee"]
                        state.team = data["team"]
                        state.handled = 1
                    case "Escalated":
                        state.escalation_level = data["level"]
                        state.handled = 1
                    case "PromiseMade":
                        state.promise_due_us = parse_us(data["due"])
                        state.handled = 1
                    case "CustomerInformed":
                        state.keep_promise(at)
                        state.handled = 1
                    case "Reclassified":
                        category = data["category"]
                        if category is not None:
                            state.dimension = category["dimension"]
                            state.cause = category["cause"]
                            state.product = category["product"]
                        if data["severity"] is not None:
                            state.severity = data["severity"]
                        state.handled = 1
                    case "Paused":
                        state.paused_since_us = at
                    case "Resumed":
                        state.paused_since_us = None
                    case "Resolved":
                        state.keep_promise(at)
                        state.paused_since_us = None
                        state.resolved_us = at
                    case "Reopened":
                        state.cycle += 1
                        state.handled = state.after_care = 0
                        state.resolved_us = None
                    case "FollowedUp":
                        if data["solved"]:
                            state.after_care = 1
                    case "Surveyed":
                        state.after_care = 1
                    case "Withdrawn":
                        state.paused_since_us = None
                        state.withdrawn_us = at
                    case _:
                        pass  # an event kind this projection does not show
            state.version += 1
            state.last_activity_us = state.last_event_us = at
            dirty[state.complaint_id] = state

    def write(self, tx: Transaction) -> None:
        if not self.dirty:
            return
        placeholders, null = marks(tx, _NULLABLE)
        rows = [state.row(null) for state in self.dirty.values()]
        write_rows(tx, TABLE, _COLUMNS, placeholders, "complaint_id", rows, new=self.rows_are_new)


def replay(events: Sequence[LogEvent], as_of: int) -> dict[str, _State]:
    """Fold each complaint's events that happened by ``as_of`` into throwaway rows."""
    projection = CurrentStateProjection()
    projection.handle([event for event in events if event[3] <= as_of])
    return projection.cache


# -- the view ------------------------------------------------------------------------------


def _opt_time(value: int | None) -> datetime | None:
    return from_us(value) if value is not None else None


@attrs.frozen
class ComplaintState:
    """A complaint's row as the current-state view holds it (now, or as of a past time)."""

    complaint_id: UUID
    status: Status
    customer_id: str | None
    channel: Channel
    category: Category | None
    severity: Severity
    assignee: str | None
    team: str | None
    escalation_level: EscalationLevel | None
    promise_due: datetime | None
    """Due time of the latest promise not kept (open while ahead, broken once passed)."""
    received_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    """When the current cycle was resolved."""
    withdrawn_at: datetime | None
    paused_since: datetime | None
    cycle: int
    last_activity_at: datetime
    """Business time of the last handling step."""
    external_ref: str | None
    version: int
    """How many events of the complaint the row reflects."""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def promise_broken(self, as_of: datetime) -> bool:
        return self.promise_due is not None and self.promise_due < as_of

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ComplaintState:
        values = dict(zip(_COLUMNS, row, strict=False))
        parts = (values["dimension"], values["cause"], values["product"])
        level = values["escalation_level"]
        return cls(
            complaint_id=UUID(hex=values["complaint_id"]),
            status=Status(values["status"]),
            customer_id=values["customer_id"],
            channel=Channel(values["channel"]),
            category=(
                Category(dimension=parts[0], cause=parts[1], product=parts[2])
                if any(part is not None for part in parts)
                else None
            ),
            severity=Severity(values["severity"]),
            assignee=values["assignee"],
            team=values["team"],
            escalation_level=EscalationLevel(level) if level is not None else None,
            promise_due=_opt_time(values["promise_due_us"]),
            received_at=from_us(values["received_us"]),
            acknowledged_at=_opt_time(values["acknowledged_us"]),
            resolved_at=_opt_time(values["resolved_us"]),
            withdrawn_at=_opt_time(values["withdrawn_us"]),
            paused_since=_opt_time(values["paused_since_us"]),
            cycle=values["cycle"],
            last_activity_at=from_us(values["last_activity_us"]),
            external_ref=values["external_ref"],
            version=values["version"],
        )


Cursor = tuple[datetime, UUID]
"""Keyset paging: ``(received_at, complaint_id)`` of the last row of the previous page."""


def _hex_id(complaint_id: UUID | str) -> str:
    return complaint_id.hex if isinstance(complaint_id, UUID) else UUID(str(complaint_id)).hex


def _order_key(row: Sequence[Any]) -> tuple[int, str]:
    return (row[_RECEIVED], row[0])


_RECEIVED = _COLUMNS.index("received_us")


class CurrentStateView:
    """Queries on the current-state view. Every query takes ``as_of`` (business time).

    Lists are ordered oldest first (``received_at``, then id) and paged with ``limit`` and
    either ``offset`` or, faster on deep pages, ``after`` (the :meth:`cursor` of the last
    row seen). ``as_of`` answers from the rows not touched since, plus a replay of the
    complaints active after it (see the module docstring).
    """

    def __init__(
        self,
        store: ViewStore,
        reader: LogReader | None = None,
        *,
        known_by: datetime | None = None,
    ) -> None:
        self._store = store
        self._reader = reader
        self._known_by = known_by

    def _events_of(self, complaint_ids: Sequence[str]) -> list[LogEvent]:
        if self._reader is None:
            msg = "as_of needs the log: open the view through Projections"
            raise RuntimeError(msg)
        events = self._reader.events_of(complaint_ids)
        if self._known_by is not None:
            events = recorded_by(self._known_by)(events)
        return events

    @staticmethod
    def cursor(state: ComplaintState) -> Cursor:
        return (state.received_at, state.complaint_id)

    # -- the one query behind the lists ------------------------------------------------------

    def _rows(
        self,
        conditions: Mapping[str, Any],
        *,
        as_of: datetime | None,
        limit: int,
        offset: int,
        after: Cursor | None,
    ) -> list[tuple[Any, ...]]:
        clauses = [f"{column} = ?" for column in conditions]
        params: list[Any] = list(conditions.values())
        if after is not None:
            clauses.append("(received_us, complaint_id) > (?, ?)")
            params.extend((to_us(after[0]), after[1].hex))
        if as_of is None:
            where = " AND ".join(clauses) or "1 = 1"
            return self._store.query(
                compose(
                    "SELECT {column_list} FROM {table} WHERE {where} ORDER BY received_us, "
                    "complaint_id LIMIT ? OFFSET ?",
                    column_list=_COLUMN_LIST,
                    table=TABLE,
                    where=where,
                ),
                (*params, limit, offset),
            )
        moment = to_us(as_of)
        where = " AND ".join([*clauses, "last_event_us <= ?"])
        unchanged = self._store.query(
            compose(
                "SELECT {column_list} FROM {table} WHERE {where} ORDER BY received_us, "
                "complaint_id LIMIT ?",
                column_list=_COLUMN_LIST,
                table=TABLE,
                where=where,
            ),
            (*params, moment, limit + offset),
        )
        cut = (to_us(after[0]), after[1].hex) if after is not None else None
        replayed = [
            row
            for row in self._replayed(moment)
            if all(row[_INDEX[column]] == value for column, value in conditions.items())
            and (cut is None or _order_key(row) > cut)
        ]
        merged = sorted([*unchanged, *replayed], key=_order_key)
        return merged[offset : offset + limit]

    def _replayed(self, moment: int) -> list[tuple[Any, ...]]:
        """Rows as of ``moment`` of the complaints received by then with events after it."""
        ids = [
            row[0]
            for row in self._store.query(
                compose(
                    "SELECT complaint_id FROM {table} WHERE last_event_us > ? AND received_us <= ?",
                    table=TABLE,
                ),
                (moment, moment),
            )
        ]
        if not ids:
            return []
        return [state.row() for state in replay(self._events_of(ids), moment).values()]

    def _list(
        self,
        conditions: Mapping[str, Any],
        *,
        as_of: datetime | None,
        limit: int,
        offset: int,
        after: Cursor | None,
    ) -> list[ComplaintState]:
        rows = self._rows(conditions, as_of=as_of, limit=limit, offset=offset, after=after)
        return [ComplaintState.from_row(row) for row in rows]

    # -- queries -----------------------------------------------------------------------------

    def get(
        self, complaint_id: UUID | str, *, as_of: datetime | None = None
    ) -> ComplaintState | None:
        """One complaint's row; ``None`` if it is unknown (or not yet received at ``as_of``)."""
        wanted = _hex_id(complaint_id)
        if as_of is not None:
            moment = to_us(as_of)
            states = replay(self._events_of([wanted]), moment)
            return ComplaintState.from_row(states[wanted].row()) if wanted in states else None
        found = self._list({"complaint_id": wanted}, as_of=None, limit=1, offset=0, after=None)
        return found[0] if found else None

    def open(
        self,
        *,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
    ) -> list[ComplaintState]:
        """Open complaints, oldest first: the work queue."""
        return self._list({"is_open": 1}, as_of=as_of, limit=limit, offset=offset, after=after)

    def by_status(
        self,
        status: Status | str,
        *,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
    ) -> list[ComplaintState]:
        return self._list(
            {"status": Status(status).value}, as_of=as_of, limit=limit, offset=offset, after=after
        )

    def by_assignee(
        self,
        assignee: str,
        *,
        open_only: bool = False,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
    ) -> list[ComplaintState]:
        conditions: dict[str, Any] = {"assignee": assignee}
        if open_only:
            conditions["is_open"] = 1
        return self._list(conditions, as_of=as_of, limit=limit, offset=offset, after=after)

    def by_customer(
        self,
        customer_id: str,
        *,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
    ) -> list[ComplaintState]:
        return self._list(
            {"customer_id": customer_id}, as_of=as_of, limit=limit, offset=offset, after=after
        )

    def by_category(
        self,
        *,
        dimension: str | None = None,
        cause: str | None = None,
        product: str | None = None,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
    ) -> list[ComplaintState]:
        """Complaints whose category has all the given parts (at least one is required)."""
        conditions = _category_conditions(dimension, cause, product)
        return self._list(conditions, as_of=as_of, limit=limit, offset=offset, after=after)

    def count(
        self,
        *,
        status: Status | str | None = None,
        open_only: bool = False,
        assignee: str | None = None,
        customer_id: str | None = None,
        as_of: datetime | None = None,
    ) -> int:
        conditions: dict[str, Any] = {}
        if status is not None:
            conditions["status"] = Status(status).value
        if open_only:
            conditions["is_open"] = 1
        if assignee is not None:
            conditions["assignee"] = assignee
        if customer_id is not None:
            conditions["customer_id"] = customer_id
        clauses = [f"{column} = ?" for column in conditions]
        params: list[Any] = list(conditions.values())
        if as_of is None:
            where = " AND ".join(clauses) or "1 = 1"
            return int(
                self._store.query(
                    compose("SELECT COUNT(*) FROM {table} WHERE {where}", table=TABLE, where=where),
                    params,
                )[0][0]
            )
        moment = to_us(as_of)
        where = " AND ".join([*clauses, "last_event_us <= ?"])
        unchanged = int(
            self._store.query(
                compose("SELECT COUNT(*) FROM {table} WHERE {where}", table=TABLE, where=where),
                (*params, moment),
            )[0][0]
        )
        replayed = sum(
            1
            for row in self._replayed(moment)
            if all(row[_INDEX[column]] == value for column, value in conditions.items())
        )
        return unchanged + replayed

    def counts_by_status(self, *, as_of: datetime | None = None) -> dict[Status, int]:
        """How many complaints are in each status (statuses with none are left out)."""
        counts: dict[str, int] = {}
        if as_of is None:
            rows = self._store.query(
                compose("SELECT status, COUNT(*) FROM {table} GROUP BY status", table=TABLE)
            )
        else:
            moment = to_us(as_of)
            rows = self._store.query(
                compose(
                    "SELECT status, COUNT(*) FROM {table} WHERE last_event_us <= ? GROUP BY status",
                    table=TABLE,
                ),
                (moment,),
            )
            for row in self._replayed(moment):
                counts[row[1]] = counts.get(row[1], 0) + 1
        for status, count in rows:
            counts[status] = counts.get(status, 0) + int(count)
        return {Status(status): counts[status] for status in sorted(counts)}


_INDEX = {name: index for index, name in enumerate(_COLUMNS)}


def _category_conditions(
    dimension: str | None, cause: str | None, product: str | None
) -> dict[str, Any]:
    conditions = {
        column: value
        for column, value in (("dimension", dimension), ("cause", cause), ("product", product))
        if value is not None
    }
    if not conditions:
        from complaintlog.errors import InvalidValueError

        raise InvalidValueError("category", None, "give a dimension, a cause or a product")
    return conditions

"""The current-state query view: one complaint, work queues and lists, counts.

``ComplaintState`` is the row as a query returns it; ``CurrentStateView`` answers from the
stored rows, and for a past ``as_of`` merges them with a replay of the complaints active
since (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from complaintlog.domain.status import OPEN_STATUSES, Status
from complaintlog.domain.values import (
    DEFAULT_TENANT,
    Category,
    Channel,
    EscalationLevel,
    Severity,
)
from complaintlog.errors import InvalidValueError
from complaintlog.projections._framework.follower import recorded_by
from complaintlog.projections._framework.reader import LogEvent, LogReader, from_us, to_us
from complaintlog.projections._store import ViewStore, compose
from complaintlog.projections.current_state._projection import replay
from complaintlog.projections.current_state._rows import _COLUMN_LIST, _COLUMNS, TABLE


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
    tenant: str = DEFAULT_TENANT
    """The brand or legal entity the complaint belongs to."""

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
            tenant=values["tenant"],
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
        tenant: str | None = None,
    ) -> list[ComplaintState]:
        """Open complaints (of ``tenant``, if given), oldest first: the work queue."""
        conditions = _with_tenant({"is_open": 1}, tenant)
        return self._list(conditions, as_of=as_of, limit=limit, offset=offset, after=after)

    def by_status(
        self,
        status: Status | str,
        *,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
        tenant: str | None = None,
    ) -> list[ComplaintState]:
        conditions = _with_tenant({"status": Status(status).value}, tenant)
        return self._list(conditions, as_of=as_of, limit=limit, offset=offset, after=after)

    def by_assignee(
        self,
        assignee: str,
        *,
        open_only: bool = False,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
        tenant: str | None = None,
    ) -> list[ComplaintState]:
        conditions: dict[str, Any] = _with_tenant({"assignee": assignee}, tenant)
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
        tenant: str | None = None,
    ) -> list[ComplaintState]:
        conditions = _with_tenant({"customer_id": customer_id}, tenant)
        return self._list(conditions, as_of=as_of, limit=limit, offset=offset, after=after)

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
        tenant: str | None = None,
    ) -> list[ComplaintState]:
        """Complaints whose category has all the given parts (at least one is required)."""
        conditions = _with_tenant(_category_conditions(dimension, cause, product), tenant)
        return self._list(conditions, as_of=as_of, limit=limit, offset=offset, after=after)

    def by_team(
        self,
        team: str,
        *,
        open_only: bool = False,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
        tenant: str | None = None,
    ) -> list[ComplaintState]:
        """Complaints assigned to ``team``, oldest first."""
        return self.search(
            team=team,
            open_only=open_only,
            tenant=tenant,
            as_of=as_of,
            limit=limit,
            offset=offset,
            after=after,
        )

    def search(
        self,
        *,
        status: Status | str | None = None,
        open_only: bool = False,
        team: str | None = None,
        assignee: str | None = None,
        customer_id: str | None = None,
        dimension: str | None = None,
        cause: str | None = None,
        product: str | None = None,
        tenant: str | None = None,
        as_of: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        after: Cursor | None = None,
    ) -> list[ComplaintState]:
        """Complaints matching every filter given (none: all), oldest first, in pages.

        >>> views.current_state.search(tenant="brand-a", team="billing",
        ...                            status="acknowledged", product="broadband")  # doctest: +SKIP
        """
        conditions = _filters(
            status, open_only, team, assignee, customer_id, dimension, cause, product, tenant
        )
        return self._list(conditions, as_of=as_of, limit=limit, offset=offset, after=after)

    def count(
        self,
        *,
        status: Status | str | None = None,
        open_only: bool = False,
        assignee: str | None = None,
        customer_id: str | None = None,
        team: str | None = None,
        dimension: str | None = None,
        cause: str | None = None,
        product: str | None = None,
        tenant: str | None = None,
        as_of: datetime | None = None,
    ) -> int:
        """How many complaints match every filter given (the filters of :meth:`search`)."""
        conditions = _filters(
            status, open_only, team, assignee, customer_id, dimension, cause, product, tenant
        )
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

    def counts_by_status(
        self, *, as_of: datetime | None = None, tenant: str | None = None
    ) -> dict[Status, int]:
        """How many complaints (of ``tenant``, if given) are in each status (statuses with
        none are left out)."""
        counts: dict[str, int] = {}
        clauses = ["tenant = ?"] if tenant is not None else []
        params: list[Any] = [tenant] if tenant is not None else []
        if as_of is None:
            rows = self._store.query(
                compose(
                    "SELECT status, COUNT(*) FROM {table} WHERE {where} GROUP BY status",
                    table=TABLE,
                    where=" AND ".join(clauses) or "1 = 1",
                ),
                params,
            )
        else:
            moment = to_us(as_of)
            rows = self._store.query(
                compose(
                    "SELECT status, COUNT(*) FROM {table} WHERE {where} GROUP BY status",
                    table=TABLE,
                    where=" AND ".join(["last_event_us <= ?", *clauses]),
                ),
                (moment, *params),
            )
            for row in self._replayed(moment):
                if tenant is None or row[_INDEX["tenant"]] == tenant:
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
        raise InvalidValueError("category", None, "give a dimension, a cause or a product")
    return conditions


def _filters(
    status: Status | str | None,
    open_only: bool,
    team: str | None,
    assignee: str | None,
    customer_id: str | None,
    dimension: str | None,
    cause: str | None,
    product: str | None,
    tenant: str | None = None,
) -> dict[str, Any]:
    """Column conditions of the filters given; values are parameters, never SQL."""
    conditions: dict[str, Any] = {}
    if status is not None:
        conditions["status"] = Status(status).value
    if open_only:
        conditions["is_open"] = 1
    for column, value in (
        ("team", team),
        ("assignee", assignee),
        ("customer_id", customer_id),
        ("dimension", dimension),
        ("cause", cause),
        ("product", product),
        ("tenant", tenant),
    ):
        if value is not None:
            conditions[column] = value
    return conditions


def _with_tenant(conditions: dict[str, Any], tenant: str | None) -> dict[str, Any]:
    if tenant is not None:
        conditions["tenant"] = tenant
    return conditions

"""The agenda view: what is due, for whom, by when, at any ``as_of`` in business time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from complaintlog.errors import InvalidValueError
from complaintlog.projections._framework.reader import from_us, to_us
from complaintlog.projections._store import ViewStore, compose
from complaintlog.projections.agenda._rows import (
    ITEMS,
    SHOWN_COLUMNS,
    AgendaAction,
    clock_parts,
    metrics_of,
)
from complaintlog.projections.sla._rows import CASES

__all__ = ["AgendaItem", "AgendaView"]


@attrs.frozen
class AgendaItem:
    """One thing a handler has to do, by when, and what asks for it."""

    complaint_id: UUID
    external_ref: str | None
    action: AgendaAction
    due: datetime
    """The deadline (for ``send_survey``, the close of its window)."""
    opens: datetime | None
    """When the action may first be taken (the survey window's opening), if it has a start."""
    assignee: str | None
    team: str | None
    overdue: bool
    """Due before ``as_of``."""
    source: str
    """``"promise"`` for a promise made to the customer, else ``"target"``."""
    target: str
    """The policy's target (for a promise, the target that measures it)."""
    promise_id: UUID | None
    cycle: int

    @property
    def uid(self) -> str:
        """Stable across runs: the complaint and the action (the promise, the cycle)."""
        which = self.promise_id if self.promise_id is not None else f"{self.cycle}-{self.target}"
        return f"{self.complaint_id}-{self.action.value}-{which}@complaintlog"

    def to_json(self) -> dict[str, Any]:
        """Ids as strings, times ISO 8601."""
        return {
            "complaint_id": str(self.complaint_id),
            "external_ref": self.external_ref,
            "action": self.action.value,
            "due": self.due.isoformat(),
            "opens": self.opens.isoformat() if self.opens is not None else None,
            "assignee": self.assignee,
            "team": self.team,
            "overdue": self.overdue,
            "source": self.source,
            "target": self.target,
            "promise_id": str(self.promise_id) if self.promise_id is not None else None,
            "cycle": self.cycle,
        }


def _aware(name: str, value: datetime) -> int:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidValueError(name, value, "an aware datetime (with a time zone)")
    return to_us(value)


def _actions(actions: Iterable[AgendaAction | str] | None) -> list[str] | None:
    if actions is None:
        return None
    if isinstance(actions, str):
        actions = [actions]
    chosen: list[str] = []
    for action in actions:
        try:
            chosen.append(AgendaAction(action).value)
        except ValueError:
            rule = f"one of {[a.value for a in AgendaAction]}"
            raise InvalidValueError("actions", action, rule) from None
    return chosen


class AgendaView:
    """Queries on the agenda's item segments (see :mod:`complaintlog.projections.agenda`)."""

    def __init__(self, store: ViewStore) -> None:
        self._store = store

    def due(
        self,
        *,
        as_of: datetime,
        until: datetime | None = None,
        assignee: str | None = None,
        team: str | None = None,
        actions: Iterable[AgendaAction | str] | None = None,
        limit: int | None = None,
        tenant: str | None = None,
    ) -> list[AgendaItem]:
        """What is due by ``until`` (default ``as_of``), as the agenda stood at ``as_of``.

        Items standing at ``as_of`` (made by then, not yet done, not paused, held by
        ``assignee`` / ``team`` then, of ``tenant``'s complaints if given) that come on the
        agenda by ``until``: due by then, or, for an action with a window (the survey), its
        window open by then. Earliest due first; ``overdue`` when due before ``as_of``.
        """
        now = _aware("as_of", as_of)
        horizon = now if until is None else _aware("until", until)
        if horizon < now:
            raise InvalidValueError("until", until, "must not be before as_of")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise InvalidValueError("limit", limit, "a positive whole number")
        clauses = ["from_us <= ?", "list_us <= ?"]
        params: list[Any] = [now, horizon]
        for column, value in (("assignee", assignee), ("team", team)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if tenant is not None:  # a complaint's tenant never changes: its case row's
            clauses.append(
                compose(
                    "complaint_id IN (SELECT complaint_id FROM {cases} WHERE tenant = ?)",
                    cases=CASES,
                )
            )
            params.append(tenant)
        chosen = _actions(actions)
        if chosen is not None:
            if not chosen:
                return []
            # The action is not stored: it is the clock key's metric (``metric/...``).
            metrics = [metric for action in chosen for metric in metrics_of(action)]
            clauses.append(
                "(" + " OR ".join(f"substr(clock_key, 1, {len(m) + 1}) = ?" for m in metrics) + ")"
            )
            params.extend(f"{metric}/" for metric in metrics)
        where = " AND ".join(clauses)
        tail = " ORDER BY due_us, complaint_id, clock_key" + (
            f" LIMIT {int(limit)}" if limit is not None else ""
        )
        columns = ", ".join(SHOWN_COLUMNS)
        rows = self._store.query(
            compose(
                "SELECT {columns} FROM {items} WHERE end_us IS NULL AND {where}{tail}",
                columns=columns,
                items=ITEMS,
                where=where,
                tail=tail,
            ),
            params,
        ) + self._store.query(
            compose(
                "SELECT {columns} FROM {items} WHERE end_us > ? AND {where}{tail}",
                columns=columns,
                items=ITEMS,
                where=where,
                tail=tail,
            ),
            [now, *params],
        )
        rows.sort(key=lambda row: (row[3], row[0], row[1]))
        if limit is not None:
            rows = rows[:limit]
        return [_item(row, now) for row in rows]


def _item(row: Sequence[Any], now: int) -> AgendaItem:
    (complaint_id, clock_key, cycle, due, opens, assignee, team, ref) = row
    action, target, promise_id = clock_parts(clock_key)
    return AgendaItem(
        complaint_id=UUID(hex=complaint_id),
        external_ref=ref,
        action=AgendaAction(action),
        due=from_us(due),
        opens=from_us(opens) if opens is not None else None,
        assignee=assignee,
        team=team,
        overdue=due < now,
        source="promise" if promise_id is not None else "target",
        target=target,
        promise_id=UUID(promise_id) if promise_id else None,
        cycle=int(cycle),
    )

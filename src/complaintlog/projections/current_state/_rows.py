"""The current-state view's table and the row the fold works on.

The table name and columns, their SQL types, which events are no handling step
(``NOT_ACTIVITY``), and the slotted ``_State`` (a complaint's row while it is folded, with
its status derived from the shared rules), which turns itself into its table row and back.
Shared by the projection, which writes the rows, and the view, which reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from complaintlog.domain.status import OPEN_STATUSES, derive_status
from complaintlog.domain.values import DEFAULT_TENANT

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
    "tenant",
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
    "tenant": "TEXT NOT NULL",
    "received_us": "BIGINT NOT NULL",
    "last_activity_us": "BIGINT NOT NULL",
    "last_event_us": "BIGINT NOT NULL",
}
_COLUMN_LIST = ", ".join(_COLUMNS)
NOT_ACTIVITY = frozenset({"PersonalDataErased", "ReviewNoted", "SignedOff"})
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
    tenant: str

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
            self.tenant,
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
        state.tenant = data.get("tenant") or DEFAULT_TENANT
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

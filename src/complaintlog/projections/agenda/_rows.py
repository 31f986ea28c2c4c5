"""The agenda's tables and the rows its fold keeps: who holds a complaint, and item segments.

An item is a running SLA clock seen from the handler's side (the action it asks for, by
when). Its row is a *segment*: the item as it stood from ``from_us`` until ``end_us``
(``NULL`` while it still stands), with the assignee, team and due time of that stretch. A
reassignment, a pause that stops the clock, a resume that moves the due time, or the step
that does it ends the segment (and, while the item stands, starts the next one), so the
agenda ``as_of`` any past moment is the segments whose stretch covers it.
"""

from __future__ import annotations

from enum import StrEnum
from operator import attrgetter
from typing import Any

__all__ = ["ACTIONS", "ITEMS", "AgendaAction", "clock_parts", "metrics_of"]

ITEMS = "complaintlog_agenda_items"


class AgendaAction(StrEnum):
    """What a handler has to do."""

    ACKNOWLEDGE = "acknowledge"
    RESPOND = "respond"
    INFORM = "inform"
    RESOLVE = "resolve"
    SEND_SURVEY = "send_survey"
    FOLLOW_UP = "follow_up"


ACTIONS = {
    "acknowledge": "acknowledge",
    "first_response": "respond",
    "promise": "inform",
    "resolve": "resolve",
    "survey": "send_survey",
    "follow_up": "follow_up",
}
"""The action an SLA metric's running clock asks for."""

ITEM_COLUMNS = (
    "complaint_id",
    "clock_key",
    "cycle",
    "from_us",
    "end_us",
    "due_us",
    "opens_us",
    "list_us",
    "assignee",
    "team",
    "external_ref",
)
SHOWN_COLUMNS = (
    "complaint_id",
    "clock_key",
    "cycle",
    "due_us",
    "opens_us",
    "assignee",
    "team",
    "external_ref",
)
ITEM_NULLABLE = tuple(
    name in {"end_us", "opens_us", "assignee", "team", "external_ref"} for name in ITEM_COLUMNS
)
HOLDER_NULLABLE = (False, True, True, True)
CHANGING_COLUMNS = ("end_us", "due_us", "opens_us", "list_us", "assignee", "team")
"""What a stored segment's row can still change (the rest is its key and its clock's)."""
KEY_COLUMNS = ("complaint_id", "clock_key", "from_us")


_ITEM_VALUES = attrgetter(*ITEM_COLUMNS)
"""A segment's values in column order, read in C (a rebuild writes about six per complaint)."""
_UPDATE_VALUES = attrgetter(*CHANGING_COLUMNS, *KEY_COLUMNS)


def clock_parts(clock_key: str) -> tuple[str, str, str | None]:
    """The action, target and promise id a clock key names (``metric/cycle/target`` or
    ``promise/<promise id>/target``): the rows do not store them again."""
    metric, middle, target = clock_key.split("/", 2)
    return ACTIONS[metric], target, middle if metric == "promise" else None


def metrics_of(action: str) -> list[str]:
    """The SLA metrics whose running clocks ask for ``action``."""
    return sorted(metric for metric, asked in ACTIONS.items() if asked == action)


def item_type(name: str) -> str:
    if name in {"cycle", "from_us", "due_us", "list_us"}:
        return "BIGINT NOT NULL"
    if name.endswith("_us"):
        return "BIGINT"
    if name in {"complaint_id", "clock_key", "action", "target"}:
        return "TEXT NOT NULL"
    return "TEXT"


class Segment:
    """One stretch of an item, while the fold keeps it."""

    __slots__ = (*ITEM_COLUMNS, "stored")

    complaint_id: str
    clock_key: str
    cycle: int
    from_us: int
    end_us: int | None
    due_us: int
    opens_us: int | None
    list_us: int
    """When the item comes on the agenda: its window's opening, else its due time."""
    assignee: str | None
    team: str | None
    external_ref: str | None
    stored: bool
    """Its row is in the table (it is then updated by its key, else inserted)."""

    def row(self, null: int | None) -> tuple[Any, ...]:
        values: tuple[Any, ...] = _ITEM_VALUES(self)
        if null is None or None not in values:
            return values
        return tuple(null if value is None else value for value in values)

    def update_row(self) -> tuple[Any, ...]:
        """The changing columns, then the key (the parameters of ``UPDATE ... WHERE key``)."""
        values: tuple[Any, ...] = _UPDATE_VALUES(self)
        return values

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Segment:
        segment = cls()
        for name, value in zip(ITEM_COLUMNS, row, strict=True):
            setattr(segment, name, value)
        segment.stored = True
        return segment


class Holder:
    """Who holds a complaint, its reference, and its items' open segments."""

    __slots__ = ("assignee", "complaint_id", "dirty", "external_ref", "open", "pending", "team")

    def __init__(self, complaint_id: str, external_ref: str | None) -> None:
        self.complaint_id = complaint_id
        self.assignee: str | None = None
        self.team: str | None = None
        self.external_ref = external_ref
        self.open: dict[str, Segment] = {}
        """The segments still standing, by clock key."""
        self.pending: dict[tuple[str, int], Segment] = {}
        """Segments changed since the last write, by clock key and start (their row key)."""
        self.dirty = True

    def row(self, null: int | None) -> tuple[Any, ...]:
        return (
            self.complaint_id,
            null if self.assignee is None else self.assignee,
            null if self.team is None else self.team,
            null if self.external_ref is None else self.external_ref,
        )

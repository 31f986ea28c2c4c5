"""The SLA view's tables and the rows the projection folds: cases and clocks.

The table names and columns, their SQL types, and the two slotted classes the fold works on
(``_Case``, a complaint's classification, cycle and pause; ``_Clock``, one clock), each of
which turns itself into its table row. Shared by the projection, which writes the rows, and
the view, which reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from complaintlog.domain.sla_policy import SlaTarget

__all__ = ["CASES", "CLOCKS", "WAIT_BITS", "wait_mask"]

WAIT_BITS = {"customer": 1, "third_party": 2, "internal": 4}
"""Each wait (``WaitingFor``) as a bit of a clock's ``stops_on_pause`` mask."""


def wait_mask(target: SlaTarget) -> int:
    """The mask of the waits that stop ``target``'s clock."""
    return sum(WAIT_BITS[wait.value] for wait in target.stopped_by)


CASES = "complaintlog_sla_cases"
CLOCKS = "complaintlog_sla_clocks"

_CASE_COLUMNS = (
    "complaint_id",
    "channel",
    "severity",
    "dimension",
    "cause",
    "product",
    "cycle",
    "paused_since_us",
    "not_recorded",
    "late_by_source",
    "paused_for",
    "tenant",
)
_CLOCK_COLUMNS = (
    "complaint_id",
    "clock_key",
    "target",
    "metric",
    "cycle",
    "promise_id",
    "clock_kind",
    "stops_on_pause",
    "started_us",
    "due_us",
    "warn_us",
    "earliest_us",
    "promised_us",
    "paused_total_us",
    "paused_since_us",
    "met_us",
    "cancelled_us",
)
_DERIVED = ("breach_us", "outcome_us", "on_time")
_Spec = tuple[SlaTarget, str, str, str, int, bool, int, int | None, int | None]
"""A target as the fold uses it: the target, its name, metric and clock kind values, 1 if
pauses stop it, whether it is a calendar clock, ``within`` and ``not_before`` in
microseconds, and the business days of a "close of the Nth business day" target."""
_ALL_CLOCK_COLUMNS = (*_CLOCK_COLUMNS, *_DERIVED)
_OUTCOME = _ALL_CLOCK_COLUMNS.index("outcome_us")
_ON_TIME = _ALL_CLOCK_COLUMNS.index("on_time")
_CLOCK_LIST = ", ".join(_ALL_CLOCK_COLUMNS)


def _type(name: str) -> str:
    if name in {"complaint_id", "clock_key", "target", "metric", "clock_kind", "channel"}:
        return "TEXT NOT NULL"
    if name in {"severity", "tenant"}:
        return "TEXT NOT NULL"
    if name == "paused_for":
        return "BIGINT"
    if name in {"cycle", "stops_on_pause", "started_us", "due_us", "paused_total_us"}:
        return "BIGINT NOT NULL"
    if name.endswith("_us") or name == "on_time":
        return "BIGINT"
    return "TEXT"


_CASE_NULLABLE = tuple(
    name in {"paused_since_us", "not_recorded", "late_by_source", "paused_for"}
    for name in _CASE_COLUMNS
)
"""Which case columns the row builder may mark NULL (:func:`marks`); the category parts
are bound as they are, rarely missing."""
_CLOCK_NULLABLE = tuple("NOT NULL" not in _type(name) for name in _ALL_CLOCK_COLUMNS)


class _Clock:
    """One clock while it is being folded."""

    __slots__ = (*_CLOCK_COLUMNS, "dirty", "stored")

    complaint_id: str
    clock_key: str
    target: str
    metric: str
    cycle: int
    promise_id: str | None
    clock_kind: str
    stops_on_pause: int
    """The waits that stop this clock, as a mask of ``WAIT_BITS`` (0: none)."""
    started_us: int
    due_us: int
    warn_us: int | None
    """Computed when needed: for clocks still running when written, or being paused."""
    earliest_us: int | None
    promised_us: int | None
    paused_total_us: int
    paused_since_us: int | None
    met_us: int | None
    cancelled_us: int | None
    dirty: bool
    stored: bool
    """Its row is in the table: updated by its key (the table has no key index), else
    inserted."""

    @property
    def running(self) -> bool:
        return self.met_us is None and self.cancelled_us is None

    def row(self, null: int | None = None, informational: bool = False) -> tuple[Any, ...]:
        """The clock's row, with ``null`` for NULL (see :func:`marks`); an informational
        clock's has no outcome, so it counts towards no rate."""
        due = self.due_us
        met = self.met_us
        cancelled = self.cancelled_us
        paused = self.paused_since_us
        breach = (
            due
            if paused is None
            and (met is None or met > due)
            and (cancelled is None or cancelled > due)
            else None
        )
        earliest = self.earliest_us
        on_time: int | None
        if met is not None and met <= due:
            on_time = 0 if earliest is not None and met < earliest else 1
            outcome: int | None = met
        else:
            on_time = 0 if breach is not None else None
            outcome = breach
        if informational:
            outcome = on_time = None
        warn = self.warn_us
        promised = self.promised_us
        promise_id = self.promise_id
        return (
            self.complaint_id,
            self.clock_key,
            self.target,
            self.metric,
            self.cycle,
            null if promise_id is None else promise_id,
            self.clock_kind,
            self.stops_on_pause,
            self.started_us,
            due,
            null if warn is None else warn,
            null if earliest is None else earliest,
            null if promised is None else promised,
            self.paused_total_us,
            null if paused is None else paused,
            null if met is None else met,
            null if cancelled is None else cancelled,
            null if breach is None else breach,
            null if outcome is None else outcome,
            null if on_time is None else on_time,
        )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> _Clock:
        clock = cls()
        for name, value in zip(_CLOCK_COLUMNS, row, strict=False):
            setattr(clock, name, value)
        clock.dirty = False
        clock.stored = True
        return clock


class _Case:
    """A complaint as the SLA projection needs it: classification, cycle, pause, clocks."""

    __slots__ = (*_CASE_COLUMNS, "clocks")

    complaint_id: str
    channel: str
    severity: str
    dimension: str | None
    cause: str | None
    product: str | None
    cycle: int
    paused_since_us: int | None
    not_recorded: str | None
    """The metrics whose steps the complaint's source never records, space-separated:
    their targets do not apply (see ``STEPS_NOT_RECORDED``)."""
    late_by_source: str | None
    """The source's own verdict that the complaint was answered late (``LATE_BY_SOURCE``)."""
    paused_for: int | None
    """While paused, the bit (``WAIT_BITS``) of whom the complaint waits on."""
    tenant: str
    """Whose policy measures the complaint."""
    clocks: list[_Clock]

    def row(self, null: int | None = None) -> tuple[Any, ...]:
        paused = self.paused_since_us
        not_recorded = self.not_recorded
        late = self.late_by_source
        paused_for = self.paused_for
        return (
            self.complaint_id,
            self.channel,
            self.severity,
            self.dimension,
            self.cause,
            self.product,
            self.cycle,
            null if paused is None else paused,
            null if not_recorded is None else not_recorded,
            null if late is None else late,
            null if paused_for is None else paused_for,
            self.tenant,
        )

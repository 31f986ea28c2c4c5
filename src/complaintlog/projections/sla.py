"""SLA clocks and breach lists under an :class:`~complaintlog.domain.sla_policy.SlaPolicy`.

Per complaint and applicable target the projection keeps a *clock*: when it started, when
it falls due, when the warning threshold passes, how long it was paused, when it was met or
cancelled. Due times are computed when the events arrive, with the policy's business
calendar; a breach happens when time passes, not when an event arrives, so every query takes
``as_of`` and answers from the stored times:

* ``breach_us`` is the clock's due time when the clock is (or, if nothing else happens,
  will be) breaching: not met by its due time, not cancelled before it, and not paused.
  ``breaches(as_of)`` is then ``breach_us < as_of``: clocks past due and not met by then,
  or met late. One indexed range, at any past or present ``as_of``.
* Pauses: while a complaint is paused, clocks of targets with ``pauses_stop_clock`` stand
  still (``paused_since_us``; a paused clock never breaches). On resume, the remaining
  time on the target's clock is counted again from the resume: ``due = add(resume,
  between(pause, due))``, likewise the warning time; a clock already past due when the
  pause began stays breached. Because due times only ever move later, and only for pauses
  that began before them, the stored due time is also the right answer for a past
  ``as_of``.

What starts and stops which clock (the targets applying to a complaint are chosen, from its
channel, severity and category, when the clock starts; a later reclassification applies to
clocks started afterwards):

========================  ==========================  =================================
metric                    started by                  met by
========================  ==========================  =================================
``acknowledge``           Received                    Acknowledged
``first_response``        Received                    Acknowledged or PromiseMade
``resolve``               Received, Reopened (cycle)  Resolved (of that cycle)
``promise``               PromiseMade (its own due)   CustomerInformed or Resolved
``follow_up``             Resolved                    FollowedUp
``survey``                Resolved                    Surveyed (early if before
                                                      ``not_before``: not compliant)
========================  ==========================  =================================

A withdrawal cancels running clocks; a reopening cancels the previous cycle's follow-up and
survey clocks; a new promise made while an earlier one is still open supersedes it (as in
the aggregate). A promise kept after its due time counts as met late. A policy without a
``promise`` target gets an implicit one (``promise``: by the promised time, calendar
clock, pauses do not move it), so broken promises are always known.

Clocks of ``informational`` targets are kept like the others, but they are no obligation:
their rows have no outcome (so the statistics count them towards no compliance rate), and
the view's breach and at-risk queries leave them out unless asked for them
(``include_informational=True``, or naming the target).

Beside the clock rows the projection keeps the number of clocks decided (and of those on
time) per local day of the policy calendar and metric (``_sla_days``): the statistics
report's compliance rates, a few rows a month. A catch-up moves them by the changed clocks'
difference; a rebuild derives them from the clock rows at its end (``create_indexes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import ClockKind, Metric, SlaPolicy, SlaTarget
from complaintlog.domain.values import Category, Channel, Severity
from complaintlog.projections import _sla_days
from complaintlog.projections._framework import (
    Follower,
    LogEvent,
    Projection,
    from_us,
    parse_us,
    select_in,
    to_us,
)
from complaintlog.projections._statistics_days import DayStarts
from complaintlog.projections._store import (
    SqliteViewStore,
    Transaction,
    ViewStore,
    compose,
    create_table,
    marks,
    write_rows,
)

if TYPE_CHECKING:
    from complaintlog.application import ComplaintLog

__all__ = ["Clock", "SlaProjection", "SlaView", "WhatIf", "what_if"]

CASES = "complaintlog_sla_cases"
CLOCKS = "complaintlog_sla_clocks"

IMPLICIT_PROMISE = SlaTarget(
    name="promise",
    metric=Metric.PROMISE,
    within=timedelta(0),
    clock=ClockKind.CALENDAR,
    pauses_stop_clock=False,
)

_US = timedelta(microseconds=1)

_CASE_COLUMNS = (
    "complaint_id",
    "channel",
    "severity",
    "dimension",
    "cause",
    "product",
    "cycle",
    "paused_since_us",
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
    if name in {"severity"}:
        return "TEXT NOT NULL"
    if name in {"cycle", "stops_on_pause", "started_us", "due_us", "paused_total_us"}:
        return "BIGINT NOT NULL"
    if name.endswith("_us") or name == "on_time":
        return "BIGINT"
    return "TEXT"


_CASE_NULLABLE = tuple(name == "paused_since_us" for name in _CASE_COLUMNS)
"""Which case columns the row builder may mark NULL (:func:`marks`); the category parts
are bound as they are, rarely missing."""
_CLOCK_NULLABLE = tuple("NOT NULL" not in _type(name) for name in _ALL_CLOCK_COLUMNS)


class _Clock:
    """One clock while it is being folded."""

    __slots__ = (*_CLOCK_COLUMNS, "dirty")

    complaint_id: str
    clock_key: str
    target: str
    metric: str
    cycle: int
    promise_id: str | None
    clock_kind: str
    stops_on_pause: int
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
    clocks: list[_Clock]

    def row(self, null: int | None = None) -> tuple[Any, ...]:
        paused = self.paused_since_us
        return (
            self.complaint_id,
            self.channel,
            self.severity,
            self.dimension,
            self.cause,
            self.product,
            self.cycle,
            null if paused is None else paused,
        )


class SlaProjection(Projection[_Case]):
    """Keeps SLA clocks under one policy (its targets and its business calendar)."""

    name = "sla"
    tables = (CASES, CLOCKS, _sla_days.OUTCOME_DAYS)
    per_complaint = True

    def __init__(self, policy: SlaPolicy) -> None:
        super().__init__()
        self.policy = policy
        self._has_promise_target = any(t.metric is Metric.PROMISE for t in policy.targets)
        self._targets: dict[tuple[Any, ...], tuple[SlaTarget, ...]] = {}
        self._by_channel = any(t.channels is not None for t in policy.targets)
        self._by_severity = any(t.severities is not None for t in policy.targets)
        self._by_category = any(t.categories is not None for t in policy.targets)
        self._informational = frozenset(t.name for t in policy.targets if t.informational)
        self._specs: dict[int, _Spec] = {}
        self._named = {target.name: target for target in policy.targets}
        self._zone = policy.calendar.time_zone.key
        self._day_of = DayStarts(policy.calendar.time_zone)
        self._days_kept = False
        """Whether :meth:`write` keeps the outcome day rows up to date: not while a rebuild
        writes the clock rows (the day rows are derived from them at its end, in
        :meth:`create_indexes`)."""
        self._counted: _sla_days.Counts | None = None
        """The outcomes a rebuild complaint by complaint has written so far, counted by
        day as it writes them: its day rows, without reading the clock rows back."""

    def config(self) -> str:
        return f"{_sla_days.SLA_CONFIG} {self.policy!r}"

    # -- schema -----------------------------------------------------------------------------

    def create_tables(self, tx: Transaction) -> None:
        cases = ", ".join(f"{name} {_type(name)}" for name in _CASE_COLUMNS)
        clocks = ", ".join(f"{name} {_type(name)}" for name in _ALL_CLOCK_COLUMNS)
        create_table(tx, CASES, cases, "complaint_id")
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {CLOCKS} ({clocks}, PRIMARY KEY (complaint_id, clock_key))"
        )
        _sla_days.create_outcome_days_table(tx)
        self._days_kept = False
        self._counted = None

    def create_indexes(self, tx: Transaction) -> None:
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {CLOCKS}_breach ON {CLOCKS} (breach_us) "
            "WHERE breach_us IS NOT NULL"
        )
        tx.execute(f"CREATE INDEX IF NOT EXISTS {CLOCKS}_due ON {CLOCKS} (due_us)")
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {CLOCKS}_outcome ON {CLOCKS} (outcome_us) "
            "WHERE outcome_us IS NOT NULL"
        )
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {CLOCKS}_met_late ON {CLOCKS} (met_us) "
            "WHERE met_us > due_us"
        )
        # The runner creates the indexes when the tables are new, when it opens existing
        # ones, and when a rebuild has written every clock row: outcome day rows missing
        # beside decided clocks are derived from them now, and kept up to date from here on.
        if not self._days_kept and (
            not tx.query(compose("SELECT 1 FROM {table} LIMIT 1", table=_sla_days.OUTCOME_DAYS))
            and tx.query(
                compose(
                    "SELECT 1 FROM {clocks} WHERE outcome_us IS NOT NULL LIMIT 1", clocks=CLOCKS
                )
            )
        ):
            _sla_days.build(tx, CLOCKS, self._day_of, self._zone, counted=self._counted)
        self._days_kept = True
        self._counted = None

    # -- state ------------------------------------------------------------------------------

    def load(self, store: ViewStore, complaint_ids: Sequence[str]) -> dict[str, _Case]:
        cases: dict[str, _Case] = {}
        columns = ", ".join(_CASE_COLUMNS)
        for row in select_in(
            store,
            compose(
                "SELECT {columns} FROM {cases} WHERE complaint_id", columns=columns, cases=CASES
            ),
            complaint_ids,
        ):
            case = _Case()
            for name, value in zip(_CASE_COLUMNS, row, strict=True):
                setattr(case, name, value)
            case.clocks = []
            cases[case.complaint_id] = case
        clock_columns = ", ".join(_CLOCK_COLUMNS)
        for row in select_in(
            store,
            compose(
                "SELECT {clock_columns} FROM {clocks} WHERE complaint_id",
                clock_columns=clock_columns,
                clocks=CLOCKS,
            ),
            complaint_ids,
        ):
            clock = _Clock.from_row(row)
            cases[clock.complaint_id].clocks.append(clock)
        for case in cases.values():
            case.clocks.sort(key=lambda clock: (clock.started_us, clock.clock_key))
        return cases

    def write(self, tx: Transaction) -> None:
        if not self.dirty:
            return
        case_marks, case_null = marks(tx, _CASE_NULLABLE)
        clock_marks, null = marks(tx, _CLOCK_NULLABLE)
        informational = self._informational
        clocks: list[tuple[Any, ...]] = []
        append = clocks.append
        keep_days = self._days_kept
        outcomes: dict[tuple[str, str], _sla_days.Outcome | None] = {}
        if self.rows_are_new and self._counted is None:
            self._counted = {}
        counted = self._counted if self.rows_are_new else None
        decided: list[_sla_days.Outcome] = []
        cases: list[tuple[Any, ...]] = []
        for case in self.dirty.values():
            cases.append(case.row(case_null))
            for clock in case.clocks:
                if clock.dirty:
                    # Stored for running clocks and clocks a pause moved; left out for the
                    # others (the view computes it if asked), so the rows do not depend on
                    # how the log was cut into batches.
                    if clock.met_us is None and clock.cancelled_us is None:
                        if clock.warn_us is None:
                            self._ensure_warn(clock)
                    elif not clock.paused_total_us and clock.paused_since_us is None:
                        clock.warn_us = None
                    row = clock.row(null, clock.target in informational)
                    append(row)
                    clock.dirty = False
                    if keep_days:
                        outcome = row[_OUTCOME]
                        outcomes[(clock.complaint_id, clock.clock_key)] = (
                            None
                            if outcome is None or outcome == null
                            else (clock.metric, outcome, row[_ON_TIME])
                        )
                    elif counted is not None:
                        outcome = row[_OUTCOME]
                        if outcome is not None and outcome != null:
                            decided.append((clock.metric, outcome, row[_ON_TIME]))
        if outcomes:
            _sla_days.update(tx, CLOCKS, self._day_of, self._zone, outcomes)
        if counted is not None:
            _sla_days.count(counted, self._day_of, decided)
        new = self.rows_are_new
        write_rows(tx, CASES, _CASE_COLUMNS, case_marks, "complaint_id", cases, new=new)
        write_rows(
            tx, CLOCKS, _ALL_CLOCK_COLUMNS, clock_marks, "complaint_id, clock_key", clocks, new=new
        )

    # -- the fold ---------------------------------------------------------------------------

    def handle(self, events: Sequence[LogEvent]) -> None:
        cache = self.cache
        dirty = self.dirty
        for _, complaint_id, kind, at, data in events:
            if not kind:
                continue  # another aggregate's event: only the position moves
            if kind == "Received":
                case = cache[complaint_id] = self._received(complaint_id, at, data)
                dirty[complaint_id] = case
                continue
            found = cache.get(complaint_id)
            if found is None:
                continue
            case = found
            match kind:
                case "Acknowledged":
                    self._meet(case, at, "acknowledge")
                    self._meet(case, at, "first_response")
                case "PromiseMade":
                    self._meet(case, at, "first_response")
                    self._promise(case, at, data)
                case "CustomerInformed":
                    self._meet(case, at, "promise")
                case "Resolved":
                    self._end_pause(case, at)
                    self._meet(case, at, "promise")
                    self._meet(case, at, "resolve")
                    self._start_all(case, "follow_up", at)
                    self._start_all(case, "survey", at)
                case "Reopened":
                    self._cancel(case, at, ("follow_up", "survey"))
                    case.cycle += 1
                    self._start_all(case, "resolve", at)
                case "FollowedUp":
                    self._meet(case, at, "follow_up")
                case "Surveyed":
                    self._meet(case, at, "survey")
                case "Paused":
                    self._pause(case, at)
                case "Resumed":
                    self._end_pause(case, at)
                case "Withdrawn":
                    self._end_pause(case, at)
                    self._cancel(case, at, None)
                case "Reclassified":
                    category = data["category"]
                    if category is not None:
                        case.dimension = category["dimension"]
                        case.cause = category["cause"]
                        case.product = category["product"]
                    if data["severity"] is not None:
                        case.severity = data["severity"]
                case _:
                    continue  # Assigned, Escalated: no clock starts or stops
            dirty[complaint_id] = case

    def _received(self, complaint_id: str, at: int, data: dict[str, Any]) -> _Case:
        category = data["category"] or {}
        case = _Case()
        case.complaint_id = complaint_id
        case.channel = data["channel"]
        case.severity = data["severity"]
        case.dimension = category.get("dimension")
        case.cause = category.get("cause")
        case.product = category.get("product")
        case.cycle = 1
        case.paused_since_us = None
        case.clocks = []
        self._start_all(case, "acknowledge", at)
        self._start_all(case, "first_response", at)
        self._start_all(case, "resolve", at)
        return case

    def targets(self, case: _Case, metric: str) -> tuple[SlaTarget, ...]:
        """The policy's targets of ``metric`` for this complaint (cached by classification)."""
        # only what some target of the policy looks at is part of the key
        key = (
            metric,
            case.channel if self._by_channel else None,
            case.severity if self._by_severity else None,
            (case.dimension, case.cause, case.product) if self._by_category else None,
        )
        found = self._targets.get(key)
        if found is None:
            parts = (case.dimension, case.cause, case.product)
            category = (
                Category(dimension=parts[0], cause=parts[1], product=parts[2])
                if any(part is not None for part in parts)
                else None
            )
            found = self.policy.targets_for(
                Metric(metric), Channel(case.channel), Severity(case.severity), category
            )
            if not found and metric == "promise" and not self._has_promise_target:
                found = (IMPLICIT_PROMISE,)
            self._targets[key] = found
        return found

    def _start_all(self, case: _Case, metric: str, at: int) -> None:
        for target in self.targets(case, metric):
            self._start(case, target, f"{metric}/{case.cycle}/{target.name}", at, None, None)

    def _spec(self, target: SlaTarget) -> _Spec:
        """What a clock of ``target`` needs, as plain values (enum values are slow to get)."""
        spec = self._specs.get(id(target))
        if spec is None:
            spec = self._specs[id(target)] = (
                target,
                target.name,
                target.metric.value,
                target.clock.value,
                1 if target.pauses_stop_clock else 0,
                target.clock is ClockKind.CALENDAR,
                target.within // _US,
                target.not_before // _US if target.not_before is not None else None,
                target.within.days if target.by_end_of_business_day else None,
            )
        return spec

    def _start(
        self,
        case: _Case,
        target: SlaTarget,
        key: str,
        at: int,
        promise_id: str | None,
        promised: int | None,
    ) -> None:
        spec = self._spec(target)
        due, earliest = self._times(spec, at, promised)
        clock = _Clock()
        clock.complaint_id = case.complaint_id
        clock.clock_key = key
        clock.target = spec[1]
        clock.metric = spec[2]
        clock.cycle = case.cycle
        clock.promise_id = promise_id
        clock.clock_kind = spec[3]
        clock.stops_on_pause = spec[4]
        clock.started_us = at
        clock.due_us = due
        clock.warn_us = None
        clock.earliest_us = earliest
        clock.promised_us = promised
        clock.paused_total_us = 0
        clock.paused_since_us = at if case.paused_since_us is not None and spec[4] else None
        clock.met_us = None
        clock.cancelled_us = None
        clock.dirty = True
        if clock.paused_since_us is not None:
            clock.warn_us = warn_time(self.policy, target, at, due)
        case.clocks.append(clock)

    def _times(self, spec: _Spec, at: int, promised: int | None) -> tuple[int, int | None]:
        """Due and earliest times of a clock of the target of ``spec`` started at ``at``.

        A calendar clock counts real elapsed time, so its times are integer sums; business
        clocks ask the calendar's integer API (no datetime is built). The warning time is
        left for later (:func:`warn_time`): most clocks are met before anyone asks for it.
        """
        _, _, _, _, _, calendar_clock, within, not_before, days = spec
        if calendar_clock:
            due = (promised if promised is not None else at) + within
            return due, at + not_before if not_before is not None else None
        calendar = self.policy.calendar
        start = promised if promised is not None else at
        if promised is not None and not within:
            due = promised
        elif days is not None:
            due = calendar.close_of_business_day_us(start, days)
        else:
            due = calendar.add_us(start, within)
        if not_before is None:
            return due, None
        return due, calendar.add_us(at, not_before)

    def _ensure_warn(self, clock: _Clock) -> None:
        if clock.warn_us is None:
            target = self._named.get(clock.target, IMPLICIT_PROMISE)
            clock.warn_us = warn_time(self.policy, target, clock.started_us, clock.due_us)

    def _promise(self, case: _Case, at: int, data: dict[str, Any]) -> None:
        promised = parse_us(data["due"])
        for clock in case.clocks:
            # A promise still open (by its promised time) is superseded by the new one.
            if (
                clock.metric == "promise"
                and clock.running
                and clock.promised_us is not None
                and at <= clock.promised_us
            ):
                self._stop(clock, at)
                clock.cancelled_us = at
        promise_id = str(data["promise_id"])
        for target in self.targets(case, "promise"):
            key = f"promise/{promise_id}/{target.name}"
            self._start(case, target, key, at, promise_id, promised)

    def _meet(self, case: _Case, at: int, metric: str) -> None:
        for clock in case.clocks:
            if clock.metric == metric and clock.met_us is None and clock.cancelled_us is None:
                self._stop(clock, at)
                clock.met_us = at

    def _cancel(self, case: _Case, at: int, metrics: tuple[str, ...] | None) -> None:
        for clock in case.clocks:
            if clock.running and (metrics is None or clock.metric in metrics):
                self._stop(clock, at)
                clock.cancelled_us = at

    def _stop(self, clock: _Clock, at: int) -> None:
        if clock.paused_since_us is not None:
            self._unpause(clock, at)
        clock.dirty = True

    def _pause(self, case: _Case, at: int) -> None:
        case.paused_since_us = at
        for clock in case.clocks:
            if clock.stops_on_pause and clock.running and at < clock.due_us:
                self._ensure_warn(clock)
                clock.paused_since_us = at
                clock.dirty = True

    def _end_pause(self, case: _Case, at: int) -> None:
        if case.paused_since_us is None:
            return
        case.paused_since_us = None
        for clock in case.clocks:
            if clock.paused_since_us is not None:
                self._unpause(clock, at)

    def _unpause(self, clock: _Clock, at: int) -> None:
        """Count the time left at the pause again from ``at``: due times move later."""
        paused_us = clock.paused_since_us if clock.paused_since_us is not None else at
        if clock.clock_kind == ClockKind.CALENDAR.value:
            # real elapsed time: everything after the pause's start moves by its length
            length = at - paused_us
            clock.paused_total_us += length
            clock.due_us += length
            if clock.warn_us is not None and clock.warn_us > paused_us:
                clock.warn_us += length
            if clock.earliest_us is not None and clock.earliest_us > paused_us:
                clock.earliest_us += length
            clock.paused_since_us = None
            clock.dirty = True
            return
        calendar = self.policy.calendar
        clock.paused_total_us += calendar.between_us(paused_us, at)
        clock.due_us = _shift(calendar, paused_us, at, clock.due_us)
        if clock.warn_us is not None:
            clock.warn_us = min(_shift(calendar, paused_us, at, clock.warn_us), clock.due_us)
        if clock.earliest_us is not None:
            clock.earliest_us = _shift(calendar, paused_us, at, clock.earliest_us)
        clock.paused_since_us = None
        clock.dirty = True


def target_named(policy: SlaPolicy, name: str) -> SlaTarget:
    """The policy's target of that name, or the implicit promise target."""
    for target in policy.targets:
        if target.name == name:
            return target
    return IMPLICIT_PROMISE


def warn_time(policy: SlaPolicy, target: SlaTarget, started_us: int, due_us: int) -> int:
    """When ``warning_at`` of the time allowed between start and (unshifted) due has passed."""
    if target.clock is ClockKind.CALENDAR:
        return started_us + round((due_us - started_us) * target.warning_at)
    calendar = policy.calendar
    if target.metric is Metric.PROMISE or target.by_end_of_business_day:
        allowed = calendar.between_us(started_us, due_us)
    else:
        allowed = target.within // _US
    if not allowed:
        return due_us
    return min(calendar.add_us(started_us, _scaled(allowed, target.warning_at)), due_us)


def _scaled(microseconds: int, fraction: float) -> int:
    """``microseconds * fraction`` rounded as ``timedelta * float`` rounds it (exactly, half
    to even), so the integer path gives the datetime path's answers."""
    numerator, denominator = fraction.as_integer_ratio()
    quotient, remainder = divmod(microseconds * numerator, denominator)
    remainder *= 2
    if remainder > denominator or (remainder == denominator and quotient % 2):
        quotient += 1
    return quotient


def _shift(calendar: BusinessCalendar, paused: int, resumed: int, moment: int) -> int:
    """Where ``moment`` lands when the clock stood still from ``paused`` to ``resumed``.

    The working time left at the pause counts again from the resume; a moment that passed
    before the pause, or a pause without working time in it, leaves it where it was.
    """
    if moment <= paused or not calendar.between_us(paused, resumed):
        return moment
    moved = calendar.add_us(resumed, calendar.between_us(paused, moment))
    return max(moved, moment)


# -- the view ------------------------------------------------------------------------------


def _opt(value: int | None) -> datetime | None:
    return from_us(value) if value is not None else None


@attrs.frozen
class Clock:
    """One SLA clock of a complaint, as the view holds it."""

    complaint_id: UUID
    target: str
    metric: Metric
    cycle: int
    promise_id: UUID | None
    clock: ClockKind
    started_at: datetime
    due: datetime
    warn_at: datetime | None
    """When the clock is at risk; ``None`` if the clock stopped before anyone needed it
    (:meth:`SlaView.at_risk` computes it then)."""
    not_before: datetime | None
    promised: datetime | None
    paused_total: timedelta
    paused_since: datetime | None
    met_at: datetime | None
    cancelled_at: datetime | None
    breached_at: datetime | None
    """The due time, when the clock is breaching or will breach if nothing happens first;
    compare it with ``as_of`` (the view's queries do)."""

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Clock:
        v = dict(zip(_ALL_CLOCK_COLUMNS, row, strict=True))
        return cls(
            complaint_id=UUID(hex=v["complaint_id"]),
            target=v["target"],
            metric=Metric(v["metric"]),
            cycle=int(v["cycle"]),
            promise_id=UUID(v["promise_id"]) if v["promise_id"] else None,
            clock=ClockKind(v["clock_kind"]),
            started_at=from_us(v["started_us"]),
            due=from_us(v["due_us"]),
            warn_at=_opt(v["warn_us"]),
            not_before=_opt(v["earliest_us"]),
            promised=_opt(v["promised_us"]),
            paused_total=timedelta(microseconds=v["paused_total_us"]),
            paused_since=_opt(v["paused_since_us"]),
            met_at=_opt(v["met_us"]),
            cancelled_at=_opt(v["cancelled_us"]),
            breached_at=_opt(v["breach_us"]),
        )


def _as_of(clock: Clock, as_of: datetime) -> Clock:
    def known(moment: datetime | None) -> datetime | None:
        return moment if moment is not None and moment <= as_of else None

    return attrs.evolve(
        clock,
        met_at=known(clock.met_at),
        cancelled_at=known(clock.cancelled_at),
        paused_since=known(clock.paused_since),
    )


def _filters(metric: Metric | str | None, target: str | None) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if metric is not None:
        clauses.append("metric = ?")
        params.append(Metric(metric).value)
    if target is not None:
        clauses.append("target = ?")
        params.append(target)
    return clauses, params


class SlaView:
    """Queries on SLA clocks; each takes ``as_of`` (business time) and answers from stored times."""

    def __init__(self, store: ViewStore, policy: SlaPolicy | None = None) -> None:
        self._store = store
        self._policy = policy
        self._informational = tuple(
            sorted(t.name for t in policy.targets if t.informational) if policy else ()
        )

    def _without_informational(
        self, clauses: list[str], params: list[Any], target: str | None, include: bool
    ) -> None:
        """Leave out the policy's informational targets, unless included or named."""
        if include or target is not None or not self._informational:
            return
        clauses.append(f"target NOT IN ({', '.join('?' * len(self._informational))})")
        params.extend(self._informational)

    def _clocks(
        self, where: str, params: Sequence[Any], order: str, limit: int | None, offset: int
    ) -> list[Clock]:
        paging = ""
        values = list(params)
        if limit is not None:
            paging = " LIMIT ? OFFSET ?"
            values.extend((limit, offset))
        rows = self._store.query(
            compose(
                "SELECT {clock_list} FROM {clocks} WHERE {where} ORDER BY {order}{paging}",
                clock_list=_CLOCK_LIST,
                clocks=CLOCKS,
                where=where,
                order=order,
                paging=paging,
            ),
            values,
        )
        return [Clock.from_row(row) for row in rows]

    def clocks(self, complaint_id: UUID | str, *, as_of: datetime | None = None) -> list[Clock]:
        """Every clock of one complaint, in the order they started.

        With ``as_of``: the clocks started by then, with what was not yet met, cancelled or
        paused at that moment shown as not (yet) having happened.
        """
        wanted = complaint_id.hex if isinstance(complaint_id, UUID) else UUID(complaint_id).hex
        if as_of is None:
            return self._clocks(
                "complaint_id = ?", (wanted,), "started_us, clock_key", limit=None, offset=0
            )
        found = self._clocks(
            "complaint_id = ? AND started_us <= ?",
            (wanted, to_us(as_of)),
            "started_us, clock_key",
            limit=None,
            offset=0,
        )
        return [_as_of(clock, as_of) for clock in found]

    def breaches(
        self,
        as_of: datetime,
        *,
        metric: Metric | str | None = None,
        target: str | None = None,
        ongoing_only: bool = False,
        include_informational: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Clock]:
        """Clocks breached by ``as_of``: past due and not met by then, or met late.

        ``ongoing_only`` leaves out those met (late) or cancelled by ``as_of``: the breaches
        someone can still act on. Ordered by due time. Informational targets are left out
        unless ``include_informational`` or ``target`` names one.
        """
        moment = to_us(as_of)
        clauses, params = _filters(metric, target)
        self._without_informational(clauses, params, target, include_informational)
        clauses.insert(0, "breach_us < ?")
        params.insert(0, moment)
        if ongoing_only:
            clauses.append(
                "(met_us IS NULL OR met_us > ?) AND (cancelled_us IS NULL OR cancelled_us > ?)"
            )
            params.extend((moment, moment))
        return self._clocks(
            " AND ".join(clauses), params, "breach_us, complaint_id, clock_key", limit, offset
        )

    def count_breaches(
        self,
        as_of: datetime,
        *,
        metric: Metric | str | None = None,
        target: str | None = None,
        include_informational: bool = False,
    ) -> int:
        clauses, params = _filters(metric, target)
        self._without_informational(clauses, params, target, include_informational)
        where = " AND ".join(["breach_us < ?", *clauses])
        rows = self._store.query(
            compose("SELECT COUNT(*) FROM {clocks} WHERE {where}", clocks=CLOCKS, where=where),
            (to_us(as_of), *params),
        )
        return int(rows[0][0])

    def at_risk(
        self,
        as_of: datetime,
        *,
        metric: Metric | str | None = None,
        target: str | None = None,
        include_informational: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Clock]:
        """Clocks running at ``as_of``, past their warning threshold, not yet due; soonest
        due first. A paused clock stands still: it is at risk if it was when the pause began.
        Informational targets are left out unless ``include_informational`` or ``target``
        names one.
        """
        moment = to_us(as_of)
        clauses, params = _filters(metric, target)
        self._without_informational(clauses, params, target, include_informational)
        where = (
            "started_us <= ? AND (met_us IS NULL OR met_us > ?) "
            "AND (cancelled_us IS NULL OR cancelled_us > ?) AND ("
            "(due_us > ? AND (paused_since_us IS NULL OR paused_since_us > ?) "
            " AND (warn_us IS NULL OR warn_us <= ?))"
            " OR (paused_since_us <= ? AND (warn_us IS NULL OR warn_us <= paused_since_us)))"
        )
        rows = self._store.query(
            compose(
                "SELECT {clock_list} FROM {clocks} WHERE {where} ORDER BY due_us, complaint_id, "
                "clock_key",
                clock_list=_CLOCK_LIST,
                clocks=CLOCKS,
                where=" AND ".join([where, *clauses]),
            ),
            [moment] * 7 + params,
        )
        found: list[Clock] = []
        warn_index = _ALL_CLOCK_COLUMNS.index("warn_us")
        for row in rows:
            values = list(row)
            warn = values[warn_index]
            if warn is None:
                if self._policy is None:
                    continue
                v = dict(zip(_ALL_CLOCK_COLUMNS, values, strict=True))
                warn = values[warn_index] = warn_time(
                    self._policy,
                    target_named(self._policy, v["target"]),
                    v["started_us"],
                    v["due_us"],
                )
                paused = v["paused_since_us"]
                reference = paused if paused is not None and paused <= moment else moment
                if warn > reference:
                    continue
            found.append(Clock.from_row(values))
        end = None if limit is None else offset + limit
        return found[offset:end]

    def broken_promises(
        self,
        as_of: datetime,
        *,
        due_from: datetime | None = None,
        due_until: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Clock]:
        """Promises not kept by their due time, as of ``as_of``; optionally only those that
        fell due in ``[due_from, due_until)`` (e.g. last month)."""
        clauses = ["breach_us < ?", "metric = ?"]
        params: list[Any] = [to_us(as_of), Metric.PROMISE.value]
        if due_from is not None:
            clauses.append("due_us >= ?")
            params.append(to_us(due_from))
        if due_until is not None:
            clauses.append("due_us < ?")
            params.append(to_us(due_until))
        return self._clocks(
            " AND ".join(clauses), params, "breach_us, complaint_id, clock_key", limit, offset
        )

    def breach_history(
        self,
        as_of: datetime,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        metric: Metric | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Clock]:
        """Clocks met late (met after due) by ``as_of``, optionally met in ``[start, end)``."""
        clauses, params = _filters(metric, None)
        clauses[:0] = ["met_us > due_us", "met_us <= ?"]
        params.insert(0, to_us(as_of))
        if start is not None:
            clauses.append("met_us >= ?")
            params.append(to_us(start))
        if end is not None:
            clauses.append("met_us < ?")
            params.append(to_us(end))
        return self._clocks(
            " AND ".join(clauses), params, "met_us, complaint_id, clock_key", limit, offset
        )


# -- what-if ---------------------------------------------------------------------------------


BreachKey = tuple[UUID, Metric, int, UUID | None]
"""A breach compared across policies: complaint, metric, cycle and promise (not the target
name, which differs between policies)."""


@attrs.frozen
class WhatIf:
    """How the breach list as of ``as_of`` changes from policy ``a`` to policy ``b``."""

    as_of: datetime
    breaches_a: tuple[Clock, ...]
    breaches_b: tuple[Clock, ...]
    newly_breaching: tuple[Clock, ...]
    """Breaches under ``b`` with no breach of the same complaint, metric, cycle and promise
    under ``a``."""
    no_longer_breaching: tuple[Clock, ...]
    """Breaches under ``a`` that ``b`` does not have."""

    @property
    def complaints_newly_breaching(self) -> frozenset[UUID]:
        before = {clock.complaint_id for clock in self.breaches_a}
        return frozenset(c.complaint_id for c in self.breaches_b if c.complaint_id not in before)

    @property
    def complaints_no_longer_breaching(self) -> frozenset[UUID]:
        after = {clock.complaint_id for clock in self.breaches_b}
        return frozenset(c.complaint_id for c in self.breaches_a if c.complaint_id not in after)


def _key(clock: Clock) -> BreachKey:
    return (clock.complaint_id, clock.metric, clock.cycle, clock.promise_id)


def replay_breaches(
    log: ComplaintLog, policy: SlaPolicy, as_of: datetime, *, ongoing_only: bool = False
) -> list[Clock]:
    """Replay the whole log under ``policy`` into a throwaway in-memory view; its breaches."""
    store = SqliteViewStore(":memory:")
    follower = Follower(log, store, [SlaProjection(policy)], batch_size=10_000)
    try:
        follower.catch_up()
        return SlaView(store, policy).breaches(as_of, ongoing_only=ongoing_only)
    finally:
        follower.close()
        store.close()


def what_if(
    log: ComplaintLog,
    policy_a: SlaPolicy,
    policy_b: SlaPolicy,
    as_of: datetime,
    *,
    ongoing_only: bool = False,
) -> WhatIf:
    """Replay the history under two policies (or calendars) and diff the breach lists.

    Both replays go into throwaway in-memory views; the stored views are never touched.
    """
    breaches_a = replay_breaches(log, policy_a, as_of, ongoing_only=ongoing_only)
    breaches_b = replay_breaches(log, policy_b, as_of, ongoing_only=ongoing_only)
    keys_a = {_key(clock) for clock in breaches_a}
    keys_b = {_key(clock) for clock in breaches_b}
    return WhatIf(
        as_of=as_of,
        breaches_a=tuple(breaches_a),
        breaches_b=tuple(breaches_b),
        newly_breaching=tuple(c for c in breaches_b if _key(c) not in keys_a),
        no_longer_breaching=tuple(c for c in breaches_a if _key(c) not in keys_b),
    )

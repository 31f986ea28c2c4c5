"""The SLA projection: the fold that starts, pauses, meets and cancels clocks.

:class:`SlaProjection` applies complaint events to each complaint's clocks under its
tenant's policy (the default one for tenants without their own; the table of what starts
and stops which clock is in the package docstring) and writes the case and clock rows, with
the outcome day rows the statistics report reads (``_sla_days``, days in the default
policy's time zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import (
    ClockKind,
    Metric,
    SlaPolicy,
    SlaTarget,
    late_by_source_in,
    not_recorded_in,
)
from complaintlog.domain.values import DEFAULT_TENANT, Category, Channel, Severity
from complaintlog.projections import _sla_days
from complaintlog.projections._day_rows_note import DayRowsNote
from complaintlog.projections._day_starts import DayStarts
from complaintlog.projections._framework.projection import Projection, select_in_later
from complaintlog.projections._framework.reader import LogEvent, chunks, parse_us
from complaintlog.projections._store import (
    Later,
    Reads,
    Transaction,
    add_tenant_column,
    compose,
    config_tenants,
    create_table,
    marks,
    write_rows,
)
from complaintlog.projections._tenants import TenantPolicies
from complaintlog.projections.sla._arithmetic import _US, IMPLICIT_PROMISE, _shift, warn_time
from complaintlog.projections.sla._rows import (
    _ALL_CLOCK_COLUMNS,
    _CASE_COLUMNS,
    _CASE_NULLABLE,
    _CLOCK_COLUMNS,
    _CLOCK_LIST,
    _CLOCK_NULLABLE,
    _ON_TIME,
    _OUTCOME,
    CASES,
    CLOCKS,
    WAIT_BITS,
    _Case,
    _Clock,
    _Spec,
    _type,
    wait_mask,
)

__all__ = ["SlaProjection"]


class _Rules:
    """What the fold asks of one policy, worked out once: its calendar, which targets apply
    to a classification (cached), which are informational, the targets by name."""

    __slots__ = (
        "by_category",
        "by_channel",
        "by_severity",
        "calendar",
        "has_promise_target",
        "informational",
        "named",
        "policy",
        "targets",
    )

    def __init__(self, policy: SlaPolicy) -> None:
        self.policy = policy
        self.calendar: BusinessCalendar = policy.calendar
        self.has_promise_target = any(t.metric is Metric.PROMISE for t in policy.targets)
        self.targets: dict[tuple[Any, ...], tuple[SlaTarget, ...]] = {}
        self.by_channel = any(t.channels is not None for t in policy.targets)
        self.by_severity = any(t.severities is not None for t in policy.targets)
        self.by_category = any(t.categories is not None for t in policy.targets)
        self.informational = frozenset(t.name for t in policy.targets if t.informational)
        self.named = {target.name: target for target in policy.targets}


class SlaProjection(DayRowsNote, Projection[_Case]):
    """Keeps SLA clocks, each complaint's under its tenant's policy (targets, calendar)."""

    name = "sla"
    tables: ClassVar[tuple[str, ...]] = (CASES, CLOCKS, _sla_days.OUTCOME_DAYS)
    per_complaint = True
    tenant_table: ClassVar[str | None] = CASES

    def __init__(self, policy: SlaPolicy | TenantPolicies) -> None:
        super().__init__()
        self.policies = policy if isinstance(policy, TenantPolicies) else TenantPolicies(policy)
        self.policy = self.policies.default
        self._default_rules = _Rules(self.policy)
        self._tenant_rules = {tenant: _Rules(own) for tenant, own in self.policies.own.items()}
        self._specs: dict[int, _Spec] = {}
        self._zone = self.policy.calendar.time_zone.key
        self._day_of = DayStarts(self.policy.calendar.time_zone)
        self._days_kept = False
        """Whether :meth:`write` keeps the outcome day rows up to date: not while a rebuild
        writes the clock rows (the day rows are derived from them at its end, in
        :meth:`create_indexes`)."""
        self._days_committed = True
        """:attr:`_days_kept` as the committed tables say (:meth:`schema_ended`). Tables
        this runner did not manage to open (it gave way to a writer) exist and are
        followed: their day rows are kept. (:attr:`_days_kept` starts False: a process
        writing its share of a rebuild never opens the tables, and counts its rows.)"""
        self._counted: _sla_days.Counts | None = None
        """The outcomes a rebuild complaint by complaint has written so far, counted by
        day as it writes them: its day rows, without reading the clock rows back."""

    def config(self) -> str:
        """The default policy's part as before tenants, then each tenant's own."""
        return self.policies.config(self._head(), _policy_config)

    def _head(self) -> str:
        return _policy_config(self.policy)

    def same_version(self, stored: str) -> bool:
        """Every part of ``stored`` is of this version's SLA fold (the policies may differ)."""
        prefix = f"{_sla_days.SLA_CONFIG} "
        parts = config_tenants(stored)
        rest = self._head().removeprefix(_policy_config(self.policy))  # a subclass's version
        return all(part.startswith(prefix) for part in parts.values()) and parts[
            "default"
        ].endswith(rest)

    def forget(self, tx: Transaction, complaint_ids: Sequence[str]) -> None:
        """Take away the complaints' case and clock rows and their decided clocks from the
        outcome day rows (all of these are derived from the clock rows again afterwards
        when the day rows are in another time zone: the default policy's changed)."""
        zone = tx.query(compose("SELECT zone FROM {table} LIMIT 1", table=_sla_days.OUTCOME_DAYS))
        self._days_kept = not zone or zone[0][0] == self._zone
        for chunk in chunks(complaint_ids):
            in_chunk = f"complaint_id IN ({','.join('?' * len(chunk))})"
            if self._days_kept:
                keys = tx.query(
                    compose(
                        "SELECT complaint_id, clock_key FROM {clocks} WHERE {in_chunk}",
                        clocks=CLOCKS,
                        in_chunk=in_chunk,
                    ),
                    chunk,
                )
                gone: dict[tuple[str, str], _sla_days.Outcome | None] = {
                    (str(complaint), str(key)): None for complaint, key in keys
                }
                _sla_days.update(tx, CLOCKS, self._day_of, self._zone, gone)
            for table in self._complaint_tables():
                tx.execute(
                    compose("DELETE FROM {table} WHERE {in_chunk}", table=table, in_chunk=in_chunk),
                    chunk,
                )

    def _complaint_tables(self) -> tuple[str, ...]:
        """The tables holding rows of one complaint each (keyed by ``complaint_id``)."""
        return (CASES, CLOCKS)

    def refolded(self, tx: Transaction) -> None:
        if not self._days_kept:
            _sla_days.build(tx, CLOCKS, self._day_of, self._zone)
            self._days_kept = True

    def rules_of(self, case: _Case) -> _Rules:
        """The policy rules of the complaint's tenant."""
        return self._tenant_rules.get(case.tenant, self._default_rules)

    # -- schema -----------------------------------------------------------------------------

    def create_tables(self, tx: Transaction) -> None:
        cases = ", ".join(f"{name} {_type(name)}" for name in _CASE_COLUMNS)
        clocks = ", ".join(f"{name} {_type(name)}" for name in _ALL_CLOCK_COLUMNS)
        create_table(tx, CASES, cases, "complaint_id")
        add_tenant_column(tx, CASES)
        # No key index on (complaint_id, clock_key): it was half the table's size again. A
        # complaint's clocks are found by the complaint's index, and the fold knows which
        # clock rows it stored (it updates those by their key and inserts the others).
        tx.execute(f"CREATE TABLE IF NOT EXISTS {CLOCKS} ({clocks})")
        _sla_days.create_outcome_days_table(tx)
        self._days_kept = False
        self._counted = None

    def create_indexes(self, tx: Transaction) -> None:
        tx.execute(f"CREATE INDEX IF NOT EXISTS {CASES}_tenant ON {CASES} (tenant, complaint_id)")
        tx.execute(f"CREATE INDEX IF NOT EXISTS {CLOCKS}_complaint ON {CLOCKS} (complaint_id)")
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

    def tally(self) -> _sla_days.Counts | None:
        return self._counted

    def add_tally(self, part: _sla_days.Counts | None) -> None:
        if part is None:
            return
        counted = self._counted if self._counted is not None else {}
        for key, (on_time, decided) in part.items():
            mine = counted.setdefault(key, [0, 0])
            mine[0] += on_time
            mine[1] += decided
        self._counted = counted

    # -- state ------------------------------------------------------------------------------

    def load_later(self, reads: Reads, complaint_ids: Sequence[str]) -> Later[dict[str, _Case]]:
        case_rows = select_in_later(
            reads,
            compose(
                "SELECT {columns} FROM {cases} WHERE complaint_id",
                columns=", ".join(_CASE_COLUMNS),
                cases=CASES,
            ),
            complaint_ids,
        )
        clock_rows = select_in_later(
            reads,
            compose(
                "SELECT {clock_columns} FROM {clocks} WHERE complaint_id",
                clock_columns=", ".join(_CLOCK_COLUMNS),
                clocks=CLOCKS,
            ),
            complaint_ids,
        )

        def loaded() -> dict[str, _Case]:
            cases: dict[str, _Case] = {}
            for row in case_rows():
                case = _Case()
                for name, value in zip(_CASE_COLUMNS, row, strict=True):
                    setattr(case, name, value)
                case.clocks = []
                cases[case.complaint_id] = case
            for row in clock_rows():
                clock = _Clock.from_row(row)
                cases[clock.complaint_id].clocks.append(clock)
            for case in cases.values():
                case.clocks.sort(key=lambda clock: (clock.started_us, clock.clock_key))
            return cases

        return loaded

    def write(self, tx: Transaction) -> None:
        if not self.dirty:
            return
        case_marks, case_null = marks(tx, _CASE_NULLABLE)
        clock_marks, null = marks(tx, _CLOCK_NULLABLE)
        clocks: list[tuple[Any, ...]] = []
        append = clocks.append
        stored: list[tuple[Any, ...]] = []
        keep_days = self._days_kept
        outcomes: dict[tuple[str, str], _sla_days.Outcome | None] = {}
        if self.rows_are_new and self._counted is None:
            self._counted = {}
        counted = self._counted if self.rows_are_new else None
        decided: list[_sla_days.Outcome] = []
        cases: list[tuple[Any, ...]] = []
        for case in self.dirty.values():
            cases.append(case.row(case_null))
            rules = self.rules_of(case)
            informational = rules.informational
            for clock in case.clocks:
                if clock.dirty:
                    # Stored for running clocks and clocks a pause moved; left out for the
                    # others (the view computes it if asked), so the rows do not depend on
                    # how the log was cut into batches.
                    if clock.met_us is None and clock.cancelled_us is None:
                        if clock.warn_us is None:
                            self._ensure_warn(clock, rules)
                    elif not clock.paused_total_us and clock.paused_since_us is None:
                        clock.warn_us = None
                    row = clock.row(null, clock.target in informational)
                    if clock.stored:
                        stored.append((*row[2:], clock.complaint_id, clock.clock_key))
                    else:
                        append(row)
                        clock.stored = True
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
        if stored:
            tx.executemany(_update_clock(tx), stored)
        if clocks:
            if not new:  # a clock started again under a key already stored replaces it
                tx.executemany(_DELETE_CLOCK, [row[:2] for row in clocks])
            tx.append(CLOCKS, _CLOCK_LIST, clock_marks, clocks)

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
                    if data.get("delay_reason"):  # a holding reply
                        self._hold(case, at, parse_us(data["due"]))
                case "CustomerInformed":
                    self._meet(case, at, "promise", data.get("promise_id"))
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
                case "SurveySent" | "Surveyed":
                    self._meet(case, at, "survey")
                case "Paused":
                    self._pause(case, at, WAIT_BITS.get(data["waiting_for"], 1))
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
        case.not_recorded = not_recorded_in(data["attributes"])
        case.late_by_source = late_by_source_in(data["attributes"])
        case.paused_for = None
        case.tenant = data.get("tenant") or DEFAULT_TENANT
        case.clocks = []
        self._start_all(case, "acknowledge", at)
        self._start_all(case, "first_response", at)
        self._start_all(case, "resolve", at)
        return case

    def targets(self, case: _Case, metric: str) -> tuple[SlaTarget, ...]:
        """The targets of ``metric`` of the complaint's tenant's policy (cached by
        classification); none when the complaint's source never records the step the
        metric measures."""
        if case.not_recorded is not None and metric in case.not_recorded.split():
            return ()
        rules = self.rules_of(case)
        # only what some target of the policy looks at is part of the key
        key = (
            metric,
            case.channel if rules.by_channel else None,
            case.severity if rules.by_severity else None,
            (case.dimension, case.cause, case.product) if rules.by_category else None,
        )
        found = rules.targets.get(key)
        if found is None:
            parts = (case.dimension, case.cause, case.product)
            category = (
                Category(dimension=parts[0], cause=parts[1], product=parts[2])
                if any(part is not None for part in parts)
                else None
            )
            found = rules.policy.targets_for(
                Metric(metric), Channel(case.channel), Severity(case.severity), category
            )
            if not found and metric == "promise" and not rules.has_promise_target:
                found = (IMPLICIT_PROMISE,)
            rules.targets[key] = found
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
                wait_mask(target),
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
        rules = self.rules_of(case)
        due, earliest = self._times(rules.calendar, spec, at, promised)
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
        paused = case.paused_since_us is not None and spec[4] & (case.paused_for or 0)
        clock.paused_since_us = at if paused else None
        clock.met_us = None
        clock.cancelled_us = None
        clock.dirty = True
        clock.stored = False
        if clock.paused_since_us is not None:
            clock.warn_us = warn_time(rules.policy, target, at, due)
        case.clocks.append(clock)

    @staticmethod
    def _times(
        calendar: BusinessCalendar, spec: _Spec, at: int, promised: int | None
    ) -> tuple[int, int | None]:
        """Due and earliest times of a clock of the target of ``spec`` started at ``at``.

        A calendar clock counts real elapsed time, so its times are integer sums; business
        clocks ask the calendar's integer API (no datetime is built). The warning time is
        left for later (:func:`warn_time`): most clocks are met before anyone asks for it.
        """
        _, _, _, _, _, calendar_clock, within, not_before, days = spec
        if calendar_clock:
            due = (promised if promised is not None else at) + within
            return due, at + not_before if not_before is not None else None
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

    @staticmethod
    def _ensure_warn(clock: _Clock, rules: _Rules) -> None:
        if clock.warn_us is None:
            target = rules.named.get(clock.target, IMPLICIT_PROMISE)
            clock.warn_us = warn_time(rules.policy, target, clock.started_us, clock.due_us)

    def _promise(self, case: _Case, at: int, data: dict[str, Any]) -> None:
        promised = parse_us(data["due"])
        for clock in () if data.get("alongside") else case.clocks:
            # A promise still open (by its promised time) is superseded by the new one.
            if (
                clock.metric == "promise"
                and clock.running
                and clock.promised_us is not None
                and at <= clock.promised_us
            ):
                self._stop(case, clock, at)
                clock.cancelled_us = at
        promise_id = str(data["promise_id"])
        for target in self.targets(case, "promise"):
            key = f"promise/{promise_id}/{target.name}"
            self._start(case, target, key, at, promise_id, promised)

    def _hold(self, case: _Case, at: int, promised: int) -> None:
        """A holding reply at ``at`` promising the final reply by ``promised``: the running
        clocks it can extend (``holding_reply_limit``) and that it reached in time are due
        at the promised time, at most at their limit, and never earlier than they were."""
        rules = self.rules_of(case)
        for clock in case.clocks:
            target = rules.named.get(clock.target)
            if (
                target is None
                or target.holding_reply_limit is None
                or not clock.running
                or (clock.paused_since_us is None and at > clock.due_us)
            ):
                continue
            due = min(promised, self._limit(rules.calendar, target, clock))
            if due > clock.due_us:
                clock.due_us = due
                clock.warn_us = None
                if clock.paused_since_us is not None:
                    self._ensure_warn(clock, rules)
                clock.dirty = True

    @staticmethod
    def _limit(calendar: BusinessCalendar, target: SlaTarget, clock: _Clock) -> int:
        """The latest due time a holding reply can give the clock: ``holding_reply_limit``
        from its start, moved by the time its pauses stood it still, as its due time was."""
        limit = target.holding_reply_limit
        assert limit is not None
        start = clock.started_us
        if target.clock is ClockKind.CALENDAR:
            return start + limit // _US + clock.paused_total_us
        if target.by_end_of_business_day:
            due = calendar.close_of_business_day_us(start, limit.days)
        else:
            due = calendar.add_us(start, limit // _US)
        return calendar.add_us(due, clock.paused_total_us) if clock.paused_total_us else due

    def _meet(self, case: _Case, at: int, metric: str, promise_id: object = None) -> None:
        """Meet the running clocks of ``metric`` (of one promise, with ``promise_id``)."""
        only = None if promise_id is None else str(promise_id)
        for clock in case.clocks:
            if (
                clock.metric == metric
                and clock.met_us is None
                and clock.cancelled_us is None
                and (only is None or clock.promise_id == only)
            ):
                self._stop(case, clock, at)
                clock.met_us = at

    def _cancel(self, case: _Case, at: int, metrics: tuple[str, ...] | None) -> None:
        for clock in case.clocks:
            if clock.running and (metrics is None or clock.metric in metrics):
                self._stop(case, clock, at)
                clock.cancelled_us = at

    def _stop(self, case: _Case, clock: _Clock, at: int) -> None:
        if clock.paused_since_us is not None:
            self._unpause(self.rules_of(case).calendar, clock, at)
        clock.dirty = True

    def _pause(self, case: _Case, at: int, wait: int) -> None:
        """Stop the running clocks that this wait (a ``WAIT_BITS`` bit) stops."""
        case.paused_since_us = at
        case.paused_for = wait
        rules = self.rules_of(case)
        for clock in case.clocks:
            if clock.stops_on_pause & wait and clock.running and at < clock.due_us:
                self._ensure_warn(clock, rules)
                clock.paused_since_us = at
                clock.dirty = True

    def _end_pause(self, case: _Case, at: int) -> None:
        if case.paused_since_us is None:
            return
        case.paused_since_us = None
        case.paused_for = None
        calendar = self.rules_of(case).calendar
        for clock in case.clocks:
            if clock.paused_since_us is not None:
                self._unpause(calendar, clock, at)

    @staticmethod
    def _unpause(calendar: BusinessCalendar, clock: _Clock, at: int) -> None:
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
        clock.paused_total_us += calendar.between_us(paused_us, at)
        clock.due_us = _shift(calendar, paused_us, at, clock.due_us)
        if clock.warn_us is not None:
            clock.warn_us = min(_shift(calendar, paused_us, at, clock.warn_us), clock.due_us)
        if clock.earliest_us is not None:
            clock.earliest_us = _shift(calendar, paused_us, at, clock.earliest_us)
        clock.paused_since_us = None
        clock.dirty = True


def _policy_config(policy: SlaPolicy) -> str:
    return f"{_sla_days.SLA_CONFIG} {policy!r}"


_DELETE_CLOCK = compose(
    "DELETE FROM {clocks} WHERE complaint_id = ? AND clock_key = ?", clocks=CLOCKS
)


def _update_clock(tx: Transaction) -> str:
    """``UPDATE`` of a stored clock's row by its key: the columns after the key, then the key."""
    changes = ", ".join(
        f"{name} = {marks(tx, (nullable,))[0]}"
        for name, nullable in zip(_ALL_CLOCK_COLUMNS[2:], _CLOCK_NULLABLE[2:], strict=True)
    )
    return compose(
        "UPDATE {clocks} SET {changes} WHERE complaint_id = ? AND clock_key = ?",
        clocks=CLOCKS,
        changes=changes,
    )

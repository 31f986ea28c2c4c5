"""Where the report's figures come from: the three projections, and nothing else.

:func:`report_data` brings the log's stored views up to date (``Projections.catch_up``) and
reads them:

* current state: complaints per status (as of ``as_of``), the first complaint's receipt,
  and each listed complaint's reference, assignee and group;
* SLA clocks: the breach, at-risk, broken-promise and informational lists; paused time is
  deducted and a reopened complaint gets a new resolve clock, as the policy says;
* statistics: volumes per period and group, time to resolve (median and 90th percentile
  of business time, per period), SLA compliance per metric, remedies, reopenings,
  escalations and repeat complaints. Totals are exact sums of yearly figures up to
  ``as_of``; medians are never added up, so they are shown per period only.

Nothing replays complaints one by one: the cost is the catch-up (a full build the first
time, or after a change of policy or calendar) plus a few indexed queries, and one
current-state lookup per listed complaint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from datetime import datetime, time, timedelta
from uuid import UUID

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import SOURCE_TIME_ZONE, Metric, SlaPolicy
from complaintlog.domain.status import Status
from complaintlog.errors import InvalidValueError
from complaintlog.projections import (
    Clock,
    ComplaintState,
    CurrentStateProjection,
    CurrentStateView,
    Follower,
    PeriodStatistics,
    Projections,
    Rate,
)
from complaintlog.projections import what_if as replay_what_if
from complaintlog.projections._tenants import PolicySpec
from complaintlog.projections.statistics import GROUPINGS, PERIODS
from complaintlog.report.agenda import agenda_rows
from complaintlog.report.data import (
    BreachRow,
    GroupRow,
    InformationalRow,
    MetricRow,
    PeriodRow,
    PromiseRow,
    ReportData,
)
from complaintlog.report.scope import TenantScope

__all__ = [
    "GROUPINGS",
    "PERIODS",
    "WhatIf",
    "load_policy",
    "report_data",
    "report_policy",
    "store_time_zone",
    "what_if",
]

NO_GROUP = "(none)"
DAILY_WINDOW = timedelta(days=91)
"""``--period day`` shows the last 13 weeks unless ``since`` says otherwise."""
_US = timedelta(microseconds=1)
_SOURCE = (
    "projections: current state, SLA clocks under policy {policy!r} (informational targets "
    "apart), statistics; durations are business time on the calendar {calendar!r} "
    "in {zone} ({hours:g} h a business day)"
)


def load_policy(spec: str) -> SlaPolicy:
    """A preset name (``fca``, ``cfpb``, ``psd2``, ``ru``, ``default``) or a TOML file."""
    return SlaPolicy.named(spec)


def report_policy(
    log: ComplaintLog, spec: SlaPolicy | str = "default", time_zone: str | None = None
) -> SlaPolicy:
    """The policy a report uses: ``spec`` (a policy, preset or TOML path) in ``time_zone``
    when one is given; the neutral ``default`` preset takes the store's zone otherwise
    (:func:`store_time_zone`), and UTC when the store names none."""
    policy = SlaPolicy.named(spec)
    zone = time_zone or (store_time_zone(log) if spec == "default" else None)
    return policy.in_time_zone(zone) if zone else policy


def store_time_zone(log: ComplaintLog) -> str | None:
    """The zone the store's first imported complaint was read in (``source_time_zone``),
    if an import set one: the neutral default policy counts business days there."""
    for notification in log.notifications(limit=20, stop=20):
        if not notification.topic.endswith("Complaint.Received"):
            continue
        attributes = log.event_state(notification).get("attributes") or ()
        return next((value for key, value in attributes if key == SOURCE_TIME_ZONE), None)
    return None


def business_day_hours(calendar: BusinessCalendar) -> float:
    """Working hours of an average working day (24 for a calendar without working hours)."""
    hours = calendar.hours
    if hours is None:
        return 24.0
    lengths = [sum(_length(start, end) for start, end in day) for day in hours.values() if day]
    worked = [length for length in lengths if length > 0]
    return sum(worked) / len(worked) if worked else 24.0


def _length(start: time, end: time) -> float:
    def hour(moment: time) -> float:
        return moment.hour + moment.minute / 60 + moment.second / 3600

    return (24.0 if end == time(0) else hour(end)) - hour(start)


def report_data(
    log: ComplaintLog,
    *,
    policy: SlaPolicy,
    as_of: datetime | None = None,
    period: str = "month",
    by: str = "product",
    since: datetime | None = None,
    known_at: datetime | None = None,
    views: Projections | None = None,
    tenant_policies: Mapping[str, PolicySpec] | None = None,
    tenant: str | None = None,
) -> ReportData:
    """Every figure of the report, from the log's projections, as of ``as_of`` (now).

    ``period`` is one of :data:`PERIODS`, ``by`` one of :data:`GROUPINGS` (the statistics
    projection's groupings). ``since`` is where the per-period figures start (default: the
    first complaint's period; for days, 13 weeks before ``as_of``). ``known_at``: the report
    the screens showed then, from only the events recorded by that moment (``as_of``
    defaults to it). ``views`` are open projections of the log under ``policy`` to read
    (caught up by the caller), instead of opening the log's stored views for this one
    report.

    ``tenant_policies`` are the tenants measured under a policy of their own (the views'
    ``tenant_policies``; ``policy`` is the others'). ``tenant`` reports that tenant's
    complaints only, under its policy; without it, every complaint is measured under its
    own tenant's policy.
    """
    scope = TenantScope.of(policy, tenant_policies, tenant)
    if period not in PERIODS:
        raise InvalidValueError("period", period, f"one of {', '.join(PERIODS)}")
    if by not in GROUPINGS:
        raise InvalidValueError("by", by, f"one of {', '.join(GROUPINGS)}")
    if known_at is not None:
        as_of = min(as_of, known_at) if as_of is not None else known_at
    moment = as_of if as_of is not None else log.clock()
    with ExitStack() as stack:
        if views is None:
            views = stack.enter_context(scope.views(log))
            if known_at is None:
                views.catch_up()
        if known_at is not None:
            views = stack.enter_context(views.as_known_at(known_at))
        data = _Report(views, scope, moment, as_of, period, by).build(since)
    return attrs.evolve(data, past=as_of is not None, known_at=known_at)


class _Labels:
    """Reference, assignee and group of the complaints listed, from the current state."""

    def __init__(self, view: CurrentStateView, as_of: datetime | None, by: str) -> None:
        self._view = view
        self._as_of = as_of
        self._by = by
        self._known: dict[UUID, tuple[str, str | None, str]] = {}

    def __call__(self, complaint_id: UUID) -> tuple[str, str | None, str]:
        found = self._known.get(complaint_id)
        if found is None:
            state = self._view.get(complaint_id, as_of=self._as_of)
            if state is None and self._as_of is not None:
                state = self._view.get(complaint_id)
            found = self._known[complaint_id] = (
                (state.external_ref or str(complaint_id), state.assignee, group_of(state, self._by))
                if state is not None
                else (str(complaint_id), None, NO_GROUP)
            )
        return found


def group_of(state: ComplaintState, by: str) -> str:
    """The complaint's value of a statistics grouping, as the report shows it."""
    value: str | None
    if by in {"dimension", "cause", "product"}:
        value = getattr(state.category, by) if state.category is not None else None
    elif by == "category":
        value = state.category.key if state.category is not None else None
    elif by == "channel":
        value = state.channel.value
    elif by == "severity":
        value = state.severity.value
    else:
        value = state.team
    return str(value) if value else NO_GROUP


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 3600


def _late_by(moment: datetime, due: datetime) -> float:
    return round((moment - due).total_seconds() / 3600, 1)


def _add(total: Rate, more: Rate) -> Rate:
    return Rate(total.part + more.part, total.whole + more.whole)


@attrs.define
class _Sums:
    """Exact sums of yearly figures."""

    received: int = 0
    resolved: int = 0
    withdrawn: int = 0
    open_now: int = 0
    sla: dict[str, Rate] = attrs.field(factory=dict)
    reopened: Rate = attrs.field(factory=lambda: Rate(0, 0))
    escalated: Rate = attrs.field(factory=lambda: Rate(0, 0))
    repeat: int = 0
    remedies: Counter[str] = attrs.field(factory=Counter)

    def add(self, row: PeriodStatistics, latest: bool) -> None:
        self.received += row.received
        self.resolved += row.resolved
        self.withdrawn += row.withdrawn
        if latest:
            self.open_now += row.open_at_end
        for metric, rate in row.sla_compliance.items():
            self.sla[metric] = _add(self.sla.get(metric, Rate(0, 0)), rate)
        self.reopened = _add(self.reopened, row.reopened)
        self.escalated = _add(self.escalated, row.escalated)
        self.repeat += row.repeat_complaints
        self.remedies.update(row.remedies)

    def row(self, group: str) -> GroupRow:
        return GroupRow(
            group=group,
            received=self.received,
            resolved=self.resolved,
            withdrawn=self.withdrawn,
            open_now=self.open_now,
            resolve_on_time=self.sla.get(Metric.RESOLVE.value, Rate(0, 0)),
            promises_kept=self.sla.get(Metric.PROMISE.value, Rate(0, 0)),
            reopened=self.reopened,
            escalated=self.escalated,
            repeat_complaints=self.repeat,
        )


class _Report:
    def __init__(
        self,
        views: Projections,
        scope: TenantScope,
        moment: datetime,
        as_of: datetime | None,
        period: str,
        by: str,
    ) -> None:
        self.views = views
        self.scope = scope
        self.tenant = scope.tenant
        self.policy = scope.policy
        self.moment = moment
        self.period = period
        self.by = by
        self.labels = _Labels(views.current_state, as_of, by)
        self.status_counts = {
            status.value: count
            for status, count in views.current_state.counts_by_status(
                as_of=as_of, tenant=self.tenant
            ).items()
        }

    def build(self, since: datetime | None) -> ReportData:
        moment = self.moment
        end = moment + _US  # periods are [start, end): the one holding as_of is the last
        first = min(self._first_received() or moment, moment)
        if since is None:
            since = max(first, moment - DAILY_WINDOW) if self.period == "day" else first
        since = min(since, moment)
        statistics = self.views.statistics
        tenant = self.tenant
        zone = self.policy.calendar.time_zone  # a tenant's policy may not be the views'

        def figures(
            period: str, start: datetime, group_by: str | None = None
        ) -> list[PeriodStatistics]:
            return statistics.report(
                period, start, end, group_by=group_by, as_of=moment, tenant=tenant, time_zone=zone
            )

        yearly = figures("year", first, self.by)
        trend = figures(self.period, since)
        grouped = (
            yearly
            if self.period == "year" and since == first
            else figures(self.period, since, self.by)
        )
        totals, groups = self._sums(yearly)
        sla = self.views.sla
        breaches = sla.breaches(moment, ongoing_only=True, tenant=tenant)
        at_risk = sla.at_risk(moment, tenant=tenant)
        hours = business_day_hours(self.policy.calendar)
        return ReportData(
            as_of=moment,
            policy=self.scope.name,
            tenant=tenant,
            period=self.period,
            by=self.by,
            since=since,
            source=_SOURCE.format(
                policy=self.scope.name,
                calendar=self.policy.calendar.name,
                hours=hours,
                zone=self.policy.calendar.time_zone.key,
            ),
            time_zone=self.policy.calendar.time_zone.key,
            late_by_source=sla.late_by_source(tenant=tenant),
            data_ends=next(
                (row.period for row in reversed(trend) if row.received or row.resolved), None
            ),
            business_day_hours=hours,
            status_counts=self.status_counts,
            totals=totals.row("all"),
            periods=[_period_row(row) for row in trend],
            received_by_period=_received(grouped),
            metrics=self._metrics(totals, breaches, at_risk),
            groups=sorted(
                (sums.row(group) for group, sums in groups.items()),
                key=lambda row: (-row.received, row.group),
            ),
            remedies=dict(totals.remedies.most_common()),
            breaches=sorted(self._rows(breaches), key=lambda row: row.due, reverse=True),
            at_risk=self._rows(at_risk),
            broken_promises=sorted(
                self._promises(sla.broken_promises(moment, tenant=tenant)),
                key=lambda row: row.due,
                reverse=True,
            ),
            informational=self._informational(),
            agenda=agenda_rows(self.views.agenda, moment, self.policy.calendar.time_zone, tenant),
            informational_open=sorted(
                self._rows(
                    clock
                    for target in self.scope.targets()
                    if target.informational
                    for clock in sla.breaches(
                        moment, target=target.name, ongoing_only=True, tenant=tenant
                    )
                ),
                key=lambda row: row.due,
                reverse=True,
            ),
        )

    def _first_received(self) -> datetime | None:
        """The earliest receipt of all (an index walk per status)."""
        view = self.views.current_state
        firsts = [
            found[0].received_at
            for s in Status
            if (found := view.by_status(s, limit=1, tenant=self.tenant))
        ]
        return min(firsts, default=None)

    def _sums(self, yearly: Sequence[PeriodStatistics]) -> tuple[_Sums, dict[str, _Sums]]:
        totals = _Sums()
        groups: dict[str, _Sums] = {}
        last = yearly[-1].period if yearly else None
        for row in yearly:
            latest = row.period == last
            totals.add(row, latest)
            if row.group is None and not _has_figures(row):
                continue  # a year with nothing in it
            groups.setdefault(row.group or NO_GROUP, _Sums()).add(row, latest)
        return totals, groups

    def _metrics(
        self, totals: _Sums, breaches: Sequence[Clock], at_risk: Sequence[Clock]
    ) -> list[MetricRow]:
        breaching = Counter(clock.metric.value for clock in breaches)
        risky = Counter(clock.metric.value for clock in at_risk)
        rows = []
        for metric in Metric:
            targets = tuple(
                t.name for t in self.scope.targets() if t.metric is metric and not t.informational
            )
            decided = totals.sla.get(metric.value, Rate(0, 0))
            counts = (decided.whole, breaching[metric.value], risky[metric.value])
            if not targets and not any(counts):
                continue
            rows.append(
                MetricRow(
                    metric=metric.value,
                    targets=targets or ("promise (implicit)",),
                    decided=decided.whole,
                    on_time=decided.part,
                    breaching_now=breaching[metric.value],
                    at_risk=risky[metric.value],
                )
            )
        return rows

    def _informational(self) -> list[InformationalRow]:
        sla = self.views.sla
        moment = self.moment
        only = self.tenant
        return [
            InformationalRow(
                target=target.name,
                metric=target.metric.value,
                missed=sla.count_breaches(moment, target=target.name, tenant=only),
                still_open=len(
                    sla.breaches(moment, target=target.name, ongoing_only=True, tenant=only)
                ),
                at_risk=len(sla.at_risk(moment, target=target.name, tenant=only)),
            )
            for target in self.scope.targets()
            if target.informational
        ]

    def _rows(self, clocks: Iterable[Clock]) -> list[BreachRow]:
        return _breach_rows(clocks, self.labels, self.moment)

    def _promises(self, clocks: Iterable[Clock]) -> list[PromiseRow]:
        rows = []
        for clock in clocks:
            label, assignee, _ = self.labels(clock.complaint_id)
            kept = (
                clock.met_at if clock.met_at is not None and clock.met_at <= self.moment else None
            )
            rows.append(
                PromiseRow(
                    complaint=label,
                    made_at=clock.started_at,
                    due=clock.due,
                    kept_at=kept,
                    late_by_hours=_late_by(kept or self.moment, clock.due),
                    assignee=assignee,
                )
            )
        return rows


def _breach_rows(clocks: Iterable[Clock], labels: _Labels, moment: datetime) -> list[BreachRow]:
    rows = []
    for clock in clocks:
        label, assignee, group = labels(clock.complaint_id)
        rows.append(
            BreachRow(
                complaint=label,
                target=clock.target,
                metric=clock.metric.value,
                started_at=clock.started_at,
                due=clock.due,
                late_by_hours=_late_by(moment, clock.due),
                assignee=assignee,
                group=group,
            )
        )
    return rows


def _has_figures(row: PeriodStatistics) -> bool:
    return bool(
        row.received
        or row.resolved
        or row.withdrawn
        or row.open_at_end
        or row.sla_compliance
        or row.repeat_complaints
    )


def _received(rows: Sequence[PeriodStatistics]) -> dict[str, dict[str, int]]:
    received: dict[str, dict[str, int]] = {}
    for row in rows:
        groups = received.setdefault(row.period, {})
        if row.received:
            group = row.group or NO_GROUP
            groups[group] = groups.get(group, 0) + row.received
    return received


def _period_row(row: PeriodStatistics) -> PeriodRow:
    return PeriodRow(
        period=row.period,
        start=row.start,
        end=row.end,
        received=row.received,
        resolved=row.resolved,
        withdrawn=row.withdrawn,
        open_at_end=row.open_at_end,
        acknowledge_median_hours=_hours(row.acknowledge_median),
        resolve_median_hours=_hours(row.resolve_median),
        resolve_p90_hours=_hours(row.resolve_p90),
        sla=dict(row.sla_compliance),
        reopened=row.reopened,
        escalated=row.escalated,
        survey_mean=row.survey_mean,
        repeat_complaints=row.repeat_complaints,
        remedies=dict(row.remedies),
        compensation={currency: str(amount) for currency, amount in row.compensation.items()},
    )


# -- what-if ---------------------------------------------------------------------------------


@attrs.frozen
class WhatIf:
    """The ongoing breaches of one history under two policies, and how they differ."""

    as_of: datetime
    policy: str
    against: str
    breaches: list[BreachRow]
    against_breaches: list[BreachRow]
    tenant: str | None = None
    """The one tenant whose complaints were compared, if any."""

    @property
    def only_policy(self) -> list[str]:
        """Complaints breaching under ``policy`` but not under ``against``."""
        return sorted(_complaints(self.breaches) - _complaints(self.against_breaches))

    @property
    def only_against(self) -> list[str]:
        return sorted(_complaints(self.against_breaches) - _complaints(self.breaches))

    @property
    def both(self) -> list[str]:
        return sorted(_complaints(self.breaches) & _complaints(self.against_breaches))


def _complaints(rows: list[BreachRow]) -> set[str]:
    return {row.complaint for row in rows}


def what_if(
    log: ComplaintLog,
    *,
    policy: SlaPolicy,
    against: SlaPolicy,
    as_of: datetime | None = None,
    tenant: str | None = None,
) -> WhatIf:
    """Replay the same history under two policies without touching the stored SLA views.

    Counts ongoing breaches (clocks past due and still not met at ``as_of``), leaving out
    informational targets, of ``tenant``'s complaints only if given. Complaints are named
    from the stored current-state view.
    """
    scope = TenantScope.of(policy, tenant=tenant)
    moment = as_of if as_of is not None else log.clock()
    diff = replay_what_if(log, policy, against, moment, ongoing_only=True, tenant=scope.tenant)
    with scope.views(log) as views:
        # only the current state is brought up to date: the stored SLA view keeps its policy
        follower = Follower(log, views.store, [CurrentStateProjection()])
        try:
            follower.catch_up()
            labels = _Labels(CurrentStateView(views.store, follower.reader), as_of, "product")
            first = _breach_rows(diff.breaches_a, labels, moment)
            second = _breach_rows(diff.breaches_b, labels, moment)
        finally:
            follower.close()
    return WhatIf(
        as_of=moment,
        policy=policy.name,
        against=against.name,
        breaches=first,
        against_breaches=second,
        tenant=scope.tenant,
    )

"""Report figures computed by replaying each complaint through ``ComplaintLog.get``.

This is the interim engine, used while the projections package (issue 3) is not there: it
reads every complaint once, so it is exact but not fast (about a second per thousand
complaints on SQLite), and its SLA clocks are simpler than the projection's: paused time is
not deducted, and a reopened cycle's resolve clock starts at the previous resolution.
:func:`complaintlog.report.source.report_data` switches to the projections as soon as they
exist; the renderers do not change.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.domain.sla_policy import Metric, SlaPolicy, SlaTarget
from complaintlog.errors import ComplaintNotFoundError
from complaintlog.report.data import BreachRow, PromiseRow, RepeatRow, ReportData
from complaintlog.views import ComplaintView, PromiseState

__all__ = ["GROUPINGS", "PERIODS", "Known", "build_from_log", "complaint_ids", "period_key"]

PERIODS = ("day", "week", "month", "quarter", "year")
GROUPINGS = ("product", "category", "cause", "dimension", "channel", "severity", "assignee", "team")
_REPEAT_WINDOW = timedelta(days=30)


def period_key(moment: datetime, period: str) -> str:
    if period == "day":
        return moment.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"
    if period == "year":
        return str(moment.year)
    return moment.strftime("%Y-%m")


def group_key(view: ComplaintView, by: str) -> str:
    category = view.category
    value: str | None
    if by == "category":
        value = category.key if category else None
    elif by in {"product", "cause", "dimension"}:
        value = getattr(category, by, None) if category else None
    elif by == "channel":
        value = view.channel.value
    elif by == "severity":
        value = view.severity.value
    else:
        value = getattr(view, by)
    return str(value) if value else "(none)"


def complaint_ids(log: ComplaintLog) -> tuple[list[UUID], int]:
    """Every complaint's id in recording order, and how many complaint events there are."""
    ids: list[UUID] = []
    events = 0
    for notification in log.notifications(limit=5000):
        topic = notification.topic
        if ":Complaint." not in topic:
            continue
        events += 1
        if topic.endswith(".Received"):
            originator = notification.originator_id
            ids.append(originator if isinstance(originator, UUID) else UUID(str(originator)))
    return ids, events


class _Clocks:
    """SLA clocks of all complaints, counted per metric and per period."""

    def __init__(self, policy: SlaPolicy, as_of: datetime, period: str) -> None:
        self.policy = policy
        self.as_of = as_of
        self.period = period
        self.zone = policy.calendar.time_zone
        self.totals: dict[str, Counter[str]] = defaultdict(Counter)
        self.by_period: dict[str, dict[str, Counter[str]]] = defaultdict(
            lambda: defaultdict(Counter)
        )
        self.breaches: list[BreachRow] = []
        self.at_risk: list[BreachRow] = []

    def clock(
        self,
        view: ComplaintView,
        target: SlaTarget,
        start: datetime,
        stop: datetime | None,
        group: str,
        due: datetime | None = None,
    ) -> None:
        calendar = self.policy.calendar
        due = due if due is not None else target.due(start, calendar)
        metric = str(target.metric)
        bucket = period_key(start.astimezone(self.zone), self.period)
        if stop is not None:
            outcome = "met" if stop <= due else "missed"
        elif view.status.value == "withdrawn":
            return  # a withdrawn complaint's open clocks stop counting
        elif self.as_of > due:
            outcome = "open_breached"
        else:
            outcome = "open"
        self.totals[metric][outcome] += 1
        self.by_period[bucket][metric][outcome] += 1
        if stop is not None:
            return
        row = BreachRow(
            complaint=view.external_ref or str(view.id),
            target=target.name,
            metric=metric,
            started_at=start,
            due=due,
            late_by_hours=round((self.as_of - due).total_seconds() / 3600, 1),
            assignee=view.assignee,
            category=group,
        )
        if outcome == "open_breached":
            self.breaches.append(row)
        elif metric != "promise" and self.as_of >= target.warns_at(start, calendar):
            self.at_risk.append(row)

    def of(self, view: ComplaintView, group: str) -> None:
        policy = self.policy
        targets = {
            metric: policy.targets_for(metric, view.channel, view.severity, view.category)
            for metric in Metric
        }
        resolutions = view.resolutions
        first = resolutions[0].resolved_at if resolutions else None
        for target in targets[Metric.ACKNOWLEDGE]:
            self.clock(view, target, view.received_at, view.acknowledged_at, group)
        for target in targets[Metric.FIRST_RESPONSE]:
            promised = min((p.made_at for p in view.promises), default=None)
            answered = min((t for t in (view.acknowledged_at, promised) if t), default=None)
            self.clock(view, target, view.received_at, answered, group)
        for target in targets[Metric.RESOLVE]:
            self.clock(view, target, view.received_at, first, group)
            if view.cycle > 1 and view.resolved_at is None and resolutions:
                self.clock(view, target, resolutions[-1].resolved_at, None, group)
        for target in targets[Metric.PROMISE]:
            for promise in view.promises:
                if promise.state is PromiseState.SUPERSEDED:
                    continue
                due = promise.due + target.within
                self.clock(view, target, promise.made_at, promise.kept_at, group, due=due)
        resolved_at = view.resolved_at
        if resolved_at is not None:
            for target in targets[Metric.FOLLOW_UP]:
                self.clock(view, target, resolved_at, view.followed_up_at, group)
            for target in targets[Metric.SURVEY]:
                self.clock(view, target, resolved_at, view.surveyed_at, group)


@attrs.frozen
class Known:
    """What a list row shows about a complaint besides its clock."""

    label: str
    assignee: str | None
    group: str
    promises: dict[UUID, str]


def build_from_log(
    log: ComplaintLog,
    *,
    policy: SlaPolicy,
    as_of: datetime | None = None,
    period: str = "month",
    by: str = "product",
    index: dict[UUID, Known] | None = None,
) -> ReportData:
    """Every figure of the report, from the complaints as they stood at ``as_of``.

    ``index``, when given, is filled with each complaint's label, assignee and group, so
    another engine's lists can be shown the same way.
    """
    reference = as_of or log.clock()
    ids, events = complaint_ids(log)
    clocks = _Clocks(policy, reference, period)
    status_counts: Counter[str] = Counter()
    received: dict[str, Counter[str]] = defaultdict(Counter)
    remedies: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    promises: Counter[str] = Counter()
    broken: list[PromiseRow] = []
    resolve_days: list[float] = []
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    group_days: dict[str, list[float]] = defaultdict(list)
    by_customer: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    scores: list[int] = []
    surveyed_cycles = 0
    resolved_cycles = 0
    zone = policy.calendar.time_zone
    count = 0
    for complaint_id in ids:
        try:
            view = log.get(complaint_id, as_of=as_of) if as_of else log.get(complaint_id)
        except ComplaintNotFoundError:
            continue  # received after as_of
        count += 1
        group = group_key(view, by)
        status_counts[view.status.value] += 1
        received[period_key(view.received_at.astimezone(zone), period)][group] += 1
        channels[view.channel.value] += 1
        figures = groups[group]
        figures["received"] += 1
        figures["open"] += int(view.is_open)
        figures["reopened"] += int(view.cycle > 1)
        figures["escalated"] += int(view.escalation_level is not None)
        for resolution in view.resolutions:
            remedies[resolution.remedy.value] += 1
            resolved_cycles += 1
        if view.resolutions:
            days = (view.resolutions[0].resolved_at - view.received_at).total_seconds() / 86400
            resolve_days.append(round(days, 3))
            group_days[group].append(days)
            figures["resolved"] += 1
        for promise in view.promises:
            promises[promise.state.value] += 1
            if promise.state is PromiseState.BROKEN:
                figures["broken_promises"] += 1
                broken.append(
                    PromiseRow(
                        complaint=view.external_ref or str(view.id),
                        promise=promise.promise,
                        made_at=promise.made_at,
                        due=promise.due,
                        late_by_hours=round(
                            ((promise.kept_at or reference) - promise.due).total_seconds() / 3600,
                            1,
                        ),
                    )
                )
        if view.satisfaction is not None:
            scores.append(view.satisfaction)
        if view.surveyed_at is not None:
            surveyed_cycles += 1
        by_customer[(view.customer.id, view.category.key if view.category else "-")].append(
            view.received_at
        )
        clocks.of(view, group)
        if index is not None:
            index[view.id] = Known(
                view.external_ref or str(view.id),
                view.assignee,
                group,
                {p.promise_id: p.promise for p in view.promises},
            )
    for group, figures in groups.items():
        durations = sorted(group_days.get(group, []))
        middle = durations[len(durations) // 2] if durations else None
        figures["median_resolve_days"] = round(middle, 2) if middle is not None else None
        figures["reopen_rate"] = round(figures["reopened"] / figures["received"], 3)
    repeats = []
    for (customer, category), moments in by_customer.items():
        moments.sort()
        close = sum(1 for a, b in itertools.pairwise(moments) if b - a <= _REPEAT_WINDOW)
        if close:
            repeats.append(RepeatRow(customer, category, len(moments), moments[0], moments[-1]))
    repeats.sort(key=lambda row: (-row.complaints, row.last), reverse=False)
    compliance_by_period: dict[str, dict[str, float | None]] = {}
    for bucket in sorted(clocks.by_period):
        rates: dict[str, float | None] = {}
        for metric, outcome in clocks.by_period[bucket].items():
            ended = outcome["met"] + outcome["missed"] + outcome["open_breached"]
            rates[metric] = round(outcome["met"] / ended, 4) if ended else None
        compliance_by_period[bucket] = rates
    clocks.breaches.sort(key=lambda row: row.due, reverse=True)  # the freshest first
    clocks.at_risk.sort(key=lambda row: row.due)
    broken.sort(key=lambda row: row.due, reverse=True)
    return ReportData(
        as_of=reference,
        policy=policy.name,
        period=period,
        by=by,
        source=(
            "replay (interim engine: paused time not deducted; a reopened cycle's resolve "
            "clock starts at the previous resolution)"
        ),
        complaints=count,
        events=events,
        status_counts=dict(status_counts.most_common()),
        received_by_period={k: dict(received[k]) for k in sorted(received)},
        compliance_by_period=compliance_by_period,
        compliance={metric: dict(counter) for metric, counter in sorted(clocks.totals.items())},
        resolve_days=resolve_days,
        breaches=clocks.breaches,
        at_risk=clocks.at_risk,
        broken_promises=broken,
        promises=dict(promises),
        remedies=dict(remedies.most_common()),
        channels=dict(channels.most_common()),
        groups={group: dict(figures) for group, figures in sorted(groups.items())},
        repeats=repeats,
        survey={
            "responses": len(scores),
            "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
            "response_rate": round(surveyed_cycles / resolved_cycles, 3)
            if resolved_cycles
            else None,
        },
    )


def views_at(log: ComplaintLog, as_of: datetime | None) -> list[tuple[ComplaintView, str]]:
    """Every complaint as it stood at ``as_of`` (now when None)."""
    ids, _ = complaint_ids(log)
    views = []
    for complaint_id in ids:
        try:
            views.append(log.get(complaint_id, as_of=as_of) if as_of else log.get(complaint_id))
        except ComplaintNotFoundError:
            continue
    return [(view, group_key(view, "product")) for view in views]


def breaches_under(
    views: list[tuple[ComplaintView, str]], policy: SlaPolicy, as_of: datetime
) -> list[BreachRow]:
    """The breach list the policy gives for these complaints at ``as_of``."""
    clocks = _Clocks(policy, as_of, "month")
    for view, group in views:
        clocks.of(view, group)
    return sorted(clocks.breaches, key=lambda row: row.due, reverse=True)

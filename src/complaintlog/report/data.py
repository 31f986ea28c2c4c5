"""What a report shows, as plain values: every renderer (terminal, JSON, CSV, Markdown,
HTML) draws from one :class:`ReportData`, which :func:`complaintlog.report.report_data`
fills from the three projections (current state, SLA clocks, statistics)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from complaintlog.projections import Rate

__all__ = [
    "AgendaRow",
    "BreachRow",
    "GroupRow",
    "InformationalRow",
    "MetricRow",
    "PeriodRow",
    "PromiseRow",
    "Rate",
    "ReportData",
]

CLOSED_STATUSES = frozenset({"resolved", "closed", "withdrawn"})


@attrs.frozen
class BreachRow:
    """An SLA clock past (or near) its due time, from the SLA projection."""

    complaint: str
    """The external reference, or the id when there is none."""
    target: str
    metric: str
    started_at: datetime
    due: datetime
    late_by_hours: float
    """Hours past the due time at ``as_of``; negative for at-risk rows (time left)."""
    assignee: str | None
    group: str
    """The complaint's value of the report's grouping (``--by``)."""


@attrs.frozen
class PromiseRow:
    """A promise to the customer not kept by its due time."""

    complaint: str
    made_at: datetime
    due: datetime
    kept_at: datetime | None
    """When it was kept after all (late), ``None`` if still not kept at ``as_of``."""
    late_by_hours: float
    assignee: str | None


@attrs.frozen
class PeriodRow:
    """One period's figures over all complaints, from the statistics projection.

    Durations are business time on the policy's calendar, in hours; see the module
    docstring of :mod:`complaintlog.projections.statistics` for what lands in which period.
    """

    period: str
    start: datetime
    end: datetime
    received: int
    resolved: int
    withdrawn: int
    open_at_end: int
    acknowledge_median_hours: float | None
    resolve_median_hours: float | None
    resolve_p90_hours: float | None
    sla: dict[str, Rate]
    """Per metric: clocks met on time of those decided in the period."""
    reopened: Rate
    escalated: Rate
    survey_mean: float | None
    repeat_complaints: int
    remedies: dict[str, int]
    compensation: dict[str, str]
    """Total compensation per currency, as exact decimal strings."""


@attrs.frozen
class MetricRow:
    """SLA clocks of one metric: all decided by ``as_of`` (statistics), and those breaching
    or at risk now (SLA projection). Informational targets are not counted."""

    metric: str
    targets: tuple[str, ...]
    decided: int
    on_time: int
    breaching_now: int
    at_risk: int

    @property
    def missed(self) -> int:
        return self.decided - self.on_time

    @property
    def rate(self) -> float | None:
        return self.on_time / self.decided if self.decided else None


@attrs.frozen
class GroupRow:
    """One group's figures over all time up to ``as_of`` (exact sums of the statistics)."""

    group: str
    received: int
    resolved: int
    withdrawn: int
    open_now: int
    resolve_on_time: Rate
    promises_kept: Rate
    reopened: Rate
    escalated: Rate
    repeat_complaints: int


@attrs.frozen
class AgendaRow:
    """One item of the agenda of the report's date (see :mod:`complaintlog.projections.agenda`)."""

    complaint: str
    action: str
    due: datetime
    assignee: str | None
    team: str | None
    overdue: bool


@attrs.frozen
class InformationalRow:
    """A target that is measured but is no obligation (``informational = true``)."""

    target: str
    metric: str
    missed: int
    """Clocks not met by their due time, as of ``as_of`` (met late included)."""
    still_open: int
    """Of those, the ones still not met at ``as_of``."""
    at_risk: int


@attrs.frozen
class ReportData:
    """The state of complaint handling at ``as_of``, under ``policy``."""

    as_of: datetime
    policy: str
    """The policy's name; with tenant policies and no one tenant, every one
    (``default; brand-a: fca``)."""
    period: str
    by: str
    since: datetime
    """Start of the first period shown per period (the totals cover all time)."""
    source: str
    """Where the figures come from, and how durations are counted."""
    business_day_hours: float
    """Working hours of an average business day of the policy's calendar (24 when it has
    no working hours), to show business time in business days."""
    status_counts: dict[str, int]
    totals: GroupRow
    """All complaints, all time up to ``as_of``."""
    periods: list[PeriodRow]
    received_by_period: dict[str, dict[str, int]]
    """period -> group -> complaints received."""
    metrics: list[MetricRow]
    groups: list[GroupRow]
    remedies: dict[str, int]
    breaches: list[BreachRow]
    at_risk: list[BreachRow]
    broken_promises: list[PromiseRow]
    informational: list[InformationalRow]
    informational_open: list[BreachRow]
    """Clocks of informational targets past due and still not met: no breach, but worth
    knowing (for the FCA: complaints that need a full final response)."""
    past: bool = False
    """Dated in the past (an ``as_of`` was asked for): "open at D", not "open now"."""
    known_at: datetime | None = None
    """Only events recorded by then were counted: what the screens showed at that moment."""
    agenda: list[AgendaRow] = attrs.field(factory=list)
    """What is due by the end of the report's date (in the policy's time zone), overdue
    first."""
    time_zone: str = "UTC"
    """The zone of the policy's calendar: days, periods and business hours are its."""
    late_by_source: int = 0
    """Complaints their source itself calls late (CFPB ``Timely response? = No``)."""
    data_ends: str | None = None
    """The last period in which a complaint was received or resolved: the report of an old
    data set says where its data stops, rather than showing empty periods."""
    tenant: str | None = None
    """The one tenant whose complaints are reported, if any (else every tenant's)."""

    @property
    def now(self) -> str:
        """How the report names its moment: "now", or "at 2026-03-31 23:59"."""
        return f"at {self.as_of:%Y-%m-%d %H:%M}" if self.past else "now"

    @property
    def complaints(self) -> int:
        return sum(self.status_counts.values())

    def business_days(self, hours: float | None) -> float | None:
        return None if hours is None else hours / self.business_day_hours

    def headline(self) -> dict[str, Any]:
        """The few numbers a person looks at first."""
        open_count = sum(
            n for status, n in self.status_counts.items() if status not in CLOSED_STATUSES
        )
        latest = self.periods[-1] if self.periods else None
        return {
            "complaints": self.complaints,
            "open": open_count,
            "breaching_now": len({row.complaint for row in self.breaches}),
            "at_risk": len({row.complaint for row in self.at_risk}),
            "broken_promises": len(self.broken_promises),
            "resolved_on_time": self.totals.resolve_on_time.value,
            "latest_period": latest.period if latest else None,
            "resolved_in_latest_period": latest.resolved if latest else 0,
            "median_business_days_to_resolve": self.business_days(
                latest.resolve_median_hours if latest else None
            ),
            "repeat_complaints": self.totals.repeat_complaints,
            "late_by_source": self.late_by_source,
            "time_zone": self.time_zone,
            "data_ends": self.data_ends,
            "policy": self.policy,
            "tenant": self.tenant,
        }

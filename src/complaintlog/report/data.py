"""What a report shows, as plain values: every renderer (terminal, JSON, CSV, Markdown,
HTML) draws from one :class:`ReportData`, and every source of figures fills one in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "BreachRow",
    "PromiseRow",
    "ReportData",
    "RepeatRow",
]


@attrs.frozen
class BreachRow:
    """A complaint past (or near) an SLA target's due time."""

    complaint: str
    """The external reference, or the id when there is none."""
    target: str
    metric: str
    started_at: datetime
    due: datetime
    late_by_hours: float
    """Hours past the due time at ``as_of``; negative for at-risk rows (time left)."""
    assignee: str | None
    category: str


@attrs.frozen
class PromiseRow:
    complaint: str
    promise: str
    made_at: datetime
    due: datetime
    late_by_hours: float


@attrs.frozen
class RepeatRow:
    customer: str
    category: str
    complaints: int
    first: datetime
    last: datetime


@attrs.frozen
class ReportData:
    """The state of complaint handling at ``as_of``, under ``policy``."""

    as_of: datetime
    policy: str
    period: str
    by: str
    source: str
    """Which engine computed the figures (``projections`` or ``replay``), and caveats."""
    complaints: int
    events: int
    status_counts: dict[str, int]
    received_by_period: dict[str, dict[str, int]]
    """period -> group -> complaints received."""
    compliance_by_period: dict[str, dict[str, float | None]]
    """period -> metric -> share of clocks met on time (None when no clock ended)."""
    compliance: dict[str, dict[str, int]]
    """metric -> {"met": n, "missed": n, "open_breached": n, "open": n}."""
    resolve_days: list[float]
    """Calendar days from received to first resolution, for each resolved complaint."""
    breaches: list[BreachRow]
    at_risk: list[BreachRow]
    broken_promises: list[PromiseRow]
    promises: dict[str, int]
    """{"kept": n, "broken": n, "open": n, "superseded": n}."""
    remedies: dict[str, int]
    channels: dict[str, int]
    groups: dict[str, dict[str, Any]]
    """group -> figures: received, open, resolved, median_resolve_days, reopen_rate, ..."""
    repeats: list[RepeatRow]
    survey: dict[str, float | int | None]

    def headline(self) -> dict[str, Any]:
        """The few numbers a person looks at first."""
        open_count = sum(
            n for status, n in self.status_counts.items() if status not in _CLOSED_STATUSES
        )
        resolved = self.compliance.get("resolve", {})
        ended = resolved.get("met", 0) + resolved.get("missed", 0)
        return {
            "complaints": self.complaints,
            "open": open_count,
            "breaching_now": len({row.complaint for row in self.breaches}),
            "at_risk": len({row.complaint for row in self.at_risk}),
            "broken_promises": self.promises.get("broken", 0),
            "resolved_on_time": (resolved.get("met", 0) / ended) if ended else None,
            "median_days_to_resolve": _median(self.resolve_days),
            "mean_survey_score": self.survey.get("mean_score"),
        }


_CLOSED_STATUSES = frozenset({"resolved", "closed", "withdrawn"})


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2

"""The statistics report's values and how a period's figures become them.

``Rate`` and ``PeriodStatistics`` are what a report returns; ``median`` and ``percentile``
are the exact rules its durations follow (see the package docstring). ``_Bucket`` collects
one period and group's raw figures, from fact rows or day rows (``_add_day``), and
``_statistics`` turns it into a ``PeriodStatistics``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from complaintlog.projections.statistics._days import Figures


@attrs.frozen
class Rate:
    """An exact share: ``part`` of ``whole``; ``value`` is ``None`` when ``whole`` is 0."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def __str__(self) -> str:
        value = self.value
        return f"{self.part}/{self.whole}" + (f" ({value:.1%})" if value is not None else "")


@attrs.frozen
class PeriodStatistics:
    """The figures of one period and group (``group`` is ``None`` for no grouping, and for
    complaints without a value for the grouping attribute)."""

    period: str
    """A label: ``2026-03-14``, ``2026-W11``, ``2026-03``, ``2026-Q1``, ``2026``."""
    start: datetime
    end: datetime
    group: str | None
    received: int
    resolved: int
    withdrawn: int
    open_at_end: int
    acknowledge_median: timedelta | None
    acknowledge_p90: timedelta | None
    resolve_median: timedelta | None
    resolve_p90: timedelta | None
    sla_compliance: Mapping[str, Rate]
    """Per metric (``acknowledge``, ``resolve``, ...): clocks met on time of those decided."""
    promise_kept: Rate
    escalated: Rate
    """Complaints received in the period and escalated by ``as_of``."""
    escalation_levels: Mapping[str, int]
    """The highest level reached, over the escalated complaints received in the period."""
    reopened: Rate
    """Resolutions of the period reopened by ``as_of``."""
    remedies: Mapping[str, int]
    compensation: Mapping[str, Decimal]
    """Total compensation per currency (ISO 4217 code) of the period's resolutions."""
    follow_up_confirmed: Rate
    """Follow-ups of the period that confirmed the problem solved."""
    survey_mean: float | None
    survey_responses: Rate
    """Resolutions of the period surveyed by ``as_of``."""
    repeat_complaints: int


def median(values: Sequence[int]) -> int | None:
    """The median of sorted integers; the two middle ones averaged and rounded down."""
    n = len(values)
    if not n:
        return None
    middle = n // 2
    return values[middle] if n % 2 else (values[middle - 1] + values[middle]) // 2


def percentile(values: Sequence[int], fraction: float) -> int | None:
    """Nearest-rank percentile of sorted integers."""
    if not values:
        return None
    rank = max(1, math.ceil(fraction * len(values) - 1e-9))
    return values[rank - 1]


def _duration(value: int | None) -> timedelta | None:
    return timedelta(microseconds=value) if value is not None else None


class _Bucket:
    __slots__ = (
        "ack",
        "compensation",
        "escalated",
        "follow_ups",
        "levels",
        "open",
        "received",
        "remedies",
        "reopened",
        "repeat",
        "resolve",
        "resolved",
        "score_count",
        "score_sum",
        "sla",
        "solved",
        "surveyed",
        "withdrawn",
    )

    def __init__(self) -> None:
        self.received = self.resolved = self.withdrawn = self.open = 0
        self.ack: list[int] = []
        self.resolve: list[int] = []
        self.sla: dict[str, list[int]] = {}
        self.escalated = 0
        self.levels: Counter[str] = Counter()
        self.reopened = 0
        self.remedies: Counter[str] = Counter()
        self.compensation: dict[str, Decimal] = {}
        self.follow_ups = self.solved = 0
        self.score_sum = self.score_count = 0
        self.surveyed = 0
        self.repeat = 0


_BucketOf = Callable[[int | None, str | None], "_Bucket | None"]


def _add_day(into: _Bucket, figures: Figures) -> None:
    """Add one day row's figures to a period's."""
    get = figures.get
    into.received += get("received", 0)
    into.escalated += get("escalated", 0)
    into.withdrawn += get("withdrawn", 0)
    into.resolved += get("resolved", 0)
    into.reopened += get("reopened", 0)
    into.surveyed += get("surveyed", 0)
    into.follow_ups += get("follow_ups", 0)
    into.solved += get("solved", 0)
    into.score_sum += get("score_sum", 0)
    into.score_count += get("scores", 0)
    into.repeat += get("repeat", 0)
    into.ack.extend(get("ack", ()))
    into.resolve.extend(get("resolve", ()))
    into.levels.update(get("levels", {}))
    into.remedies.update(get("remedies", {}))
    for currency, amounts in get("compensation", {}).items():
        total = into.compensation.get(currency, Decimal(0))
        for amount in amounts:
            total += Decimal(amount)
        into.compensation[currency] = total


def _statistics(
    label: str, lo: datetime, hi: datetime, group: str | None, bucket: _Bucket
) -> PeriodStatistics:
    ack = sorted(bucket.ack)
    resolve = sorted(bucket.resolve)
    sla = {metric: Rate(counts[0], counts[1]) for metric, counts in sorted(bucket.sla.items())}
    promise = sla.get("promise", Rate(0, 0))
    return PeriodStatistics(
        period=label,
        start=lo,
        end=hi,
        group=group,
        received=bucket.received,
        resolved=bucket.resolved,
        withdrawn=bucket.withdrawn,
        open_at_end=bucket.open,
        acknowledge_median=_duration(median(ack)),
        acknowledge_p90=_duration(percentile(ack, 0.9)),
        resolve_median=_duration(median(resolve)),
        resolve_p90=_duration(percentile(resolve, 0.9)),
        sla_compliance=sla,
        promise_kept=promise,
        escalated=Rate(bucket.escalated, bucket.received),
        escalation_levels=dict(sorted(bucket.levels.items())),
        reopened=Rate(bucket.reopened, bucket.resolved),
        remedies=dict(sorted(bucket.remedies.items())),
        compensation=dict(sorted(bucket.compensation.items())),
        follow_up_confirmed=Rate(bucket.solved, bucket.follow_ups),
        survey_mean=bucket.score_sum / bucket.score_count if bucket.score_count else None,
        survey_responses=Rate(bucket.surveyed, bucket.resolved),
        repeat_complaints=bucket.repeat,
    )

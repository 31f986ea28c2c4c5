"""Complaint statistics per period and grouping: exact counts, durations, rates, money.

The projection keeps one *fact row* per complaint: its grouping attributes (category
dimension, cause, product, channel, severity, team; the latest values), the times of its
steps, the business time to acknowledge, and its cycles (received or reopened until
resolved) as a JSON list with the business time to resolve, remedy, compensation, reopening,
follow-up and survey of each. Business times are measured on the policy's calendar when the
events arrive.

Beside them it keeps one *day row* per local calendar day in the calendar's time zone, with
that day's figures pre-aggregated (``_days``): the usual report (ungrouped, in
that time zone, ``as_of`` not before any complaint's latest activity, which is what "as of
now" is) reads the day rows of its range, a few dozen for a month. Any other report reads the
fact rows that can touch the requested range and aggregates them in Python. Both are exact,
and give the same figures: counts are counts, money is summed as :class:`~decimal.Decimal`
per currency, and percentiles are computed over every stored duration of the group (the day
rows keep every duration):

* median: the middle value; for an even count the mean of the two middle values, rounded
  down to the microsecond;
* 90th percentile: nearest rank, the smallest duration with at least 90% of the group at or
  below it (``sorted[ceil(0.9 * n) - 1]``), always an observed value.

What lands in which period (periods are local calendar days, ISO weeks from Monday,
months, quarters or years in the report's time zone):

* received, escalation rate and levels, repeat complaints: by the time it was received;
* acknowledged durations: by the time it was acknowledged;
* resolved, resolve durations, remedies, compensation, reopen rate (share of these
  resolutions reopened by ``as_of``), survey response rate (share surveyed by ``as_of``):
  by the time of the resolution;
* withdrawn, follow-up confirmation, survey scores: by the time they happened;
* open at period end: open at the end of the period (or at ``as_of``, if earlier);
* SLA compliance and promise-kept rate: SLA clocks by the time their outcome was decided
  (met, or breached at the due time), read from the SLA projection's tables: its outcome
  counts per local day (``_sla_days``) when the day rows answer and the SLA policy's
  calendar has the report's time zone, its clock rows otherwise;
* repeat complaint: the same customer complained in the same category (all three parts
  equal; complaints without a category never repeat) within the 30 days before.

``as_of`` (business time) leaves out everything that happened after it. The grouping
attributes are the latest known: a complaint reclassified later is counted in its new
category; to see the classification as it was known at a moment, use ``as_known_at``.
"""

from __future__ import annotations

from complaintlog.projections.statistics._facts import TABLE as TABLE
from complaintlog.projections.statistics._periods import GROUPINGS, PERIODS
from complaintlog.projections.statistics._periods import Grouping as Grouping
from complaintlog.projections.statistics._periods import Period as Period
from complaintlog.projections.statistics._periods import periods as periods
from complaintlog.projections.statistics._projection import StatisticsProjection
from complaintlog.projections.statistics._report import PeriodStatistics, Rate
from complaintlog.projections.statistics._report import median as median
from complaintlog.projections.statistics._report import percentile as percentile
from complaintlog.projections.statistics._view import Acknowledgements, StatisticsView

__all__ = [
    "GROUPINGS",
    "Acknowledgements",
    "PERIODS",
    "PeriodStatistics",
    "Rate",
    "StatisticsProjection",
    "StatisticsView",
]

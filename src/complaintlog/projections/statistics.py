"""Complaint statistics per period and grouping: exact counts, durations, rates, money.

The projection keeps one *fact row* per complaint: its grouping attributes (category
dimension, cause, product, channel, severity, team; the latest values), the times of its
steps, the business time to acknowledge, and its cycles (received or reopened until
resolved) as a JSON list with the business time to resolve, remedy, compensation, reopening,
follow-up and survey of each. Business times are measured on the policy's calendar when the
events arrive.

Beside them it keeps one *day row* per local calendar day in the calendar's time zone, with
that day's figures pre-aggregated (``_statistics_days``): the usual report (ungrouped, in
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

import bisect
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import attrs
import orjson

from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.errors import InvalidValueError
from complaintlog.projections._framework import (
    LogEvent,
    Projection,
    select_in,
    to_us,
)
from complaintlog.projections._sla_days import SLA_CONFIG, read_outcomes
from complaintlog.projections._statistics_days import (
    DAYS_TABLE,
    Days,
    DayStarts,
    Figures,
    build,
    contribute,
    create_days_indexes,
    create_days_table,
    read_days,
    update,
)
from complaintlog.projections._store import Row, Transaction, ViewStore, compose, write_rows
from complaintlog.projections.current_state import NOT_ACTIVITY

__all__ = [
    "GROUPINGS",
    "PERIODS",
    "PeriodStatistics",
    "Rate",
    "StatisticsProjection",
    "StatisticsView",
]

TABLE = "complaintlog_statistics"
_SLA_CLOCKS = "complaintlog_sla_clocks"
_US = timedelta(microseconds=1)
_REPEAT_WINDOW = 30 * 24 * 3600 * 1_000_000
_LONG_LIVED = 92 * 24 * 3600 * 1_000_000
"""Complaints active longer than this (a quarter) are looked up by their span, the others
by when they were received (``StatisticsView._active_rows``)."""

Period = Literal["day", "week", "month", "quarter", "year"]
PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
Grouping = Literal["dimension", "cause", "product", "channel", "severity", "team"]
GROUPINGS: tuple[str, ...] = ("dimension", "cause", "product", "channel", "severity", "team")

_COLUMNS = (
    "complaint_id",
    "customer_id",
    "channel",
    "severity",
    "dimension",
    "cause",
    "product",
    "team",
    "received_us",
    "acknowledged_us",
    "ack_business_us",
    "withdrawn_us",
    "escalated_us",
    "escalation_level",
    "escalations",
    "closed_us",
    "last_activity_us",
    "cycles",
)
_COLUMN_LIST = ", ".join(_COLUMNS)
_INDEX = {name: index for index, name in enumerate(_COLUMNS)}
_REPORTED = (
    "received_us",
    "escalated_us",
    "escalation_level",
    "acknowledged_us",
    "ack_business_us",
    "withdrawn_us",
    "cycles",
)
"""What a report reads of a fact row (then the grouping column, or NULL)."""
_REPORTED_LIST = ", ".join(_REPORTED)
_RECEIVED_AT, _ESCALATED_AT, _LEVEL, _ACKNOWLEDGED_AT, _ACK_BUSINESS, _WITHDRAWN_AT, _CYCLES = (
    range(len(_REPORTED))
)
_GROUP = len(_REPORTED)

# A cycle, as a list inside the JSON column:
_STARTED, _RESOLVED, _RESOLVE_BUSINESS, _REMEDY, _AMOUNT, _CURRENCY = range(6)
_ACCEPTED, _REOPENED, _FOLLOWED_UP, _SOLVED, _SURVEYED, _SCORE = range(6, 12)


def _new_cycle(started: int) -> list[Any]:
    return [started, None, None, None, None, None, None, None, None, None, None, None]


def _type(name: str) -> str:
    if name in {"complaint_id", "channel", "severity", "cycles"}:
        return "TEXT NOT NULL"
    if name in {"received_us", "last_activity_us", "escalations"}:
        return "BIGINT NOT NULL"
    return "BIGINT" if name.endswith("_us") else "TEXT"


class _Facts:
    __slots__ = (*_COLUMNS[:-1], "cycles")

    complaint_id: str
    customer_id: str | None
    channel: str
    severity: str
    dimension: str | None
    cause: str | None
    product: str | None
    team: str | None
    received_us: int
    acknowledged_us: int | None
    ack_business_us: int | None
    withdrawn_us: int | None
    escalated_us: int | None
    escalation_level: str | None
    escalations: int
    closed_us: int | None
    last_activity_us: int
    cycles: list[list[Any]]

    def row(self) -> tuple[Any, ...]:
        return (
            self.complaint_id,
            self.customer_id,
            self.channel,
            self.severity,
            self.dimension,
            self.cause,
            self.product,
            self.team,
            self.received_us,
            self.acknowledged_us,
            self.ack_business_us,
            self.withdrawn_us,
            self.escalated_us,
            self.escalation_level,
            self.escalations,
            self.closed_us,
            self.last_activity_us,
            orjson.dumps(self.cycles).decode(),
        )


class StatisticsProjection(Projection[_Facts]):
    """Keeps one fact row per complaint; business times on ``calendar``."""

    name = "statistics"
    tables = (TABLE, DAYS_TABLE)
    per_complaint = True

    def __init__(self, calendar: BusinessCalendar) -> None:
        super().__init__()
        self.calendar = calendar
        self._zone = calendar.time_zone.key
        self._day_of = DayStarts(calendar.time_zone)
        self._days_kept = False
        """Whether :meth:`write` keeps the day rows up to date: not while a rebuild writes
        the fact rows (the day rows are derived from them at its end, in
        :meth:`create_indexes`)."""
        self._counted: Days | None = None
        """The figures of the complaints a rebuild complaint by complaint has written so
        far, added up by day as it writes them: its day rows, without reading them back."""

    def config(self) -> str:
        return f"statistics-2 {self.calendar!r}"

    def create_tables(self, tx: Transaction) -> None:
        columns = ", ".join(f"{name} {_type(name)}" for name in _COLUMNS)
        tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({columns}, PRIMARY KEY (complaint_id))")
        create_days_table(tx)
        self._days_kept = False
        self._counted = None

    def create_indexes(self, tx: Transaction) -> None:
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_received ON {TABLE} (received_us)")
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_activity ON {TABLE} (last_activity_us)")
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_open ON {TABLE} (received_us) "
            "WHERE closed_us IS NULL"
        )
        # for reports (StatisticsView.report): complaints by how long they have been active,
        # and the open ones by their last activity
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_span ON {TABLE} ((last_activity_us - received_us))"
        )
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_open_activity ON {TABLE} (last_activity_us) "
            "WHERE closed_us IS NULL"
        )
        # for the day rows' repeat complaints: a customer's other complaints
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_customer ON {TABLE} (customer_id)")
        create_days_indexes(tx)
        # The runner creates the indexes when the tables are new, when it opens existing
        # ones, and when a rebuild has written every fact row: day rows missing beside fact
        # rows are derived from them now, and kept up to date from here on.
        if not self._days_kept and (
            not tx.query(compose("SELECT 1 FROM {table} LIMIT 1", table=DAYS_TABLE))
            and tx.query(compose("SELECT 1 FROM {table} LIMIT 1", table=TABLE))
        ):
            build(tx, TABLE, self._day_of, self._zone, counted=self._counted)
        self._days_kept = True
        self._counted = None

    def load(self, store: ViewStore, complaint_ids: Sequence[str]) -> dict[str, _Facts]:
        found: dict[str, _Facts] = {}
        for row in select_in(
            store,
            compose(
                "SELECT {column_list} FROM {table} WHERE complaint_id",
                column_list=_COLUMN_LIST,
                table=TABLE,
            ),
            complaint_ids,
        ):
            facts = _Facts()
            for name, value in zip(_COLUMNS[:-1], row, strict=False):
                setattr(facts, name, value)
            facts.cycles = orjson.loads(row[-1])
            found[facts.complaint_id] = facts
        return found

    def write(self, tx: Transaction) -> None:
        if not self.dirty:
            return
        if self._days_kept:  # before the fact rows: the table still holds the committed ones
            update(tx, TABLE, self._day_of, self._zone, [_day_row(f) for f in self.dirty.values()])
        elif self.rows_are_new:  # a rebuild: counted as written, for its day rows at the end
            if self._counted is None:
                self._counted = {}
            for facts in self.dirty.values():
                contribute(self._counted, self._day_of, _day_row(facts))
        rows = [facts.row() for facts in self.dirty.values()]
        placeholders = ", ".join("?" * len(_COLUMNS))
        write_rows(tx, TABLE, _COLUMNS, placeholders, "complaint_id", rows, new=self.rows_are_new)

    def _business(self, start: int, end: int) -> int:
        return self.calendar.between_us(start, end)

    def handle(self, events: Sequence[LogEvent]) -> None:
        cache = self.cache
        dirty = self.dirty
        for _, complaint_id, kind, at, data in events:
            if not kind or kind in NOT_ACTIVITY:
                continue  # another aggregate's event, or a record that is no handling step
            if kind == "Received":
                facts = cache[complaint_id] = _received(complaint_id, at, data)
                dirty[complaint_id] = facts
                continue
            found = cache.get(complaint_id)
            if found is None:
                continue
            facts = found
            cycle = facts.cycles[-1]
            match kind:
                case "Acknowledged":
                    facts.acknowledged_us = at
                    facts.ack_business_us = self._business(facts.received_us, at)
                case "Assigned":
                    facts.team = data["team"]
                case "Escalated":
                    facts.escalations += 1
                    facts.escalation_level = data["level"]
                    if facts.escalated_us is None:
                        facts.escalated_us = at
                case "Reclassified":
                    category = data["category"]
                    if category is not None:
                        facts.dimension = category["dimension"]
                        facts.cause = category["cause"]
                        facts.product = category["product"]
                    if data["severity"] is not None:
                        facts.severity = data["severity"]
                case "Resolved":
                    cycle[_RESOLVED] = at
                    cycle[_RESOLVE_BUSINESS] = self._business(cycle[_STARTED], at)
                    cycle[_REMEDY] = data["remedy"]
                    money = data["compensation"]
                    if money is not None:
                        cycle[_AMOUNT] = str(money["amount"])
                        cycle[_CURRENCY] = money["currency"]
                    cycle[_ACCEPTED] = data["accepted"]
                    facts.closed_us = at
                case "Reopened":
                    cycle[_REOPENED] = at
                    facts.cycles.append(_new_cycle(at))
                    facts.closed_us = None
                case "FollowedUp":
                    cycle[_FOLLOWED_UP] = at
                    cycle[_SOLVED] = bool(data["solved"])
                case "Surveyed":
                    cycle[_SURVEYED] = at
                    cycle[_SCORE] = int(data["score"])
                case "Withdrawn":
                    facts.withdrawn_us = at
                    facts.closed_us = at
                case _:
                    pass  # promises, updates, pauses: counted from the SLA clocks
            facts.last_activity_us = at
            dirty[complaint_id] = facts


def _day_row(facts: _Facts) -> tuple[Any, ...]:
    """What the day rows take of a complaint's facts (``_statistics_days.FACT_COLUMNS``)."""
    return (
        facts.complaint_id,
        facts.customer_id,
        facts.dimension,
        facts.cause,
        facts.product,
        facts.received_us,
        facts.acknowledged_us,
        facts.ack_business_us,
        facts.withdrawn_us,
        facts.escalated_us,
        facts.escalation_level,
        facts.cycles,
    )


def _received(complaint_id: str, at: int, data: dict[str, Any]) -> _Facts:
    category = data["category"] or {}
    facts = _Facts()
    facts.complaint_id = complaint_id
    facts.customer_id = data["customer"]["id"]
    facts.channel = data["channel"]
    facts.severity = data["severity"]
    facts.dimension = category.get("dimension")
    facts.cause = category.get("cause")
    facts.product = category.get("product")
    facts.team = None
    facts.received_us = at
    facts.acknowledged_us = facts.ack_business_us = facts.withdrawn_us = None
    facts.escalated_us = None
    facts.escalation_level = None
    facts.escalations = 0
    facts.closed_us = None
    facts.last_activity_us = at
    facts.cycles = [_new_cycle(at)]
    return facts


# -- results -------------------------------------------------------------------------------


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


def periods(
    kind: str, start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[str, datetime, datetime]]:
    """The periods of ``kind`` overlapping ``[start, end)``, as ``(label, start, end)``."""
    if kind not in PERIODS:
        raise InvalidValueError("period", kind, f"one of {', '.join(PERIODS)}")
    if end <= start:
        raise InvalidValueError("end", end, "must be after start")
    day = start.astimezone(zone).date()
    if kind == "week":
        day -= timedelta(days=day.weekday())
    elif kind == "month":
        day = day.replace(day=1)
    elif kind == "quarter":
        day = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif kind == "year":
        day = date(day.year, 1, 1)
    result: list[tuple[str, datetime, datetime]] = []
    while True:
        lo = datetime(day.year, day.month, day.day, tzinfo=zone)
        if lo >= end:
            return result
        following = _next(kind, day)
        hi = datetime(following.year, following.month, following.day, tzinfo=zone)
        result.append((_label(kind, day), lo, hi))
        day = following


def _next(kind: str, day: date) -> date:
    if kind == "day":
        return day + timedelta(days=1)
    if kind == "week":
        return day + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _label(kind: str, day: date) -> str:
    if kind == "day":
        return day.isoformat()
    if kind == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


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


class StatisticsView:
    """Statistics reports over the fact rows (and the SLA clocks for compliance)."""

    def __init__(
        self,
        store: ViewStore,
        time_zone: ZoneInfo,
        *,
        clock: Callable[[], datetime] | None = None,
        with_sla: bool = True,
    ) -> None:
        self._store = store
        self.time_zone = time_zone
        self._clock = clock
        self._with_sla = with_sla
        self._day_starts: dict[str, DayStarts] = {}

    def report(
        self,
        period: Period | str,
        start: datetime,
        end: datetime,
        *,
        group_by: Grouping | str | None = None,
        as_of: datetime | None = None,
        time_zone: str | ZoneInfo | None = None,
    ) -> list[PeriodStatistics]:
        """Figures per period overlapping ``[start, end)`` and per group, in period order.

        Only groups with something to report in a period are listed; periods with nothing at
        all are listed once with the group ``None`` and zero counts. ``as_of`` defaults to
        now (the log's clock): a deadline still ahead is not yet a breach.
        """
        if group_by is not None and group_by not in GROUPINGS:
            raise InvalidValueError("group_by", group_by, f"one of {', '.join(GROUPINGS)}")
        zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone or self.time_zone
        spans = periods(str(period), start, end, zone)
        starts = [to_us(lo) for _, lo, _ in spans]
        ends = [to_us(hi) for _, _, hi in spans]
        if as_of is None and self._clock is not None:
            as_of = self._clock()
        cut = to_us(as_of) if as_of is not None else None
        lo_all, hi_all = starts[0], ends[-1]
        group_index = _INDEX[group_by] if group_by is not None else None
        buckets: dict[tuple[int, str | None], _Bucket] = {}

        def bucket(moment: int | None, group: str | None) -> _Bucket | None:
            if moment is None or moment < lo_all or moment >= hi_all:
                return None
            if cut is not None and moment > cut:
                return None
            index = bisect.bisect_right(starts, moment) - 1
            key = (index, group)
            found = buckets.get(key)
            if found is None:
                found = buckets[key] = _Bucket()
            return found

        column = _COLUMNS[group_index] if group_index is not None else None
        if column is None and self._settled(zone, cut):
            self._add_days(buckets, starts, ends)
            if self._with_sla:
                self._add_sla(bucket, starts, lo_all, hi_all, cut, column, zone)
            return self._results(spans, buckets)
        if cut is None or cut >= lo_all:
            self._add_open_throughout(buckets, len(spans), lo_all, column)
            rows = self._active_rows(lo_all, hi_all, column)
        else:  # as of a moment before the range: every complaint received by its end
            rows = self._store.query(
                compose(
                    "SELECT {reported}, {group} FROM {table} WHERE received_us < ? AND "
                    "(closed_us IS NULL OR closed_us >= ? OR last_activity_us >= ?)",
                    reported=_REPORTED_LIST,
                    group=column or "NULL",
                    table=TABLE,
                ),
                (hi_all, lo_all, lo_all),
            )
        for row in rows:
            self._add(row, row[_GROUP], bucket, cut, ends, buckets)
        if self._with_sla:
            self._add_sla(bucket, starts, lo_all, hi_all, cut, column)
        self._add_repeats(bucket, lo_all, hi_all, cut, group_index)
        return self._results(spans, buckets)

    def _settled(self, zone: ZoneInfo, cut: int | None) -> bool:
        """Whether the day rows answer: they are in the report's time zone, and ``as_of``
        is not before anything the facts hold (every step of a complaint is at or before
        its last activity), so that nothing is left out by it."""
        kept = self._store.query(compose("SELECT zone FROM {table} LIMIT 1", table=DAYS_TABLE))
        if not kept or kept[0][0] != zone.key:
            return False
        if cut is None:
            return True
        latest = self._store.query(
            compose("SELECT MAX(last_activity_us) FROM {table}", table=TABLE)
        )[0][0]
        return latest is None or cut >= latest

    def _add_days(
        self, buckets: dict[tuple[int, str | None], _Bucket], starts: list[int], ends: list[int]
    ) -> None:
        """The figures of every period from the day rows (``_statistics_days``): a few rows
        per period, whatever it holds. Periods are whole local days in the rows' zone."""
        open_now, days = read_days(self._store.query, starts[0], ends[-1])
        period = 0
        into = buckets[(0, None)] = _Bucket()
        for day, figures in days:
            while day >= ends[period]:
                into.open = open_now
                period += 1
                into = buckets[(period, None)] = _Bucket()
            open_now += figures.get("opened", 0) - figures.get("closed", 0)
            _add_day(into, figures)
        into.open = open_now
        for index in range(period + 1, len(ends)):
            buckets[(index, None)] = _Bucket()
            buckets[(index, None)].open = open_now

    def _add_open_throughout(
        self,
        buckets: dict[tuple[int, str | None], _Bucket],
        periods: int,
        lo: int,
        column: str | None,
    ) -> None:
        """Complaints open since before the range with nothing happening since: open at
        every period's end (and at ``as_of``, which is not before the range), and nothing
        else to count. Counted per group in SQL, on the index of open complaints by their
        last activity (which is never before their receipt)."""
        rows = self._store.query(
            compose(
                "SELECT {group}, COUNT(*) FROM {table} WHERE closed_us IS NULL "
                "AND last_activity_us < ?{group_by}",
                group=column or "NULL",
                table=TABLE,
                group_by=f" GROUP BY {column}" if column else "",
            ),
            (lo,),
        )
        for group, count in rows:
            for index in range(periods):
                key = (index, group)
                found = buckets.get(key)
                if found is None:
                    found = buckets[key] = _Bucket()
                found.open += int(count)

    def _active_rows(self, lo: int, hi: int, column: str | None) -> list[Row]:
        """The fact rows of complaints received before ``hi`` with activity since ``lo``.

        A complaint's steps never go back in business time, so everything it did lies
        between its receipt and its last activity. Those received within a quarter before
        ``lo`` are found by their receipt (the receipt index, a range about as long as the
        report's); the few active for longer than a quarter by that span (the span index).
        So a report costs what its range holds, not what the whole history holds.
        """
        select = compose(
            "SELECT {reported}, {group} FROM {table} WHERE ",
            reported=_REPORTED_LIST,
            group=column or "NULL",
            table=TABLE,
        )
        recent = self._store.query(
            select + "received_us >= ? AND received_us < ? "
            "AND (last_activity_us >= ? OR closed_us >= ?)",
            (lo - _LONG_LIVED, hi, lo, lo),
        )
        long_lived = self._store.query(
            select + "(last_activity_us - received_us) > ? AND received_us < ? "
            "AND (last_activity_us >= ? OR closed_us >= ?)",
            (_LONG_LIVED, lo - _LONG_LIVED, lo, lo),
        )
        return recent + long_lived

    def monthly(
        self,
        start: datetime,
        end: datetime,
        *,
        group_by: Grouping | str | None = None,
        as_of: datetime | None = None,
    ) -> list[PeriodStatistics]:
        """:meth:`report` by calendar month."""
        return self.report("month", start, end, group_by=group_by, as_of=as_of)

    # -- aggregation ----------------------------------------------------------------------

    @staticmethod
    def _add(
        row: Sequence[Any],
        group: str | None,
        bucket: _BucketOf,
        cut: int | None,
        ends: list[int],
        buckets: dict[tuple[int, str | None], _Bucket],
    ) -> None:
        def known(moment: int | None) -> bool:
            return moment is not None and (cut is None or moment <= cut)

        received = row[_RECEIVED_AT]
        into = bucket(received, group)
        if into is not None:
            into.received += 1
            escalated = row[_ESCALATED_AT]
            if known(escalated):
                into.escalated += 1
                # the level reached by as_of is not kept per step: the latest level is shown
                into.levels[row[_LEVEL]] += 1
        acknowledged = row[_ACKNOWLEDGED_AT]
        into = bucket(acknowledged, group)
        if into is not None:
            into.ack.append(row[_ACK_BUSINESS])
        withdrawn = row[_WITHDRAWN_AT]
        into = bucket(withdrawn, group)
        if into is not None:
            into.withdrawn += 1
        cycles = orjson.loads(row[_CYCLES])
        for cycle in cycles:
            into = bucket(cycle[_RESOLVED], group)
            if into is not None:
                into.resolved += 1
                into.resolve.append(cycle[_RESOLVE_BUSINESS])
                into.remedies[cycle[_REMEDY]] += 1
                if cycle[_CURRENCY] is not None:
                    currency = cycle[_CURRENCY]
                    into.compensation[currency] = into.compensation.get(
                        currency, Decimal(0)
                    ) + Decimal(cycle[_AMOUNT])
                if known(cycle[_REOPENED]):
                    into.reopened += 1
                if known(cycle[_SURVEYED]):
                    into.surveyed += 1
            into = bucket(cycle[_FOLLOWED_UP], group)
            if into is not None:
                into.follow_ups += 1
                if cycle[_SOLVED]:
                    into.solved += 1
            into = bucket(cycle[_SURVEYED], group)
            if into is not None:
                into.score_sum += cycle[_SCORE]
                into.score_count += 1
        # Open at each period's end, or at as_of for periods ending after it: a cycle is
        # open from its start until resolved, the last one until withdrawn.
        withdrawn_known = withdrawn if known(withdrawn) else None
        for cycle in cycles:
            opened = cycle[_STARTED]
            if cut is not None and opened > cut:
                break
            resolved = cycle[_RESOLVED] if known(cycle[_RESOLVED]) else None
            until = resolved if resolved is not None else withdrawn_known
            for index in range(bisect.bisect_left(ends, opened), len(ends)):
                end = ends[index]
                if cut is not None and cut < end:
                    is_open = until is None  # everything known by as_of is <= as_of
                elif until is not None and until < end:
                    break
                else:
                    is_open = opened < end
                if is_open:
                    key = (index, group)
                    found = buckets.get(key)
                    if found is None:
                        found = buckets[key] = _Bucket()
                    found.open += 1

    def _add_sla(
        self,
        bucket: _BucketOf,
        starts: list[int],
        lo: int,
        hi: int,
        cut: int | None,
        column: str | None,
        zone: ZoneInfo | None = None,
    ) -> None:
        """SLA compliance: clocks by the period of their outcome, counted in SQL per period,
        group (the complaint's fact row) and metric.

        With ``zone`` (a settled, ungrouped report: see :meth:`_settled`), from the SLA
        projection's outcome day rows (``_sla_days``) when they are in that zone."""
        tracked = self._store.query(
            "SELECT position, config FROM complaintlog_projection_tracking WHERE projection = ?",
            ("sla",),
        )
        if not tracked:
            return
        position, config = tracked[0]
        if (
            zone is not None
            and column is None
            and position >= 0  # not being rebuilt
            and str(config).startswith(f"{SLA_CONFIG} ")  # the version keeping the rows
            and self._sla_days(bucket, lo, hi, cut, zone)
        ):
            return
        # the period of an outcome: the number of period starts after the first one it
        # reached (the periods are contiguous)
        period = "".join(f" WHEN c.outcome_us < ? THEN {index}" for index in range(len(starts) - 1))
        period = f"CASE{period} ELSE {len(starts) - 1} END" if period else "0"
        where = "c.outcome_us >= ? AND c.outcome_us < ?"
        params: list[Any] = [*starts[1:], lo, hi]
        if cut is not None:
            where += " AND c.outcome_us <= ?"
            params.append(cut)
        rows = self._store.query(
            compose(
                "SELECT {period} AS period, {group} AS grp, c.metric, SUM(c.on_time), COUNT(*) "
                "FROM {sla_clocks} c {join} WHERE {where} GROUP BY period, {grouped}c.metric",
                period=period,
                group=f"s.{column}" if column is not None else "NULL",
                sla_clocks=_SLA_CLOCKS,
                join=f"LEFT JOIN {TABLE} s ON s.complaint_id = c.complaint_id" if column else "",
                grouped="grp, " if column else "",
                where=where,
            ),
            params,
        )
        for index, group, metric, on_time, count in rows:
            into = bucket(starts[int(index)], group)
            if into is not None:
                counts = into.sla.setdefault(metric, [0, 0])
                counts[0] += int(on_time or 0)
                counts[1] += int(count)

    def _sla_days(
        self, bucket: _BucketOf, lo: int, hi: int, cut: int | None, zone: ZoneInfo
    ) -> bool:
        """Add the outcomes of ``[lo, hi)`` known by ``cut`` from the outcome day rows (and
        the clock rows of ``cut``'s own day), if the rows are in ``zone``; whether they were."""
        cut_day = None
        if cut is not None:
            day_of = self._day_starts.get(zone.key)
            if day_of is None:
                day_of = self._day_starts[zone.key] = DayStarts(zone)
            cut_day = day_of.of(cut)
        kept, outcomes = read_outcomes(self._store.query, _SLA_CLOCKS, lo, hi, cut, cut_day)
        if kept is not None and kept != zone.key:
            return False
        for moment, metric, on_time, decided in outcomes:
            into = bucket(moment, None)
            if into is not None:
                counts = into.sla.setdefault(metric, [0, 0])
                counts[0] += on_time
                counts[1] += decided
        return True

    def _add_repeats(
        self, bucket: _BucketOf, lo: int, hi: int, cut: int | None, group_index: int | None
    ) -> None:
        """Repeat complaints: the same customer and category (all three parts) within the
        window before; each complaint's predecessor found in SQL (a window function)."""
        group_column = _COLUMNS[group_index] if group_index is not None else "NULL"
        known = "" if cut is None else " AND received_us <= ?"
        rows = self._store.query(
            compose(
                "SELECT received_us, grp FROM (SELECT received_us, {group_column} AS grp, "
                "received_us - LAG(received_us) OVER (PARTITION BY customer_id, dimension, "
                "cause, product ORDER BY received_us) AS gap FROM {table} "
                "WHERE received_us >= ? AND received_us < ?{known} AND customer_id IS NOT NULL "
                "AND (dimension IS NOT NULL OR cause IS NOT NULL OR product IS NOT NULL)"
                ") AS ordered WHERE gap <= ?",
                group_column=group_column,
                table=TABLE,
                known=known,
            ),
            (lo - _REPEAT_WINDOW, hi, *(() if cut is None else (cut,)), _REPEAT_WINDOW),
        )
        for received, group in rows:
            into = bucket(received, group)
            if into is not None:
                into.repeat += 1

    @staticmethod
    def _results(
        spans: list[tuple[str, datetime, datetime]],
        buckets: Mapping[tuple[int, str | None], _Bucket],
    ) -> list[PeriodStatistics]:
        results: list[PeriodStatistics] = []
        for index, (label, lo, hi) in enumerate(spans):
            keys = sorted(
                (key for key in buckets if key[0] == index),
                key=lambda key: (key[1] is None, key[1] or ""),
            )
            if not keys:
                results.append(_statistics(label, lo, hi, None, _Bucket()))
            results.extend(_statistics(label, lo, hi, key[1], buckets[key]) for key in keys)
        return results


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

"""The statistics query view: reports per period and group over the stored rows.

``StatisticsView.report`` reads the day rows when they answer (ungrouped, in their time
zone, as of now), the fact rows that can touch the range otherwise, and the SLA
projection's tables for compliance; it aggregates them into ``_report``'s buckets.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import orjson

from complaintlog.errors import InvalidValueError
from complaintlog.projections._day_starts import DayStarts
from complaintlog.projections._framework.reader import to_us
from complaintlog.projections._sla_days import SLA_CONFIG, read_outcomes
from complaintlog.projections._store import Row, ViewStore, compose
from complaintlog.projections.statistics._days import DAYS_TABLE, read_days
from complaintlog.projections.statistics._facts import (
    _ACK_BUSINESS,
    _ACKNOWLEDGED_AT,
    _AMOUNT,
    _COLUMNS,
    _CURRENCY,
    _CYCLES,
    _ESCALATED_AT,
    _FOLLOWED_UP,
    _GROUP,
    _INDEX,
    _LEVEL,
    _RECEIVED_AT,
    _REMEDY,
    _REOPENED,
    _REPORTED_LIST,
    _RESOLVE_BUSINESS,
    _RESOLVED,
    _SCORE,
    _SOLVED,
    _STARTED,
    _SURVEYED,
    _WITHDRAWN_AT,
    TABLE,
)
from complaintlog.projections.statistics._periods import GROUPINGS, Grouping, Period, periods
from complaintlog.projections.statistics._report import (
    PeriodStatistics,
    _add_day,
    _Bucket,
    _BucketOf,
    _statistics,
)

_SLA_CLOCKS = "complaintlog_sla_clocks"
_REPEAT_WINDOW = 30 * 24 * 3600 * 1_000_000
_LONG_LIVED = 92 * 24 * 3600 * 1_000_000
"""Complaints active longer than this (a quarter) are looked up by their span, the others
by when they were received (``StatisticsView._active_rows``)."""


@attrs.frozen
class Acknowledgements:
    """Acknowledgements in a window, and how many expressed regret or thanked."""

    acknowledged: int
    with_regret: int
    with_thanks: int
    not_recorded: int
    """Acknowledged without saying (recorded before regret and thanks were facts)."""


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
        tenant: str | None = None,
    ) -> list[PeriodStatistics]:
        """Figures per period overlapping ``[start, end)`` and per group, in period order.

        Only groups with something to report in a period are listed; periods with nothing at
        all are listed once with the group ``None`` and zero counts. ``as_of`` defaults to
        now (the log's clock): a deadline still ahead is not yet a breach. ``tenant``
        counts that tenant's complaints only (from the fact rows: the day rows add up
        every tenant); ``group_by="tenant"`` reports each tenant apart.
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
        if column is None and tenant is None and self._settled(zone, cut):
            self._add_days(buckets, starts, ends)
            if self._with_sla:
                self._add_sla(bucket, starts, lo_all, hi_all, cut, column, zone)
            return self._results(spans, buckets)
        if cut is None or cut >= lo_all:
            self._add_open_throughout(buckets, len(spans), lo_all, column, tenant)
            rows = self._active_rows(lo_all, hi_all, column, tenant)
        else:  # as of a moment before the range: every complaint received by its end
            rows = self._store.query(
                compose(
                    "SELECT {reported}, {group} FROM {table} WHERE received_us < ? AND "
                    "(closed_us IS NULL OR closed_us >= ? OR last_activity_us >= ?){tenant}",
                    reported=_REPORTED_LIST,
                    group=column or "NULL",
                    table=TABLE,
                    tenant=_tenant_clause(tenant),
                ),
                (hi_all, lo_all, lo_all, *_tenant_params(tenant)),
            )
        for row in rows:
            self._add(row, row[_GROUP], bucket, cut, ends, buckets)
        if self._with_sla:
            self._add_sla(bucket, starts, lo_all, hi_all, cut, column, tenant=tenant)
        self._add_repeats(bucket, lo_all, hi_all, cut, group_index, tenant)
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
        """The figures of every period from the day rows (``_days``): a few rows
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
        tenant: str | None,
    ) -> None:
        """Complaints open since before the range with nothing happening since: open at
        every period's end (and at ``as_of``, which is not before the range), and nothing
        else to count. Counted per group in SQL, on the index of open complaints by their
        last activity (which is never before their receipt)."""
        rows = self._store.query(
            compose(
                "SELECT {group}, COUNT(*) FROM {table} WHERE closed_us IS NULL "
                "AND last_activity_us < ?{tenant}{group_by}",
                group=column or "NULL",
                table=TABLE,
                tenant=_tenant_clause(tenant),
                group_by=f" GROUP BY {column}" if column else "",
            ),
            (lo, *_tenant_params(tenant)),
        )
        for group, count in rows:
            for index in range(periods):
                key = (index, group)
                found = buckets.get(key)
                if found is None:
                    found = buckets[key] = _Bucket()
                found.open += int(count)

    def _active_rows(self, lo: int, hi: int, column: str | None, tenant: str | None) -> list[Row]:
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
        only = _tenant_clause(tenant)
        recent = self._store.query(
            select + "received_us >= ? AND received_us < ? "
            "AND (last_activity_us >= ? OR closed_us >= ?)" + only,
            (lo - _LONG_LIVED, hi, lo, lo, *_tenant_params(tenant)),
        )
        long_lived = self._store.query(
            select + "(last_activity_us - received_us) > ? AND received_us < ? "
            "AND (last_activity_us >= ? OR closed_us >= ?)" + only,
            (_LONG_LIVED, lo - _LONG_LIVED, lo, lo, *_tenant_params(tenant)),
        )
        return recent + long_lived

    def monthly(
        self,
        start: datetime,
        end: datetime,
        *,
        group_by: Grouping | str | None = None,
        as_of: datetime | None = None,
        tenant: str | None = None,
    ) -> list[PeriodStatistics]:
        """:meth:`report` by calendar month."""
        return self.report("month", start, end, group_by=group_by, as_of=as_of, tenant=tenant)

    def acknowledgements(
        self, start: datetime, end: datetime, *, tenant: str | None = None
    ) -> Acknowledgements:
        """How the complaints acknowledged in ``[start, end)`` were acknowledged: with regret,
        with thanks (seeds 000 and 003), and how many did not record it (before version 2)."""
        rows = self._store.query(
            compose(
                "SELECT COUNT(*), SUM(CASE WHEN ack_regret = 1 THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN ack_thanks = 1 THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN ack_regret IS NULL AND ack_thanks IS NULL THEN 1 ELSE 0 END) "
                "FROM {table} WHERE acknowledged_us >= ? AND acknowledged_us < ?{tenant}",
                table=TABLE,
                tenant=_tenant_clause(tenant),
            ),
            (to_us(start), to_us(end), *_tenant_params(tenant)),
        )
        total, regret, thanks, unrecorded = (int(value or 0) for value in rows[0])
        return Acknowledgements(total, regret, thanks, unrecorded)

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
        *,
        tenant: str | None = None,
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
        joined = column is not None or tenant is not None
        where += _tenant_clause(tenant, "s.")
        params.extend(_tenant_params(tenant))
        rows = self._store.query(
            compose(
                "SELECT {period} AS period, {group} AS grp, c.metric, SUM(c.on_time), COUNT(*) "
                "FROM {sla_clocks} c {join} WHERE {where} GROUP BY period, {grouped}c.metric",
                period=period,
                group=f"s.{column}" if column is not None else "NULL",
                sla_clocks=_SLA_CLOCKS,
                join=f"LEFT JOIN {TABLE} s ON s.complaint_id = c.complaint_id" if joined else "",
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
        self,
        bucket: _BucketOf,
        lo: int,
        hi: int,
        cut: int | None,
        group_index: int | None,
        tenant: str | None,
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
                "WHERE received_us >= ? AND received_us < ?{known}{tenant} "
                "AND customer_id IS NOT NULL "
                "AND (dimension IS NOT NULL OR cause IS NOT NULL OR product IS NOT NULL)"
                ") AS ordered WHERE gap <= ?",
                group_column=group_column,
                table=TABLE,
                known=known,
                tenant=_tenant_clause(tenant),
            ),
            (
                lo - _REPEAT_WINDOW,
                hi,
                *(() if cut is None else (cut,)),
                *_tenant_params(tenant),
                _REPEAT_WINDOW,
            ),
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


def _tenant_clause(tenant: str | None, alias: str = "") -> str:
    """`` AND tenant = ?`` for a report of one tenant (its parameter: :func:`_tenant_params`)."""
    return f" AND {alias}tenant = ?" if tenant is not None else ""


def _tenant_params(tenant: str | None) -> tuple[str, ...]:
    return (tenant,) if tenant is not None else ()

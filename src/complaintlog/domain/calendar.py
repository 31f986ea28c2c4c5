"""Business calendars: working hours in a time zone, holidays, and exact business-time arithmetic.

SLA clocks count only working time ("1 business hour", "by close of the 3rd business day").
Working hours are wall-clock intervals per weekday in the calendar's time zone; each local date
turns them into real (UTC) instants with :mod:`zoneinfo`, so an interval keeps its real length
on a DST day unless the clock change falls inside it, in which case the real elapsed time
counts. Wall times that a clock change skips or repeats are read as :pep:`495` ``fold=0``
reads them (the offset before the change), and a date's working time is the union of its
intervals so read.

Why precomputed years: projections ask for due times on every event. Each local year is
turned once, on first use, into sorted UTC intervals with running totals of working time, so
:meth:`~BusinessCalendar.add` and :meth:`~BusinessCalendar.between` are two bisections plus a
step per year boundary crossed, whatever the duration, holidays and DST changes included.

Why an integer API beside the datetime one: a projection rebuild asks the calendar a few
times per event, and building, converting and validating aware datetimes cost more than the
arithmetic itself. :meth:`~BusinessCalendar.add_us`, :meth:`~BusinessCalendar.between_us`,
:meth:`~BusinessCalendar.next_working_us` and
:meth:`~BusinessCalendar.close_of_business_day_us` take and return integer microseconds
since 1970-01-01 UTC, find the year without building a datetime (the last year used is
kept), and share the arithmetic with the datetime methods, which convert and delegate.

The checks of a calendar's definition and ``WorkingInterval`` (re-exported here) are in
``_calendar_hours``, the integer instants and the precomputed year in ``_calendar_year``, the
iCalendar holiday reader in ``_calendar_ical``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from complaintlog.domain._calendar_hours import (
    _MIDNIGHT,
    WorkingInterval,
    _holiday,
    _time_us,
    _time_zone,
    _week,
)
from complaintlog.domain._calendar_ical import _ical_holidays
from complaintlog.domain._calendar_year import (
    _EPOCH,
    _LAST_INSTANT,
    _LAST_YEAR,
    _ONE_MICROSECOND,
    _ORIGIN,
    _US_PER_DAY,
    _duration,
    _instant,
    _Year,
)
from complaintlog.errors import InvalidValueError

__all__ = ["BusinessCalendar", "WorkingInterval"]


class BusinessCalendar:
    """Working hours per weekday in a time zone, minus holidays; an immutable value.

    ``hours`` maps weekday (0=Monday .. 6=Sunday) to working intervals in local wall time,
    e.g. ``{0: [(time(8, 30), time(12)), (time(14), time(17, 30))]}``; days left out do not
    work; ``None`` means around the clock. Every method takes timezone-aware datetimes and
    exact timedeltas. Results are UTC datetimes: compared with ``==``, an aware datetime in a
    zone with DST is unreliable around the change (:pep:`495` makes the repeated hour compare
    unequal across zones and ignores ``fold`` within one), and UTC has no such hour. Show them
    with ``.astimezone(calendar.time_zone)``.
    """

    __slots__ = (
        "_holiday_ordinals",
        "_holidays",
        "_hours",
        "_is_plain",
        "_last",
        "_name",
        "_week",
        "_years",
        "_zone",
    )

    def __init__(
        self,
        time_zone: str | ZoneInfo = "UTC",
        hours: Mapping[int, Sequence[WorkingInterval]] | None = None,
        holidays: Iterable[date] = (),
        name: str = "",
    ) -> None:
        if not isinstance(name, str):
            raise InvalidValueError("name", name, "must be a string")
        if isinstance(holidays, str | bytes) or not isinstance(holidays, Iterable):
            raise InvalidValueError("holidays", holidays, "must be an iterable of dates")
        self._zone = _time_zone(time_zone)
        self._week = _week(hours)
        self._hours = (
            None
            if hours is None
            else MappingProxyType({day: spans for day, spans in enumerate(self._week) if spans})
        )
        self._holidays = frozenset(_holiday(day) for day in holidays)
        self._holiday_ordinals = frozenset(day.toordinal() for day in self._holidays)
        self._name = name
        self._years: dict[int, _Year] = {}
        self._last: _Year | None = None
        """The year of the last integer call: most calls land in the same year again."""
        self._is_plain = self._hours is None and not self._holidays
        """Around the clock without holidays: business time is plain elapsed time."""

    # -- construction -------------------------------------------------------------------

    @classmethod
    def always(cls, time_zone: str | ZoneInfo = "UTC") -> BusinessCalendar:
        """Around the clock, no holidays: business time is calendar time."""
        return cls(time_zone)

    @classmethod
    def weekdays(
        cls,
        time_zone: str | ZoneInfo,
        start: time = time(9),
        end: time = time(17),
        holidays: Iterable[date] = (),
    ) -> BusinessCalendar:
        """Monday to Friday from ``start`` to ``end``."""
        return cls(time_zone, dict.fromkeys(range(5), ((start, end),)), holidays)

    def with_holidays(self, holidays: Iterable[date]) -> BusinessCalendar:
        """A copy with these dates added to the holidays."""
        return BusinessCalendar(self._zone, self._hours, self._holidays.union(holidays), self._name)

    def with_ical_holidays(
        self, source: str | Path | bytes, *, until: date | None = None
    ) -> BusinessCalendar:
        """A copy with the all-day events of an iCalendar (.ics) file added as holidays.

        ``source`` is a path, or the calendar's text or bytes. Recurring events (RRULE,
        RDATE, EXDATE) are expanded; open-ended rules up to ``until`` (default: 100 years
        after the event's first date). Timed and cancelled events are not holidays.
        """
        return self.with_holidays(_ical_holidays(source, until))

    # -- the value ----------------------------------------------------------------------

    @property
    def time_zone(self) -> ZoneInfo:
        return self._zone

    @property
    def hours(self) -> Mapping[int, tuple[WorkingInterval, ...]] | None:
        """Working intervals of the working weekdays; ``None`` when around the clock."""
        return self._hours

    @property
    def holidays(self) -> frozenset[date]:
        return self._holidays

    @property
    def name(self) -> str:
        return self._name

    def _key(self) -> tuple[object, ...]:
        zone = self._zone.key or self._zone  # equal zones, even when built with no_cache
        return (zone, self._week, self._hours is None, self._holidays, self._name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        parts = [f"time_zone={self._zone.key if self._zone.key else str(self._zone)!r}"]
        if self._hours is not None:
            parts.append(f"hours={dict(self._hours)!r}")
        if self._holidays:
            parts.append(f"holidays={tuple(sorted(self._holidays))!r}")
        if self._name:
            parts.append(f"name={self._name!r}")
        return f"BusinessCalendar({', '.join(parts)})"

    def __reduce__(self) -> tuple[type[BusinessCalendar], tuple[object, ...]]:
        hours = None if self._hours is None else dict(self._hours)
        return (BusinessCalendar, (self._zone, hours, tuple(self._holidays), self._name))

    # -- arithmetic ---------------------------------------------------------------------

    def is_working_time(self, moment: datetime) -> bool:
        instant = _instant("moment", moment)
        year = self._year(self._year_number(moment, instant))
        index = bisect_right(year.starts, instant) - 1
        return index >= 0 and instant < year.ends[index]

    def next_working_time(self, moment: datetime) -> datetime:
        """``moment`` itself during working time, else the start of the next working interval."""
        instant = _instant("moment", moment)
        year = self._year(self._year_number(moment, instant))
        return self._datetime(self._next_working(instant, year))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has passed since ``start``.

        A zero duration gives ``start`` in working time, else the next working time.
        """
        instant = _instant("start", start)
        needed = _duration("duration", duration)
        if self._is_plain:
            return self._datetime(instant + needed)
        year = self._year(self._year_number(start, instant))
        return self._datetime(self._add(instant, needed, year))

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero when ``end`` is not after ``start``."""
        first = _instant("start", start)
        last = _instant("end", end)
        if last <= first:
            return timedelta(0)
        if self._is_plain:
            return timedelta(microseconds=last - first)
        first_year = self._year(self._year_number(start, first))
        last_year = self._year(self._year_number(end, last))
        return timedelta(microseconds=self._between(first, last, first_year, last_year))

    # -- the same in integer microseconds since 1970-01-01 UTC ----------------------------

    def add_us(self, start: int, duration: int) -> int:
        """:meth:`add` on integer microseconds since 1970-01-01 UTC (``duration`` >= 0)."""
        if self._is_plain:
            return start + duration
        instant = start + _EPOCH
        year = self._last
        if year is None or not year.start <= instant < year.end:
            year = self._year_at(instant)
        if duration:
            # the common case inlined: the result lies in the same year
            starts = year.starts
            index = bisect_right(starts, instant) - 1
            target = duration + (
                year.done_before[index] + min(instant, year.ends[index]) - starts[index]
                if index >= 0
                else 0
            )
            totals = year.done_by_end
            if totals and target <= totals[-1]:
                index = bisect_left(totals, target)
                return starts[index] + target - year.done_before[index] - _EPOCH
        return self._add(instant, duration, year) - _EPOCH

    def between_us(self, start: int, end: int) -> int:
        """:meth:`between` on integer microseconds since 1970-01-01 UTC."""
        if end <= start:
            return 0
        if self._is_plain:
            return end - start
        first = start + _EPOCH
        last = end + _EPOCH
        year = self._last
        if year is None or not year.start <= first < year.end:
            year = self._year_at(first)
        if last >= year.end:
            return self._between(first, last, year, self._year_at(last))
        # the common case inlined: both ends in the same year
        starts = year.starts
        ends = year.ends
        before = year.done_before
        index = bisect_right(starts, last) - 1
        if index < 0:
            return 0
        worked = before[index] + min(last, ends[index]) - starts[index]
        index = bisect_right(starts, first) - 1
        if index >= 0:
            worked -= before[index] + min(first, ends[index]) - starts[index]
        return worked

    def next_working_us(self, moment: int) -> int:
        """:meth:`next_working_time` on integer microseconds since 1970-01-01 UTC."""
        instant = moment + _EPOCH
        return self._next_working(instant, self._year_at(instant)) - _EPOCH

    def close_of_business_day_us(self, start: int, days: int) -> int:
        """Close of business of the ``days``-th business day after ``start``'s local date
        (``days=0``: that date when it is a business day, else the next one), in integer
        microseconds since 1970-01-01 UTC: ``end_of_business_day(add_business_days(start,
        days))`` without building a datetime."""
        instant = start + _EPOCH
        year = self._last
        if year is None or not year.start <= instant < year.end:
            year = self._year_at(instant)
        ordinal = year.local_ordinal(instant)
        if not year.first_ordinal <= ordinal < year.next_ordinal:
            year = self._year(date.fromordinal(ordinal).year)  # a clock change at new year
        index = self._business_day_index(year, ordinal, days)
        while index >= len(year.business_days):
            index -= len(year.business_days)
            year = self._year(year.number + 1)
        return year.closes[index] - _EPOCH

    # -- arithmetic on instants (microseconds since 0001-01-01 UTC) -----------------------

    def _next_working(self, instant: int, year: _Year) -> int:
        index = bisect_right(year.starts, instant) - 1
        if index >= 0 and instant < year.ends[index]:
            return instant
        index += 1
        while index == len(year.starts):
            year = self._year(year.number + 1)
            index = 0
        return year.starts[index]

    def _add(self, instant: int, needed: int, year: _Year) -> int:
        if needed == 0:
            return self._next_working(instant, year)
        target = year.done(instant) + needed
        while target > year.total:
            target -= year.total
            year = self._year(year.number + 1)
        index = bisect_left(year.done_by_end, target)
        return year.starts[index] + target - year.done_before[index]

    def _between(self, first: int, last: int, first_year: _Year, last_year: _Year) -> int:
        if first_year is last_year:
            return first_year.done(last) - first_year.done(first)
        worked = first_year.total - first_year.done(first)
        worked += sum(
            self._year(number).total for number in range(first_year.number + 1, last_year.number)
        )
        return worked + last_year.done(last)

    @staticmethod
    def _business_day_index(year: _Year, ordinal: int, days: int) -> int:
        """Index in ``year.business_days`` of the ``days``-th business day after ``ordinal``
        (may run past the year's end: the caller carries it into the next years)."""
        find = bisect_right if days else bisect_left
        return find(year.business_days, ordinal) + max(days - 1, 0)

    def is_business_day(self, day: date) -> bool:
        """Whether ``day`` has working hours and is not a holiday."""
        return bool(self._week[day.weekday()]) and day not in self._holidays

    def end_of_business_day(self, day: date) -> datetime:
        """Close of business on ``day``: the end of its last working interval."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise InvalidValueError("day", day, "must be a datetime.date")
        if not self.is_business_day(day):
            raise InvalidValueError("day", day, "is not a business day of this calendar")
        year = self._year(day.year)
        return self._datetime(year.closes[bisect_left(year.business_days, day.toordinal())])

    def add_business_days(self, start: datetime, days: int) -> date:
        """The date of the ``days``-th business day after ``start``'s local date.

        ``days=0`` gives that local date when it is a business day, else the next one.
        """
        _instant("start", start)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InvalidValueError("days", days, "must be a whole number of days, 0 or more")
        local = start.astimezone(self._zone).date()
        year = self._year(local.year)
        index = self._business_day_index(year, local.toordinal(), days)
        while index >= len(year.business_days):
            index -= len(year.business_days)
            year = self._year(year.number + 1)
        return date.fromordinal(year.business_days[index])

    # -- internals ----------------------------------------------------------------------

    def _datetime(self, instant: int) -> datetime:
        try:
            return _ORIGIN + timedelta(microseconds=instant)
        except OverflowError as error:
            raise InvalidValueError(
                "result", instant, "lies outside the dates Python can represent"
            ) from error

    def _wall_instant(self, ordinal: int, wall: time, *, closing: bool = False) -> int:
        """The UTC instant of a local wall time; a closing ``time(0)`` is the next midnight."""
        if closing and wall == _MIDNIGHT:
            ordinal += 1
        offset = self._zone.utcoffset(datetime.combine(date.fromordinal(ordinal), wall))
        assert offset is not None  # a ZoneInfo always knows its offset
        return (ordinal - 1) * _US_PER_DAY + _time_us(wall) - offset // _ONE_MICROSECOND

    def _year_number(self, moment: datetime, instant: int) -> int:
        """The local year holding ``instant``, checked against the precomputed year bounds."""
        try:
            number = moment.astimezone(self._zone).year
        except OverflowError as error:
            raise InvalidValueError("moment", moment, "too close to the ends of time") from error
        while number > 1 and instant < self._year(number).start:
            number -= 1
        while instant >= self._year(number).end:
            number += 1
        return number

    def _year_at(self, instant: int) -> _Year:
        """The local year holding ``instant``, found without building a datetime."""
        year = self._last
        if year is not None and year.start <= instant < year.end:
            return year
        try:
            number = date.fromordinal(instant // _US_PER_DAY + 1).year  # its UTC year
        except (ValueError, OverflowError) as error:
            raise InvalidValueError(
                "instant", instant, "lies outside the dates Python can represent"
            ) from error
        year = self._year(number)
        while number > 1 and instant < year.start:
            number -= 1
            year = self._year(number)
        while instant >= year.end:
            number += 1
            year = self._year(number)
        self._last = year
        return year

    def _year(self, number: int) -> _Year:
        year = self._years.get(number)
        if year is None:
            year = self._years[number] = self._build_year(number)
        return year

    def _build_year(self, number: int) -> _Year:
        if not 1 <= number <= _LAST_YEAR:
            raise InvalidValueError(
                "year", number, f"calendar arithmetic covers the years 1 to {_LAST_YEAR}"
            )
        first = date(number, 1, 1).toordinal()
        after = date(number + 1, 1, 1).toordinal()
        starts: list[int] = []
        ends: list[int] = []
        business_days: list[int] = []
        closes: list[int] = []
        for ordinal in range(first, after):
            intervals = self._week[(ordinal + 6) % 7]
            if not intervals or ordinal in self._holiday_ordinals:
                continue
            business_days.append(ordinal)
            spans = [
                (self._wall_instant(ordinal, start), self._wall_instant(ordinal, end, closing=True))
                for start, end in intervals
            ]
            closes.append(max(end for _, end in spans))
            if len(spans) > 1:
                spans.sort()  # wall times in a skipped hour can land after later ones
            for start, end in spans:
                if ends and start <= ends[-1]:
                    # Adjacent (24:00 then 00:00), or overlapping after a skipped hour: join.
                    ends[-1] = max(ends[-1], end)
                elif start < end:
                    starts.append(start)
                    ends.append(end)
        midnights = [self._wall_instant(ordinal, _MIDNIGHT) for ordinal in range(first, after + 1)]
        transitions, offsets = self._offsets(midnights)
        return _Year(
            number,
            midnights[0],
            midnights[-1],
            starts,
            ends,
            business_days,
            closes,
            transitions,
            offsets,
        )

    def _offset(self, instant: int) -> int:
        """The zone's UTC offset (microseconds) in force at ``instant``."""
        clamped = min(max(instant, _US_PER_DAY), _LAST_INSTANT)
        local = (_ORIGIN + timedelta(microseconds=clamped)).astimezone(self._zone)
        offset = local.utcoffset()
        assert offset is not None  # a ZoneInfo always knows its offset
        return offset // _ONE_MICROSECOND

    def _offsets(self, midnights: list[int]) -> tuple[list[int], list[int]]:
        """The offset changes between the first and the last of these instants (one change
        a day at most, as in every zone's rules), each found to the microsecond."""
        transitions = [midnights[0]]
        offsets = [self._offset(midnights[0])]
        for low, high in pairwise(midnights):
            later = self._offset(high)
            if later == offsets[-1]:
                continue
            while high - low > 1:  # offset(low) is the old one, offset(high) the new one
                middle = (low + high) // 2
                if self._offset(middle) == later:
                    high = middle
                else:
                    low = middle
            transitions.append(high)
            offsets.append(later)
        return transitions, offsets

"""A calendar's definition checked: its time zone, working hours per weekday and holidays.

The validation :class:`~complaintlog.domain.calendar.BusinessCalendar` runs on what it is
given, each failure an ``InvalidValueError`` naming the field; and ``WorkingInterval``, the
local wall-time interval the hours are made of. Kept apart from the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaintlog.domain._calendar_year import _US_PER_DAY
from complaintlog.errors import InvalidValueError

__all__ = ["WorkingInterval"]

WorkingInterval = tuple[time, time]
"""A working interval in local wall time, start inclusive, end exclusive.

An end of ``time(0)`` means midnight at the end of the day (24:00), so ``(time(0), time(0))``
is the whole day.
"""

_MIDNIGHT = time(0)
_WHOLE_DAY: tuple[WorkingInterval, ...] = ((_MIDNIGHT, _MIDNIGHT),)


def _time_zone(value: str | ZoneInfo) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if not isinstance(value, str):
        raise InvalidValueError("time_zone", value, "must be an IANA time zone name or ZoneInfo")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidValueError(
            "time_zone", value, "must be an IANA time zone name such as 'Europe/London'"
        ) from error


def _end_us(end: time) -> int:
    """Microseconds of ``end`` since midnight, where ``time(0)`` means 24:00."""
    return _time_us(end) if end != _MIDNIGHT else _US_PER_DAY


def _time_us(moment: time) -> int:
    return (
        (moment.hour * 60 + moment.minute) * 60 + moment.second
    ) * 1_000_000 + moment.microsecond


def _day_intervals(day: int, intervals: Any) -> tuple[WorkingInterval, ...]:
    field = f"hours[{day}]"
    if isinstance(intervals, str | bytes) or not isinstance(intervals, Sequence):
        raise InvalidValueError(field, intervals, "must be a sequence of (start, end) times")
    checked: list[WorkingInterval] = []
    for interval in intervals:
        if (
            not isinstance(interval, Sequence)
            or len(interval) != 2
            or not all(isinstance(end, time) and end.tzinfo is None for end in interval)
        ):
            raise InvalidValueError(
                field, interval, "each interval is a (start, end) pair of naive datetime.time"
            )
        start, end = interval
        if _time_us(start) >= _end_us(end):
            raise InvalidValueError(
                field, interval, "an interval starts before it ends (end time(0) means 24:00)"
            )
        checked.append((start, end))
    checked.sort(key=lambda pair: _time_us(pair[0]))
    for earlier, later in pairwise(checked):
        if _time_us(later[0]) < _end_us(earlier[1]):
            raise InvalidValueError(field, (earlier, later), "working intervals must not overlap")
    return tuple(checked)


def _week(
    hours: Mapping[int, Sequence[WorkingInterval]] | None,
) -> tuple[tuple[WorkingInterval, ...], ...]:
    """The working intervals of each weekday, Monday first, validated and sorted."""
    if hours is None:
        return (_WHOLE_DAY,) * 7
    if not isinstance(hours, Mapping):
        raise InvalidValueError(
            "hours", hours, "must map weekday (0=Monday..6=Sunday) to intervals"
        )
    for day in hours:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise InvalidValueError("hours", day, "weekdays are integers 0 (Monday) to 6 (Sunday)")
    week = tuple(_day_intervals(day, hours.get(day, ())) for day in range(7))
    if not any(week):
        raise InvalidValueError("hours", hours, "a calendar needs some working time in the week")
    return week


def _holiday(value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidValueError("holidays", value, "holidays are datetime.date values")
    return value

"""Holidays read from an iCalendar (.ics) source, recurrences expanded.

What :meth:`~complaintlog.domain.calendar.BusinessCalendar.with_ical_holidays` adds: the
dates of the all-day events, read with icalendar and expanded with dateutil. Kept apart
from the calendar's arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from dateutil.rrule import rrule, rruleset, rrulestr
from icalendar import Calendar as ICalendar
from icalendar import Event

from complaintlog.domain._calendar_hours import _MIDNIGHT
from complaintlog.errors import InvalidValueError

_ICAL_HORIZON_YEARS = 100
"""How far open-ended yearly rules (a holiday "every 25 December") are expanded by default."""


def _ical_holidays(source: str | Path | bytes, until: date | None) -> set[date]:
    """All dates covered by the all-day events of an iCalendar source."""
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().upper().startswith("BEGIN:VCALENDAR")
    ):
        try:
            source = Path(source).read_bytes()
        except OSError as error:
            raise InvalidValueError("source", source, f"cannot read the file: {error}") from error
    try:
        calendar = ICalendar.from_ical(source)
        holidays: set[date] = set()
        for event in calendar.events:
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            first = event.start
            if isinstance(first, datetime):
                continue
            length = max((event.end - first).days, 1)
            for occurrence in _occurrences(event, first, until):
                holidays.update(occurrence + timedelta(days=day) for day in range(length))
    except (ValueError, KeyError, TypeError) as error:  # icalendar's errors are ValueErrors
        raise InvalidValueError(
            "source", source, f"not a readable iCalendar file: {error}"
        ) from error
    return holidays


def _occurrences(event: Event, first: date, until: date | None) -> set[date]:
    """The start dates of an all-day event, its recurrences expanded with dateutil."""
    if not event.rrules and not event.rdates:
        return {first}
    dtstart = datetime.combine(first, _MIDNIGHT)
    horizon = until or date(first.year + _ICAL_HORIZON_YEARS, 12, 31)
    rules = rruleset()
    rules.rdate(dtstart)
    for recur in event.rrules:
        rule = rrulestr(recur.to_ical().decode(), dtstart=dtstart, ignoretz=True)
        if not isinstance(rule, rrule):  # pragma: no cover - one RRULE value is one rule
            raise ValueError(f"RRULE {recur.to_ical()!r} is not a single rule")
        rules.rrule(rule)
    for extra, _ in event.rdates:
        rules.rdate(datetime.combine(_as_date(extra), _MIDNIGHT))
    for excluded in event.exdates:
        rules.exdate(datetime.combine(_as_date(excluded), _MIDNIGHT))
    end = datetime.combine(horizon, _MIDNIGHT)
    return {moment.date() for moment in rules.between(dtstart, end, inc=True)}


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value

"""Which years a calendar's holidays cover, so a deadline is never counted on a guess.

A calendar may list its holidays for some years only (a hand-written ``holidays`` list;
a country's from the ``holidays`` package cover 1995-2050). Asked about another year, it
would count that year's bank holidays as business days without a word: a deadline on 26
December 2024 would look like an ordinary Thursday. Callers ask
:func:`uncovered_years` first and warn (or refuse) when the answer is not empty.
"""

from __future__ import annotations

from datetime import date, datetime

from complaintlog.domain.calendar import BusinessCalendar

__all__ = ["coverage_warning", "uncovered_years"]


def uncovered_years(
    calendar: BusinessCalendar, start: date | datetime, end: date | datetime
) -> tuple[int, ...]:
    """The years from ``start`` to ``end`` for which the calendar lists no holiday.

    A calendar without any holidays is taken at its word (around the clock, or a firm that
    works every weekday) and covers every year.
    """
    if not calendar.holidays:
        return ()
    covered = {day.year for day in calendar.holidays}
    first, last = sorted((start.year, end.year))
    return tuple(year for year in range(first, last + 1) if year not in covered)


def coverage_warning(
    calendar: BusinessCalendar, start: date | datetime, end: date | datetime
) -> str | None:
    """One sentence naming the uncovered years, or ``None`` when every year is covered."""
    years = uncovered_years(calendar, start, end)
    if not years:
        return None
    listed = ", ".join(str(year) for year in years)
    known = sorted({day.year for day in calendar.holidays})
    return (
        f"the calendar {calendar.name or '(unnamed)'!r} has holidays for {known[0]}-{known[-1]} "
        f"only, not for {listed}: business days there count bank holidays as working days "
        "(add the holidays to the policy's calendar)"
    )

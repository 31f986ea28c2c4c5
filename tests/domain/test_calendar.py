"""BusinessCalendar: hand-checked tables, then the rules of business time as properties.

Expected values in the tables were worked out by hand (the comments show the sums); none
comes from the code under test.
"""

from __future__ import annotations

import datetime as dt
import pickle
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintlog.domain.calendar import BusinessCalendar, WorkingInterval
from complaintlog.errors import InvalidValueError

LONDON = ZoneInfo("Europe/London")
ZAGREB = ZoneInfo("Europe/Zagreb")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)

OFFICE = BusinessCalendar.weekdays("Europe/London")  # Mon-Fri 09:00-17:00
HOTLINE = BusinessCalendar(
    "Europe/Zagreb",
    {day: [(time(8, 30), time(12)), (time(14), time(17, 30))] for day in range(5)},
    name="hotline",
)
SUNDAY_SHIFT = BusinessCalendar("Europe/London", {6: [(time(0), time(0))]})  # Sun 00:00-24:00
SUNDAY_NIGHT = BusinessCalendar("Europe/London", {6: [(time(0), time(6))]})  # Sun 00:00-06:00
YEAR_END = BusinessCalendar.weekdays(
    "Europe/London", holidays=[date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 1)]
)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def zagreb(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZAGREB)


# -- office hours, 09:00-17:00 Monday to Friday (March 2025: GMT, no DST change) ------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Fri 7 Mar 16:00: 1 h to 17:00, then Mon 10 Mar 09:00 + 1 h.
        (london(2025, 3, 7, 16), 2 * H, london(2025, 3, 10, 10)),
        # 1 h exactly fills Friday: the earliest instant is 17:00, not Monday 09:00.
        (london(2025, 3, 7, 16), H, london(2025, 3, 7, 17)),
        # Saturday counts from Monday 09:00.
        (london(2025, 3, 8, 12), H, london(2025, 3, 10, 10)),
        # Zero from non-working time: the next working time; from working time: itself.
        (london(2025, 3, 7, 17), timedelta(0), london(2025, 3, 10, 9)),
        (london(2025, 3, 10, 9), timedelta(0), london(2025, 3, 10, 9)),
        # A working week is 5 x 8 h = 40 h: Mon 09:00 + 40 h = Fri 17:00.
        (london(2025, 3, 10, 9), 40 * H, london(2025, 3, 14, 17)),
        # One microsecond more spills into the next Monday.
        (london(2025, 3, 10, 9), 40 * H + US, london(2025, 3, 17, 9) + US),
        # 35 business days of 8 h = 280 h = 7 weeks: Mon 10 Mar 09:00 -> Fri 25 Apr 17:00,
        # but Good Friday is not a holiday here, and BST starts 30 Mar (hours stay 8 h).
        (london(2025, 3, 10, 9), 280 * H, london(2025, 4, 25, 17)),
    ],
)
def test_office_hours_add(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert OFFICE.add(start, duration) == expected


def test_office_hours_between_counts_only_working_time() -> None:
    # Fri 16:00-17:00 (1 h) + Mon 09:00-10:00 (1 h).
    assert OFFICE.between(london(2025, 3, 7, 16), london(2025, 3, 10, 10)) == 2 * H
    assert OFFICE.between(london(2025, 3, 10, 10), london(2025, 3, 7, 16)) == timedelta(0)
    # The same instants written in UTC give the same answer.
    assert OFFICE.between(datetime(2025, 3, 7, 16, tzinfo=UTC), london(2025, 3, 10, 10)) == 2 * H


def test_results_are_utc_instants() -> None:
    due = OFFICE.add(london(2025, 7, 7, 9), H)  # 09:00 BST + 1 h = 10:00 BST
    assert due.tzinfo is UTC
    assert due == datetime(2025, 7, 7, 9, tzinfo=UTC)


# -- the split-shift hotline, 08:30-12:00 and 14:00-17:30 (Zagreb, February 2026) -----------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Mon 2 Feb 11:00: 1 h to 12:00, lunch, 14:00 + 1 h.
        (zagreb(2026, 2, 2, 11), 2 * H, zagreb(2026, 2, 2, 15)),
        # From lunch: starts at 14:00.
        (zagreb(2026, 2, 2, 12, 30), 30 * MIN, zagreb(2026, 2, 2, 14, 30)),
        # 17:00: 30 min to 17:30, then Tue 08:30 + 30 min.
        (zagreb(2026, 2, 2, 17), H, zagreb(2026, 2, 3, 9)),
        # Fri 6 Feb 16:00: 1.5 h Friday, Mon 08:30-12:00 3.5 h, 14:00 + 2 h = 16:00 (7 h).
        (zagreb(2026, 2, 6, 16), 7 * H, zagreb(2026, 2, 9, 16)),
        # The morning shift is 3.5 h and ends at 12:00 exactly (the earliest instant).
        (zagreb(2026, 2, 2, 8, 30), 3 * H + 30 * MIN, zagreb(2026, 2, 2, 12)),
        # 12:00 is the end of the morning shift, so zero waits for 14:00.
        (zagreb(2026, 2, 2, 12), timedelta(0), zagreb(2026, 2, 2, 14)),
    ],
)
def test_hotline_add(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert HOTLINE.add(start, duration) == expected


def test_hotline_week_has_35_hours() -> None:
    # 5 days x (3.5 h + 3.5 h).
    assert HOTLINE.between(zagreb(2026, 2, 2, 8), zagreb(2026, 2, 9, 8)) == 35 * H


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (zagreb(2026, 2, 2, 8, 30), True),
        (zagreb(2026, 2, 2, 12) - US, True),
        (zagreb(2026, 2, 2, 12), False),
        (zagreb(2026, 2, 2, 17, 30), False),
        (zagreb(2026, 2, 7, 10), False),  # Saturday
    ],
)
def test_hotline_working_time_is_half_open(moment: datetime, working: bool) -> None:
    assert HOTLINE.is_working_time(moment) is working


def test_hotline_closes_at_half_past_five() -> None:
    assert HOTLINE.end_of_business_day(date(2026, 2, 2)) == zagreb(2026, 2, 2, 17, 30)
    assert HOTLINE.next_working_time(zagreb(2026, 2, 6, 18)) == zagreb(2026, 2, 9, 8, 30)


# -- DST in Europe/London: 30 Mar 2025 01:00 GMT -> 02:00 BST, 26 Oct 2025 02:00 BST -> 01:00 GMT


def test_a_working_day_with_the_spring_change_lasts_23_real_hours() -> None:
    # Sunday 30 March 2025 runs 00:00 GMT (00:00Z) to 24:00 BST (23:00Z).
    assert SUNDAY_SHIFT.between(london(2025, 3, 29, 12), london(2025, 3, 31, 12)) == 23 * H
    assert SUNDAY_SHIFT.add(london(2025, 3, 30), 23 * H) == datetime(2025, 3, 30, 23, tzinfo=UTC)
    # One microsecond more waits for the next Sunday, 6 April 00:00 BST.
    assert SUNDAY_SHIFT.add(london(2025, 3, 30), 23 * H + US) == london(2025, 4, 6) + US


def test_a_working_day_with_the_autumn_change_lasts_25_real_hours() -> None:
    # Sunday 26 October 2025 runs 00:00 BST (25 Oct 23:00Z) to 24:00 GMT (27 Oct 00:00Z).
    assert SUNDAY_SHIFT.between(london(2025, 10, 25, 12), london(2025, 10, 27, 12)) == 25 * H
    assert SUNDAY_SHIFT.add(london(2025, 10, 26), 25 * H) == datetime(2025, 10, 27, tzinfo=UTC)
    # 2 h after 00:00 BST is the second 01:00, the one in GMT (01:00Z).
    two_hours = SUNDAY_SHIFT.add(london(2025, 10, 26), 2 * H)
    assert two_hours == datetime(2025, 10, 26, 1, tzinfo=UTC)
    assert two_hours.astimezone(LONDON).fold == 1


def test_an_interval_holding_the_change_counts_real_elapsed_time() -> None:
    # 00:00-06:00 on the Sunday: 00:00 GMT to 06:00 BST is 5 h; 00:00 BST to 06:00 GMT is 7 h.
    assert SUNDAY_NIGHT.between(london(2025, 3, 29), london(2025, 3, 31)) == 5 * H
    assert SUNDAY_NIGHT.between(london(2025, 10, 25), london(2025, 10, 27)) == 7 * H
    # A normal Sunday night is 6 h.
    assert SUNDAY_NIGHT.between(london(2025, 4, 5), london(2025, 4, 7)) == 6 * H


def test_office_hours_keep_their_wall_times_across_the_change() -> None:
    # Fri 28 Mar 16:00 GMT + 2 h: 1 h Friday, Mon 31 Mar 09:00 BST + 1 h = 10:00 BST (09:00Z).
    assert OFFICE.add(london(2025, 3, 28, 16), 2 * H) == datetime(2025, 3, 31, 9, tzinfo=UTC)
    # Fri 09:00 GMT to Mon 17:00 BST: two full 8 h days.
    assert OFFICE.between(london(2025, 3, 28, 9), london(2025, 3, 31, 17)) == 16 * H


# -- year end: 25, 26 December and 1 January are holidays ---------------------------------


def test_year_end_holidays_are_skipped() -> None:
    # Wed 24 Dec 16:00: 1 h; 25-26 holidays, 27-28 weekend; Mon 29 Dec 09:00 + 1 h.
    assert YEAR_END.add(london(2025, 12, 24, 16), 2 * H) == london(2025, 12, 29, 10)
    # Wed 31 Dec 16:00: 1 h; Thu 1 Jan holiday; Fri 2 Jan 09:00 + 1 h.
    assert YEAR_END.add(london(2025, 12, 31, 16), 2 * H) == london(2026, 1, 2, 10)
    # 24 Dec 8 h + 29, 30, 31 Dec 24 h + 2 Jan 8 h = 40 h.
    assert YEAR_END.between(london(2025, 12, 24, 9), london(2026, 1, 2, 17)) == 40 * H
    assert YEAR_END.between(london(2025, 12, 25), london(2025, 12, 26)) == timedelta(0)


def test_business_days_skip_holidays_and_weekends() -> None:
    received = london(2025, 12, 24, 10)
    # After Wed 24 Dec: Mon 29 (1st), Tue 30 (2nd), Wed 31 (3rd), Fri 2 Jan (4th).
    assert YEAR_END.add_business_days(received, 3) == date(2025, 12, 31)
    assert YEAR_END.add_business_days(received, 4) == date(2026, 1, 2)
    # Zero: the day itself when it is a business day, else the next one.
    assert YEAR_END.add_business_days(received, 0) == date(2025, 12, 24)
    assert YEAR_END.add_business_days(london(2025, 12, 25, 10), 0) == date(2025, 12, 29)
    # The local date counts: 23:30Z on 31 Dec is still 31 Dec in London (GMT).
    assert YEAR_END.add_business_days(datetime(2025, 12, 31, 23, 30, tzinfo=UTC), 1) == date(
        2026, 1, 2
    )


def test_end_of_business_day_of_the_third_business_day() -> None:
    # "By close of the 3rd business day after receipt": received Wed 24 Dec -> Wed 31 Dec 17:00.
    day = YEAR_END.add_business_days(london(2025, 12, 24, 10), 3)
    assert YEAR_END.end_of_business_day(day) == london(2025, 12, 31, 17)
    with pytest.raises(InvalidValueError, match="not a business day"):
        YEAR_END.end_of_business_day(date(2025, 12, 25))


def test_a_day_worked_to_midnight_closes_at_the_next_midnight() -> None:
    assert SUNDAY_SHIFT.end_of_business_day(date(2025, 3, 30)) == london(2025, 3, 31)


# -- around the clock ---------------------------------------------------------------------


def test_always_is_plain_elapsed_time_even_across_dst() -> None:
    always = BusinessCalendar.always("Europe/London")
    # 24 h from Sat 29 Mar 12:00 GMT is Sun 30 Mar 13:00 BST (wall-clock + 1 h).
    assert always.add(london(2025, 3, 29, 12), 24 * H) == london(2025, 3, 30, 13)
    assert always.between(london(2025, 3, 29, 12), london(2025, 3, 30, 12)) == 23 * H
    assert always.is_working_time(london(2025, 12, 25))


def test_holidays_around_the_clock_are_whole_local_days() -> None:
    calendar = BusinessCalendar.always("Europe/London").with_holidays([date(2025, 3, 30)])
    # Sat 29 Mar 12:00 GMT to Mon 31 Mar 12:00 BST: Saturday 12 h + Monday 12 h; Sunday none.
    assert calendar.between(london(2025, 3, 29, 12), london(2025, 3, 31, 12)) == 24 * H
    assert calendar.add(london(2025, 3, 29, 23), 2 * H) == london(2025, 3, 31, 1)


# -- iCalendar holidays -------------------------------------------------------------------

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//complaintlog//tests//EN
BEGIN:VEVENT
UID:christmas
DTSTART;VALUE=DATE:20251225
DTEND;VALUE=DATE:20251227
RRULE:FREQ=YEARLY;COUNT=3
EXDATE;VALUE=DATE:20261225
SUMMARY:Christmas and Boxing Day
END:VEVENT
BEGIN:VEVENT
UID:new-year
DTSTART;VALUE=DATE:20260101
SUMMARY:New Year's Day
END:VEVENT
BEGIN:VEVENT
UID:meeting
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
SUMMARY:A timed event is no holiday
END:VEVENT
BEGIN:VEVENT
UID:cancelled
DTSTART;VALUE=DATE:20260106
STATUS:CANCELLED
SUMMARY:Cancelled
END:VEVENT
END:VCALENDAR
"""


def test_ical_all_day_events_become_holidays(tmp_path: Path) -> None:
    path = tmp_path / "holidays.ics"
    path.write_text(ICS)
    calendar = OFFICE.with_ical_holidays(path)
    # 2025: 25, 26 Dec; 2026 excluded by EXDATE; 2027: 25, 26 Dec; and 1 Jan 2026.
    assert calendar.holidays == {
        date(2025, 12, 25),
        date(2025, 12, 26),
        date(2026, 1, 1),
        date(2027, 12, 25),
        date(2027, 12, 26),
    }
    assert OFFICE.with_ical_holidays(ICS) == calendar
    assert OFFICE.with_ical_holidays(ICS.encode()) == calendar


def test_open_ended_ical_rules_expand_until_the_horizon() -> None:
    yearly = ICS.replace("RRULE:FREQ=YEARLY;COUNT=3", "RRULE:FREQ=YEARLY")
    calendar = OFFICE.with_ical_holidays(yearly, until=date(2030, 1, 1))
    christmases = {day for day in calendar.holidays if (day.month, day.day) == (12, 25)}
    assert christmases == {date(year, 12, 25) for year in (2025, 2027, 2028, 2029)}


def test_unreadable_ical_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match="source"):
        OFFICE.with_ical_holidays(tmp_path / "missing.ics")
    with pytest.raises(InvalidValueError, match="source"):
        OFFICE.with_ical_holidays(b"BEGIN:VCALENDAR\nthis is not ical")


# -- refused values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: OFFICE.add(datetime(2025, 3, 7, 16), H), "start"),
        (lambda: OFFICE.between(london(2025, 3, 7), datetime(2025, 3, 8)), "end"),
        (lambda: OFFICE.is_working_time(datetime(2025, 3, 7)), "moment"),
        (lambda: OFFICE.add(london(2025, 3, 7), -US), "duration"),
        (lambda: OFFICE.add_business_days(london(2025, 3, 7), -1), "days"),
        (lambda: BusinessCalendar("Mars/Olympus_Mons"), "time_zone"),
        (lambda: BusinessCalendar(hours={0: [(time(12), time(9))]}), "hours[0]"),
        (
            lambda: BusinessCalendar(hours={1: [(time(9), time(13)), (time(12), time(17))]}),
            "hours[1]",
        ),
        (lambda: BusinessCalendar(hours={7: [(time(9), time(17))]}), "hours"),
        (lambda: BusinessCalendar(hours={}), "hours"),
        (lambda: BusinessCalendar(holidays=[datetime(2025, 12, 25, tzinfo=UTC)]), "holidays"),
    ],
)
def test_bad_values_are_refused_naming_the_field(call: object, field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


def test_adjacent_intervals_are_allowed() -> None:
    calendar = BusinessCalendar(hours={0: [(time(12), time(17)), (time(9), time(12))]})
    assert calendar.hours == {0: ((time(9), time(12)), (time(12), time(17)))}
    assert calendar.add(datetime(2025, 3, 10, 9, tzinfo=UTC), 8 * H) == datetime(
        2025, 3, 10, 17, tzinfo=UTC
    )


# -- the value ----------------------------------------------------------------------------


@pytest.mark.parametrize("calendar", [OFFICE, HOTLINE, YEAR_END, BusinessCalendar.always()])
def test_repr_is_python_that_rebuilds_the_calendar(calendar: BusinessCalendar) -> None:
    rebuilt = eval(repr(calendar), {"datetime": dt, "BusinessCalendar": BusinessCalendar})
    assert rebuilt == calendar
    assert hash(rebuilt) == hash(calendar)
    assert pickle.loads(pickle.dumps(calendar)) == calendar


def test_calendars_are_immutable() -> None:
    with pytest.raises(AttributeError):
        OFFICE.name = "changed"  # type: ignore[misc]
    assert OFFICE.with_holidays([date(2025, 12, 25)]) != OFFICE
    assert OFFICE.holidays == frozenset()


# -- properties ---------------------------------------------------------------------------

ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
MOMENTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))


@st.composite
def day_hours(draw: st.DrawFn) -> list[WorkingInterval]:
    """Non-overlapping intervals on a 15-minute grid; 1440 minutes is written time(0)."""
    marks = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    marks = marks[: len(marks) // 2 * 2]
    as_time = [time(0) if mark == 96 else time(mark * 15 // 60, mark * 15 % 60) for mark in marks]
    return list(zip(as_time[::2], as_time[1::2], strict=True))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    hours = {day: draw(day_hours()) for day in range(7)}
    if not any(hours.values()):
        hours[0] = [(time(9), time(17))]
    holidays = draw(st.lists(st.dates(date(2024, 1, 1), date(2027, 12, 31)), max_size=20))
    return BusinessCalendar(draw(st.sampled_from(ZONES)), hours, holidays)


def reference_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time by the definition: each business day's intervals as real instants, joined."""
    zone = calendar.time_zone
    hours = calendar.hours or {}
    spans = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date() + timedelta(days=1):
        if day not in calendar.holidays:
            for opens, closes in hours.get(day.weekday(), ()):
                closing_day = day + timedelta(days=1) if closes == time(0) else day
                first = datetime.combine(day, opens, zone).astimezone(UTC)
                last = datetime.combine(closing_day, closes, zone).astimezone(UTC)
                if first < last:
                    spans.append((first, last))
        day += timedelta(days=1)
    total = timedelta(0)
    covered = start.astimezone(UTC)
    for first, last in sorted(spans):
        first, last = max(first, covered), min(last, end)
        if first < last:
            total += last - first
            covered = last
    return total


FAST = settings(max_examples=60, deadline=None)


@FAST
@given(calendars(), MOMENTS, DURATIONS)
def test_add_then_between_gives_back_the_duration(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = calendar.add(start, duration)
    assert calendar.between(start, due) == duration
    if duration:
        # The earliest such instant: one microsecond earlier is not enough.
        assert calendar.between(start, due - US) < duration
        assert calendar.is_working_time(due - US)


@FAST
@given(calendars(), MOMENTS, DURATIONS, DURATIONS)
def test_add_is_monotonic(
    calendar: BusinessCalendar, start: datetime, one: timedelta, other: timedelta
) -> None:
    shorter, longer = sorted([one, other])
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@FAST
@given(calendars(), st.lists(MOMENTS, min_size=3, max_size=3))
def test_between_is_additive(calendar: BusinessCalendar, moments: list[datetime]) -> None:
    first, middle, last = sorted(moments)
    assert calendar.between(first, middle) + calendar.between(middle, last) == calendar.between(
        first, last
    )


@FAST
@given(calendars(), MOMENTS, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)))
def test_between_matches_the_definition(
    calendar: BusinessCalendar, start: datetime, span: timedelta
) -> None:
    assert calendar.between(start, start + span) == reference_between(calendar, start, start + span)


@FAST
@given(calendars())
def test_holidays_never_count(calendar: BusinessCalendar) -> None:
    for holiday in calendar.holidays:
        day_start = datetime.combine(holiday, time(0), calendar.time_zone)
        next_day = datetime.combine(holiday + timedelta(days=1), time(0), calendar.time_zone)
        assert calendar.between(day_start, next_day) == timedelta(0)
        assert not calendar.is_working_time(day_start + timedelta(hours=12))


@FAST
@given(st.sampled_from(ZONES), MOMENTS, DURATIONS, MOMENTS)
def test_always_is_plain_arithmetic(
    zone: str, start: datetime, duration: timedelta, end: datetime
) -> None:
    always = BusinessCalendar.always(zone)
    assert always.add(start, duration) == start + duration  # start is in UTC: exact addition
    assert always.between(start, end) == max(end - start, timedelta(0))
    # A calendar that lists every day 00:00-24:00 agrees with the plain one.
    every_day = BusinessCalendar(zone, dict.fromkeys(range(7), ((time(0), time(0)),)))
    assert every_day.add(start, duration) == start + duration
    assert every_day.between(start, end) == always.between(start, end)


@FAST
@given(calendars(), MOMENTS, st.integers(0, 40))
def test_add_business_days_lands_on_the_nth_business_day(
    calendar: BusinessCalendar, start: datetime, days: int
) -> None:
    landed = calendar.add_business_days(start, days)
    assert calendar.is_business_day(landed)
    local = start.astimezone(calendar.time_zone).date()
    between = (local + timedelta(days=offset) for offset in range(1, (landed - local).days))
    passed = sum(calendar.is_business_day(day) for day in between)
    if days:
        assert landed > local
        assert passed == days - 1
    else:
        assert passed == 0
        assert landed == local or (landed > local and not calendar.is_business_day(local))


# -- the integer API (microseconds since 1970-01-01 UTC) agrees with the datetime API -------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Zones whose clocks change at or around midnight, by half an hour, or skip a whole day.
ODD_ZONES = [
    "America/Santiago",
    "America/Havana",
    "America/Asuncion",
    "Asia/Tehran",
    "Australia/Lord_Howe",
    "Pacific/Apia",
]
WIDE_MOMENTS = st.datetimes(
    min_value=datetime(2008, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


def us(moment: datetime) -> int:
    return (moment - EPOCH) // US


@st.composite
def any_zone_calendars(draw: st.DrawFn) -> BusinessCalendar:
    calendar = draw(calendars())
    zone = draw(st.sampled_from([*ZONES, *ODD_ZONES]))
    return BusinessCalendar(zone, calendar.hours, calendar.holidays)


@FAST
@given(any_zone_calendars(), WIDE_MOMENTS, DURATIONS, WIDE_MOMENTS)
def test_integer_add_and_between_agree_with_the_datetime_api(
    calendar: BusinessCalendar, start: datetime, duration: timedelta, end: datetime
) -> None:
    assert calendar.add_us(us(start), duration // US) == us(calendar.add(start, duration))
    assert calendar.between_us(us(start), us(end)) == calendar.between(start, end) // US
    assert calendar.next_working_us(us(start)) == us(calendar.next_working_time(start))


@FAST
@given(any_zone_calendars(), WIDE_MOMENTS, st.integers(0, 40))
def test_integer_close_of_business_day_agrees_with_the_datetime_api(
    calendar: BusinessCalendar, start: datetime, days: int
) -> None:
    expected = calendar.end_of_business_day(calendar.add_business_days(start, days))
    assert calendar.close_of_business_day_us(us(start), days) == us(expected)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([*ZONES, *ODD_ZONES]), WIDE_MOMENTS)
def test_close_of_the_same_day_finds_the_local_date_like_astimezone(
    zone: str, moment: datetime
) -> None:
    # Every day worked around the clock (and one holiday, so the calendar is not plain
    # elapsed time): the close of business of day 0 is the end of the local date.
    calendar = BusinessCalendar(
        zone, dict.fromkeys(range(7), ((time(0), time(0)),)), [date(1999, 1, 1)]
    )
    local = moment.astimezone(calendar.time_zone).date()
    expected = calendar.end_of_business_day(local)
    assert calendar.close_of_business_day_us(us(moment), 0) == us(expected)


def test_the_integer_api_around_a_spring_change_by_hand() -> None:
    # Hotline, Zagreb, Friday 28 March 2025 16:30 CET: 1 h left on Friday, clocks go
    # forward on Sunday; Monday 31 March opens 08:30 CEST = 06:30 UTC; 2 h -> 07:30 UTC.
    start = zagreb(2025, 3, 28, 16, 30)
    assert HOTLINE.add_us(us(start), 2 * 3_600_000_000) == us(
        datetime(2025, 3, 31, 7, 30, tzinfo=UTC)
    )
    assert HOTLINE.between_us(us(start), us(zagreb(2025, 3, 31, 9, 30))) == 2 * 3_600_000_000
    # Close of the first business day after Friday: Monday 17:30 CEST = 15:30 UTC.
    assert HOTLINE.close_of_business_day_us(us(start), 1) == us(
        datetime(2025, 3, 31, 15, 30, tzinfo=UTC)
    )

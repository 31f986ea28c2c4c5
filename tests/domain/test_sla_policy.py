"""SlaTarget and SlaPolicy: due times on both clocks, the presets' cited numbers, TOML errors.

Expected due times were worked out by hand; the comments show the counting.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import ClockKind, Metric, SlaPolicy, SlaTarget
from complaintlog.domain.values import Category, Channel, Severity
from complaintlog.errors import InvalidValueError

LONDON = ZoneInfo("Europe/London")
ZAGREB = ZoneInfo("Europe/Zagreb")
H = timedelta(hours=1)
DOCS = Path(__file__).parents[2] / "docs" / "sla.md"
OFFICE = BusinessCalendar.weekdays("Europe/London")


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


# -- targets ------------------------------------------------------------------------------


def test_business_target_counts_working_hours() -> None:
    target = SlaTarget("answer", Metric.ACKNOWLEDGE, 8 * H)
    monday = at(LONDON, 2025, 3, 10, 9)
    assert target.due(monday, OFFICE) == at(LONDON, 2025, 3, 10, 17)
    # 75% of 8 working hours = 6 h: 15:00.
    assert target.warns_at(monday, OFFICE) == at(LONDON, 2025, 3, 10, 15)
    assert target.elapsed(monday, at(LONDON, 2025, 3, 11, 10), OFFICE) == 9 * H


def test_a_pause_moves_the_due_time_by_the_paused_time_on_the_clock() -> None:
    target = SlaTarget("answer", Metric.RESOLVE, timedelta(days=2), by_end_of_business_day=True)
    received = at(LONDON, 2025, 3, 10, 9)  # Monday: due Wed 12 Mar 17:00
    due = target.due(received, OFFICE)
    # Paused Mon 16:00 to Tue 10:00: 1 h Monday + 1 h Tuesday = 2 business hours.
    paused = target.elapsed(at(LONDON, 2025, 3, 10, 16), at(LONDON, 2025, 3, 11, 10), OFFICE)
    assert paused == 2 * H
    # From Wed 17:00, 2 business hours more: Thu 13 Mar 11:00.
    assert target.advance(due, paused, OFFICE) == at(LONDON, 2025, 3, 13, 11)


def test_calendar_target_counts_real_elapsed_time() -> None:
    target = SlaTarget("final", Metric.RESOLVE, timedelta(days=2), clock=ClockKind.CALENDAR)
    friday = at(LONDON, 2025, 3, 28, 12)  # GMT; BST starts Sunday 30 March
    # 48 real hours later is Sunday 12:00Z = 13:00 BST.
    assert target.due(friday, OFFICE) == at(LONDON, 2025, 3, 30, 13)
    assert target.elapsed(friday, at(LONDON, 2025, 3, 31, 12), OFFICE) == 71 * H


def test_by_end_of_business_day_counts_whole_business_days() -> None:
    target = SlaTarget("summary", Metric.RESOLVE, timedelta(days=3), by_end_of_business_day=True)
    # Received Mon 10 Mar 2025 20:00 (after close): Tue 11, Wed 12, Thu 13 -> Thu 17:00.
    assert target.due(at(LONDON, 2025, 3, 10, 20), OFFICE) == at(LONDON, 2025, 3, 13, 17)
    same_day = SlaTarget("today", Metric.RESOLVE, timedelta(0), by_end_of_business_day=True)
    assert same_day.due(at(LONDON, 2025, 3, 10, 10), OFFICE) == at(LONDON, 2025, 3, 10, 17)


def test_not_before_gives_the_earliest_proper_time() -> None:
    survey = SlaTarget("survey", Metric.SURVEY, 48 * H, clock=ClockKind.CALENDAR, not_before=24 * H)
    resolved = at(ZAGREB, 2026, 2, 2, 10)
    assert survey.earliest(resolved, OFFICE) == at(ZAGREB, 2026, 2, 3, 10)
    assert survey.due(resolved, OFFICE) == at(ZAGREB, 2026, 2, 4, 10)
    assert SlaTarget("x", Metric.RESOLVE, H).earliest(resolved, OFFICE) is None


@pytest.mark.parametrize(
    ("channel", "severity", "category", "applies"),
    [
        (Channel.PHONE, Severity.HIGH, Category(product="Mortgage"), True),
        (Channel.EMAIL, Severity.HIGH, Category(product="Mortgage"), False),
        (Channel.PHONE, Severity.LOW, Category(product="Mortgage"), False),
        (Channel.PHONE, Severity.HIGH, Category(cause="billing"), True),
        (Channel.PHONE, Severity.HIGH, Category(dimension="reliability"), True),
        (Channel.PHONE, Severity.HIGH, Category(cause="delay"), False),
        (Channel.PHONE, Severity.HIGH, None, False),
    ],
)
def test_conditions_narrow_the_complaints_a_target_applies_to(
    channel: Channel, severity: Severity, category: Category | None, applies: bool
) -> None:
    target = SlaTarget(
        "narrow",
        Metric.ACKNOWLEDGE,
        H,
        channels=["phone", "social"],
        severities=[Severity.HIGH, Severity.CRITICAL],
        categories=["Mortgage", "billing", "reliability"],
    )
    assert target.applies_to(channel, severity, category) is applies
    assert SlaTarget("all", Metric.ACKNOWLEDGE, H).applies_to(channel, severity, category)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"within": timedelta(0)}, "within"),
        ({"within": -H}, "within"),
        ({"metric": "solve"}, "metric"),
        ({"clock": "wall"}, "clock"),
        ({"warning_at": 0}, "warning_at"),
        ({"warning_at": 1.5}, "warning_at"),
        ({"not_before": 2 * H}, "not_before"),
        ({"channels": ["fax"]}, "channels"),
        ({"severities": ["urgent"]}, "severities"),
        ({"categories": "billing"}, "categories"),
        ({"name": ""}, "name"),
        ({"by_end_of_business_day": True, "clock": ClockKind.CALENDAR}, "by_end_of_business_day"),
        ({"by_end_of_business_day": True, "within": 36 * H}, "within"),
    ],
)
def test_bad_targets_are_refused_naming_the_field(arguments: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"name": "t", "metric": Metric.RESOLVE, "within": 2 * H}
    with pytest.raises(InvalidValueError) as caught:
        SlaTarget(**(values | arguments))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_promise_target_may_have_no_grace() -> None:
    promise = SlaTarget("keep", Metric.PROMISE, timedelta(0))
    promised = at(LONDON, 2025, 3, 10, 11)
    assert promise.due(promised, OFFICE) == promised


def test_target_repr_is_python() -> None:
    target = SlaTarget("narrow", Metric.ACKNOWLEDGE, H, channels=["phone"], categories=["billing"])
    namespace = {
        "SlaTarget": SlaTarget,
        "Metric": Metric,
        "ClockKind": ClockKind,
        "Channel": Channel,
        "Severity": Severity,
        "datetime": dt,
    }
    assert eval(repr(target), namespace) == target


# -- policies -----------------------------------------------------------------------------


def test_policy_picks_targets_by_metric_and_conditions() -> None:
    policy = SlaPolicy.preset("default")
    phone = policy.targets_for(Metric.ACKNOWLEDGE, Channel.PHONE, Severity.NORMAL, None)
    email = policy.targets_for("acknowledge", Channel.EMAIL, Severity.NORMAL, None)
    assert [target.name for target in phone] == ["acknowledge_golden_hour"]
    assert [target.name for target in email] == ["acknowledge"]
    assert policy.target("resolve").metric is Metric.RESOLVE
    with pytest.raises(InvalidValueError, match="target"):
        policy.target("missing")


def test_policy_target_names_are_unique() -> None:
    target = SlaTarget("same", Metric.RESOLVE, H)
    with pytest.raises(InvalidValueError, match="unique"):
        SlaPolicy("p", (target, target), OFFICE)


def test_with_calendar_keeps_the_targets() -> None:
    fca = SlaPolicy.preset("fca")
    what_if = fca.with_calendar(BusinessCalendar.always("Europe/London"))
    assert what_if.targets == fca.targets
    assert what_if.calendar != fca.calendar
    assert fca.calendar.time_zone == LONDON


# -- presets and their cited numbers ------------------------------------------------------


def test_presets_are_listed() -> None:
    assert SlaPolicy.presets() == ("cfpb", "default", "fca", "psd2", "ru")
    for name in SlaPolicy.presets():
        policy = SlaPolicy.preset(name)
        assert policy.name == name
        assert policy.source
    with pytest.raises(InvalidValueError) as caught:
        SlaPolicy.preset("mars")
    assert caught.value.field == "preset"


ENGLAND_AND_WALES_2024_2025 = {
    # gov.uk/bank-holidays, checked by hand: New Year's Day, Good Friday, Easter Monday,
    # early May, spring and summer bank holidays, Christmas Day, Boxing Day.
    date(2024, 1, 1), date(2024, 3, 29), date(2024, 4, 1), date(2024, 5, 6),
    date(2024, 5, 27), date(2024, 8, 26), date(2024, 12, 25), date(2024, 12, 26),
    date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5),
    date(2025, 5, 26), date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26),
}  # fmt: skip


def test_fca_preset_takes_england_and_wales_bank_holidays_from_the_package() -> None:
    """No hand-written table in the preset (#14): GB/ENG from the holidays package, so any
    year is counted with its bank holidays, substitute days and one-off days included."""
    text = (files("complaintlog.policies") / "fca.toml").read_text(encoding="utf-8")
    calendar = tomllib.loads(text)["calendar"]
    assert (calendar["holidays_country"], calendar["holidays_subdivision"]) == ("GB", "ENG")
    assert "holidays" not in calendar
    holidays = SlaPolicy.preset("fca").calendar.holidays
    assert {d for d in holidays if d.year in {2024, 2025}} >= ENGLAND_AND_WALES_2024_2025
    # Substitute days: Boxing Day 2026 and Christmas 2027 fall on Saturdays.
    assert {date(2026, 12, 28), date(2027, 12, 27), date(2027, 12, 28)} <= holidays
    # One-off days: VE Day 2020 (early May moved to Friday 8 May), the Coronation 2023.
    assert {date(2020, 5, 8), date(2023, 5, 8)} <= holidays
    assert date(2020, 5, 4) not in holidays
    assert date(2024, 3, 18) not in holidays  # St Patrick's Day (observed): Northern Ireland
    assert date(2024, 8, 5) not in holidays  # Scotland's summer bank holiday


def test_fca_preset_final_response_in_8_weeks_and_summary_by_3rd_business_day() -> None:
    fca = SlaPolicy.preset("fca")
    summary, final = fca.target("summary_resolution"), fca.target("final_response")
    assert (final.within, final.clock, final.pauses_stop_clock) == (
        timedelta(weeks=8),
        ClockKind.CALENDAR,
        False,
    )
    assert (summary.within, summary.by_end_of_business_day) == (timedelta(days=3), True)
    assert "DISP 1.6.2R" in fca.source
    assert "DISP 1.5" in fca.source
    calendar = fca.calendar
    assert calendar.hours == {day: ((time(9), time(17)),) for day in range(5)}
    weekdays_off = {d for d in calendar.holidays if 2024 <= d.year <= 2025 and d.weekday() < 5}
    assert weekdays_off == ENGLAND_AND_WALES_2024_2025
    assert {date(2026, 12, 28), date(2027, 12, 27), date(2027, 12, 28)} <= calendar.holidays
    assert "from the holidays package" in fca.source

    # Mon 22 Dec 2025: Tue 23 (1), Wed 24 (2), 25-26 holidays, weekend, Mon 29 (3) -> 17:00.
    assert summary.due(at(LONDON, 2025, 12, 22, 10), calendar) == at(LONDON, 2025, 12, 29, 17)
    # Thu 2 Apr 2026: Good Friday 3 and Easter Monday 6 are holidays: Tue 7, Wed 8, Thu 9.
    assert summary.due(at(LONDON, 2026, 4, 2, 15), calendar) == at(LONDON, 2026, 4, 9, 17)
    # Saturday 8 Mar 2025: Mon 10, Tue 11, Wed 12.
    assert summary.due(at(LONDON, 2025, 3, 8, 12), calendar) == at(LONDON, 2025, 3, 12, 17)
    # Mon 3 Mar 2025 10:00 GMT + 56 x 24 h = Mon 28 Apr 10:00Z (11:00 BST).
    assert final.due(at(LONDON, 2025, 3, 3, 10), calendar) == datetime(2025, 4, 28, 10, tzinfo=UTC)


def test_cfpb_preset_15_and_60_calendar_days() -> None:
    cfpb = SlaPolicy.preset("cfpb")
    response, final = cfpb.target("company_response"), cfpb.target("final_response")
    assert (response.metric, response.within, response.clock) == (
        Metric.FIRST_RESPONSE,
        timedelta(days=15),
        ClockKind.CALENDAR,
    )
    assert (final.metric, final.within, final.clock) == (
        Metric.RESOLVE,
        timedelta(days=60),
        ClockKind.CALENDAR,
    )
    new_york = ZoneInfo("America/New_York")
    # 1 Feb 2025 12:00 EST (17:00Z) + 60 x 24 h = 2 Apr 17:00Z, 13:00 EDT after the change.
    assert final.due(at(new_york, 2025, 2, 1, 12), cfpb.calendar) == at(new_york, 2025, 4, 2, 13)


def test_psd2_preset_15_and_35_business_days() -> None:
    psd2 = SlaPolicy.preset("psd2")
    (reply,) = psd2.targets  # a holding reply extends it to 35 business days at most
    assert (reply.within, reply.by_end_of_business_day) == (timedelta(days=15), True)
    assert reply.holding_reply_limit == timedelta(days=35)
    assert "101" in psd2.source
    brussels = ZoneInfo("Europe/Brussels")
    received = at(brussels, 2025, 6, 2, 10)  # Monday
    # Belgian holidays (the preset's member state unless told): Whit Monday 9 Jun and the
    # National Day 21 Jul 2025. Tue 3 Jun is the 1st business day; Fri 6 Jun the 4th, Tue
    # 10 Jun the 5th, ... Mon 23 Jun the 14th, Tue 24 Jun the 15th.
    assert reply.due(received, psd2.calendar) == at(brussels, 2025, 6, 24, 17)
    # 20 more: Wed 25 Jun (16th) ... Fri 18 Jul (33rd), Tue 22 Jul (34th), Wed 23 Jul (35th).
    assert reply.holding_limit(received, psd2.calendar) == at(brussels, 2025, 7, 23, 17)


def test_ru_preset_10_calendar_days() -> None:
    ru = SlaPolicy.preset("ru")
    (claim,) = ru.targets
    assert (claim.metric, claim.within, claim.clock) == (
        Metric.RESOLVE,
        timedelta(days=10),
        ClockKind.CALENDAR,
    )
    assert "2300-1" in ru.source
    assert "22" in ru.source
    moscow = ZoneInfo("Europe/Moscow")
    assert claim.due(at(moscow, 2025, 3, 1, 12), ru.calendar) == at(moscow, 2025, 3, 11, 12)


def test_default_preset_is_neutral_office_hours_in_utc() -> None:
    """Issue #14: no particular hotline's hours or zone; the store's zone replaces UTC."""
    policy = SlaPolicy.preset("default")
    calendar = policy.calendar
    assert calendar.time_zone == ZoneInfo("UTC")
    assert calendar.hours == {day: ((time(9), time(17)),) for day in range(5)}
    assert "Zagreb" not in policy.source + policy.description + calendar.name
    policy = SlaPolicy.preset("default").in_time_zone(ZAGREB)
    calendar = policy.calendar
    assert calendar.time_zone == ZAGREB
    golden = policy.target("acknowledge_golden_hour")
    assert (golden.within, golden.channels) == (H, frozenset({Channel.PHONE, Channel.SOCIAL}))
    # Phone call Fri 6 Feb 2026 16:30: 30 min Friday, Mon 09:00 + 30 min = 09:30.
    assert golden.due(at(ZAGREB, 2026, 2, 6, 16, 30), calendar) == at(ZAGREB, 2026, 2, 9, 9, 30)
    # An e-mail on Friday 10:00: close of the next business day, Mon 17:00.
    written = policy.target("acknowledge")
    assert written.due(at(ZAGREB, 2026, 2, 6, 10), calendar) == at(ZAGREB, 2026, 2, 9, 17)
    # Received Mon 2 Feb: Tue 3 (1) ... Fri 13 (9), Mon 16 (10) -> 17:00.
    resolve = policy.target("resolve")
    assert resolve.due(at(ZAGREB, 2026, 2, 2, 9), calendar) == at(ZAGREB, 2026, 2, 16, 17)
    assert policy.target("follow_up").within == timedelta(days=5)
    promise = policy.target("keep_promise")
    assert (promise.metric, promise.within) == (Metric.PROMISE, timedelta(0))
    survey = policy.target("survey")
    assert (survey.not_before, survey.within, survey.clock) == (24 * H, 48 * H, ClockKind.CALENDAR)
    # Resolved Mon 2 Feb 10:00: survey from Tue 10:00 to Wed 10:00; at risk after 36 h.
    resolved = at(ZAGREB, 2026, 2, 2, 10)
    assert survey.warns_at(resolved, calendar) == at(ZAGREB, 2026, 2, 3, 22)


# -- TOML ---------------------------------------------------------------------------------

MINIMAL = """
name = "p"
[[targets]]
name = "t"
metric = "resolve"
within = "2h"
"""


def docs_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)


def test_the_toml_example_in_the_docs_loads() -> None:
    (example,) = docs_blocks("toml")
    policy = SlaPolicy.from_toml(example)
    assert [target.name for target in policy.targets] == [
        "answer_the_phone_fast",
        "resolve",
        "refunds",
        "resolve_our_side",
        "keep_promise",
        "survey",
    ]
    assert policy.calendar.hours is not None
    assert policy.calendar.hours[4] == ((time(8, 30), time(12)),)
    assert policy.calendar.holidays == {date(2026, 1, 1), date(2026, 1, 6)}
    refunds = policy.target("refunds")
    assert (refunds.within, refunds.categories) == (timedelta(days=10), frozenset({"billing"}))


@pytest.mark.parametrize("block", range(len(docs_blocks("python"))))
def test_the_python_examples_in_the_docs_run(block: int) -> None:
    exec(docs_blocks("python")[block], {})


def test_a_calendar_without_hours_works_around_the_clock() -> None:
    policy = SlaPolicy.from_toml(MINIMAL)
    assert policy.calendar == BusinessCalendar.always("UTC")


def test_toml_files_and_their_ics_holidays_load_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "holidays.ics").write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\nUID:1\n"
        "DTSTART;VALUE=DATE:20251225\nSUMMARY:Christmas\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    path = tmp_path / "policy.toml"
    path.write_text(
        MINIMAL + '[calendar]\ntime_zone = "Europe/London"\nholidays_ics = ["holidays.ics"]\n'
    )
    for source in (path, str(path)):
        policy = SlaPolicy.from_toml(source)
        assert policy.calendar.holidays == {date(2025, 12, 25)}


@pytest.mark.parametrize(
    ("within", "expected", "clock"),
    [
        ("1h", H, "business"),
        ("1h30m", 1.5 * H, "business"),
        ("90m", 1.5 * H, "business"),
        ("PT1H", H, "business"),
        ("PT1H30M", 1.5 * H, "business"),
        ("15d", timedelta(days=15), "calendar"),
        ("2w3d", timedelta(days=17), "calendar"),
        ("P8W", timedelta(weeks=8), "calendar"),
        ("P1DT12H", timedelta(days=1, hours=12), "calendar"),
    ],
)
def test_duration_grammar(within: str, expected: timedelta, clock: str) -> None:
    text = MINIMAL.replace('"2h"', f'"{within}"\nclock = "{clock}"')
    assert SlaPolicy.from_toml(text).targets[0].within == expected


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (('"2h"', '"2 hours"'), "targets[0].within", "a duration such as"),
        (('"2h"', '"1.5h"'), "targets[0].within", "a duration such as"),
        (('"2h"', '"P1M"'), "targets[0].within", "no years or months"),
        (('"2h"', '"15d"'), "targets[0].within", "business days"),
        (('"2h"', '"P2D"'), "targets[0].within", "business days"),
        (('"2h"', '"3 business days"\nclock = "calendar"'), "targets[0].within", "business"),
        (('within = "2h"', "warning_at = 0.5"), "targets[0].within", "needs 'within'"),
        (('within = "2h"', 'whithin = "2h"'), "targets[0].whithin", "Extra inputs"),
        (('"resolve"', '"solve"'), "targets[0].metric", "acknowledge"),
        (('"2h"', '"2h"\nwarning_at = 1.5'), "targets[0].warning_at", "less than or equal"),
        (('"2h"', '"2h"\nchannels = ["fax"]'), "targets[0].channels[0]", "phone"),
        (('"2h"', '"2h"\npauses_stop_clock = "no"'), "targets[0].pauses_stop_clock", "bool"),
        (('"2h"', '"2h"\nnot_before = "3h"'), "targets[0].not_before", "< within"),
        (('name = "p"', 'name = ""'), "name", "at least 1"),
        (
            ('name = "p"', 'name = "p"\n[calendar]\ntime_zone = "Mars/Base"'),
            "calendar.time_zone",
            "IANA",
        ),
        (
            ('name = "p"', 'name = "p"\n[calendar.hours]\nmon = ["9:00-17"]'),
            "calendar.hours.mon",
            "HH:MM-HH:MM",
        ),
        (
            ('name = "p"', 'name = "p"\n[calendar.hours]\ntue = ["09:00-13:00", "12:00-17:00"]'),
            "calendar.hours.tue",
            "overlap",
        ),
        (
            ('name = "p"', 'name = "p"\n[calendar.hours]\nwed = ["17:00-09:00"]'),
            "calendar.hours.wed",
            "starts before it ends",
        ),
        (
            ('name = "p"', 'name = "p"\n[calendar]\nholidays = ["2025-12-25"]'),
            "calendar.holidays[0]",
            "date",
        ),
        (
            ('name = "p"', 'name = "p"\n[calendar]\nholidays_ics = ["missing.ics"]'),
            "calendar.holidays_ics[0]",
            "cannot read",
        ),
        (("[[targets]]", "[[targets]\n"), "toml", "not valid TOML"),
    ],
)
def test_toml_errors_name_the_field(change: tuple[str, str], field: str, rule: str) -> None:
    text = MINIMAL.replace(*change)
    with pytest.raises(InvalidValueError) as caught:
        SlaPolicy.from_toml(text)
    assert caught.value.field == field
    assert rule in caught.value.rule


def test_a_missing_toml_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match="cannot read"):
        SlaPolicy.from_toml(str(tmp_path / "nope.toml"))


def test_presets_take_public_holidays_from_the_holidays_package() -> None:
    """Issue #14: no hand-written tables; a preset takes a country and subdivision."""
    cfpb = SlaPolicy.preset("cfpb").calendar.holidays
    assert {date(2024, 7, 4), date(2024, 11, 28), date(2024, 12, 25)} <= cfpb  # federal
    fca = SlaPolicy.preset("fca").calendar.holidays
    assert {date(2025, 12, 25), date(2025, 12, 26), date(2026, 8, 31)} <= fca
    assert date(2025, 3, 17) not in fca  # St Patrick's Day: Northern Ireland only
    ru = SlaPolicy.preset("ru").calendar.holidays
    assert {date(2024, 1, 2), date(2024, 4, 29), date(2024, 6, 12)} <= ru  # incl. transfers
    psd2_de = SlaPolicy.preset("psd2", country="DE", subdivision="BY").calendar.holidays
    assert date(2025, 10, 3) in psd2_de  # German Unity Day
    assert date(2025, 1, 6) in psd2_de  # Epiphany: Bavaria
    assert date(2025, 7, 21) not in psd2_de  # Belgian National Day
    assert date(2025, 7, 21) in SlaPolicy.preset("psd2").calendar.holidays
    with pytest.raises(InvalidValueError, match="holidays_country"):
        SlaPolicy.preset("psd2", country="XX")
    with pytest.raises(InvalidValueError, match="holidays_subdivision"):
        SlaPolicy.preset("fca", country="GB", subdivision="ZZZ")

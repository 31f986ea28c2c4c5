"""SLA policies: which deadlines apply to a complaint, on which clock, and when they fall due.

A policy is a business calendar plus targets such as "acknowledge within 1 business hour on
the phone" or "final response within 8 weeks". Targets are plain values; projections ask a
policy which targets apply to a complaint and let each target compute its due time, so the
clock rules (business or calendar time, close of the Nth business day) live in one place.

Policies come from Python, from TOML (see ``docs/sla.md`` for the format) or from the
presets shipped in :mod:`complaintlog.policies`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, NamedTuple
from zoneinfo import ZoneInfo

import attrs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from complaintlog.domain._target_fields import categories as _categories
from complaintlog.domain._target_fields import channels as _channels
from complaintlog.domain._target_fields import enum_repr as _enum_repr
from complaintlog.domain._target_fields import set_repr as _set_repr
from complaintlog.domain._target_fields import severities as _severities
from complaintlog.domain._target_fields import waits as _waits
from complaintlog.domain.calendar import BusinessCalendar, WorkingInterval
from complaintlog.domain.public_holidays import public_holidays
from complaintlog.domain.values import Category, Channel, Severity, WaitingFor
from complaintlog.errors import InvalidValueError

__all__ = [
    "SOURCE_TIME_ZONE",
    "LATE_BY_SOURCE",
    "STEPS_NOT_RECORDED",
    "ClockKind",
    "Metric",
    "SlaPolicy",
    "SlaTarget",
    "late_by_source_in",
    "not_recorded_in",
]

STEPS_NOT_RECORDED = "steps_not_recorded"
"""The Received attribute naming, space-separated, the metrics (``acknowledge resolve
follow_up survey``...) whose steps the complaint's source never records, or records only
at an assumed time. Their targets do not apply to the complaint: a target that can never be
met, or whose time was invented, is no breach and no success. Imports set it."""


LATE_BY_SOURCE = "late_by_source"
"""The Received attribute holding a source's own verdict that the complaint was answered
late (CFPB: ``Timely response? = No``), when the source gives no times to measure it by:
the report counts it as a figure of its own."""

SOURCE_TIME_ZONE = "source_time_zone"
"""The Received attribute naming the zone an import read the source's local times in:
the neutral default policy counts business days in the store's zone (see ``report``)."""


def not_recorded_in(attributes: Iterable[Iterable[str]] | None) -> str | None:
    """The metrics named by ``STEPS_NOT_RECORDED`` in stored attributes (pairs), if any."""
    for key, value in attributes or ():
        if key == STEPS_NOT_RECORDED:
            return " ".join(value.split()) or None
    return None


def late_by_source_in(attributes: Iterable[Iterable[str]] | None) -> str | None:
    """The source's own lateness verdict (``LATE_BY_SOURCE``) in stored attributes."""
    for key, value in attributes or ():
        if key == LATE_BY_SOURCE:
            return value or None
    return None


class Metric(StrEnum):
    """What a target measures, from the event that starts its clock to the one that stops it."""

    ACKNOWLEDGE = "acknowledge"
    """Received until acknowledged."""
    FIRST_RESPONSE = "first_response"
    """Received until acknowledged or the first promise, whichever comes first."""
    RESOLVE = "resolve"
    """Received (or reopened) until resolved."""
    PROMISE = "promise"
    """Each promise by its own due time; ``within`` is a grace period after it (usually 0)."""
    FOLLOW_UP = "follow_up"
    """Resolved until followed up."""
    SURVEY = "survey"
    """Resolved until surveyed."""


class ClockKind(StrEnum):
    """Which time a target counts."""

    BUSINESS = "business"
    """Working time of the policy's calendar."""
    CALENDAR = "calendar"
    """Real elapsed time, nights, weekends and holidays included."""


_ONE_DAY = timedelta(days=1)


def _metric(value: Metric | str) -> Metric:
    try:
        return Metric(value)
    except ValueError as error:
        raise InvalidValueError("metric", value, f"one of {[m.value for m in Metric]}") from error


def _clock(value: ClockKind | str) -> ClockKind:
    try:
        return ClockKind(value)
    except ValueError as error:
        raise InvalidValueError("clock", value, "'business' or 'calendar'") from error


@lru_cache(maxsize=64)
def _elapsed_time(time_zone: ZoneInfo) -> BusinessCalendar:
    """The calendar of the calendar clock: around the clock, no holidays."""
    return BusinessCalendar.always(time_zone)


@attrs.frozen
class SlaTarget:
    """One deadline: ``metric`` is met within ``within`` on ``clock``, for matching complaints.

    With ``by_end_of_business_day`` the due time is the close of business of the Nth business
    day after the start (N = ``within`` in whole days), the way regulators count "business
    days" (FCA DISP 1.5, PSD2 art. 101). ``channels``, ``severities`` and ``categories`` narrow
    the complaints the target applies to; ``None`` means all. A category matches by its
    product, cause or dimension code.

    An ``informational`` target is measured but is no obligation: missing it is not a breach
    (the FCA's summary resolution by the third business day only decides which letter the
    complaint gets). Breach and at-risk lists leave such targets out unless asked for them,
    and they count towards no compliance rate.
    """

    name: str
    metric: Metric = attrs.field(converter=_metric, repr=_enum_repr)
    within: timedelta
    clock: ClockKind = attrs.field(default=ClockKind.BUSINESS, converter=_clock, repr=_enum_repr)
    pauses_stop_clock: bool = True
    not_before: timedelta | None = None
    channels: frozenset[Channel] | None = attrs.field(
        default=None, converter=_channels, repr=_set_repr
    )
    severities: frozenset[Severity] | None = attrs.field(
        default=None, converter=_severities, repr=_set_repr
    )
    categories: frozenset[str] | None = attrs.field(
        default=None, converter=_categories, repr=_set_repr
    )
    warning_at: float = 0.75
    by_end_of_business_day: bool = False
    informational: bool = False
    paused_by: frozenset[WaitingFor] | None = attrs.field(
        default=None, converter=_waits, repr=_set_repr
    )
    """Which waits stop the clock when ``pauses_stop_clock``: ``None`` for every wait, or
    e.g. ``{WaitingFor.CUSTOMER}`` (a wait on a third party is the firm's own time)."""
    holding_reply_limit: timedelta | None = None
    """A ``resolve`` target a holding reply can extend (PSD2 art. 101(2)): a promise made
    with a ``delay_reason`` before the target falls due moves the due time to the promised
    date, never earlier than it was and never later than this long after the start (counted
    as ``within`` is: N business days with ``by_end_of_business_day``)."""

    @property
    def stopped_by(self) -> frozenset[WaitingFor]:
        """The waits that stop this target's clock (none when pauses do not stop it)."""
        if not self.pauses_stop_clock:
            return frozenset()
        return self.paused_by if self.paused_by is not None else frozenset(WaitingFor)

    def __attrs_post_init__(self) -> None:
        for flag in ("pauses_stop_clock", "by_end_of_business_day", "informational"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidValueError(flag, getattr(self, flag), "must be True or False")
        if not isinstance(self.name, str) or not self.name.strip() or "\n" in self.name:
            raise InvalidValueError("name", self.name, "a target needs a one-line name")
        if not isinstance(self.within, timedelta):
            raise InvalidValueError("within", self.within, "must be a datetime.timedelta")
        may_be_zero = self.metric is Metric.PROMISE or self.by_end_of_business_day
        if self.within < timedelta(0) or (self.within == timedelta(0) and not may_be_zero):
            raise InvalidValueError("within", self.within, "must be positive")
        if self.not_before is not None and not (
            isinstance(self.not_before, timedelta) and timedelta(0) <= self.not_before < self.within
        ):
            raise InvalidValueError("not_before", self.not_before, "must be 0 or more and < within")
        if (
            isinstance(self.warning_at, bool)
            or not isinstance(self.warning_at, int | float)
            or not 0 < self.warning_at <= 1
        ):
            raise InvalidValueError("warning_at", self.warning_at, "a fraction in (0, 1]")
        if self.holding_reply_limit is not None:
            limit = self.holding_reply_limit
            if self.metric is not Metric.RESOLVE:
                raise InvalidValueError("holding_reply_limit", limit, "only for metric resolve")
            if not isinstance(limit, timedelta) or limit <= self.within:
                raise InvalidValueError("holding_reply_limit", limit, "a duration above within")
            if self.by_end_of_business_day and limit % _ONE_DAY:
                msg = "counts whole business days, as within does"
                raise InvalidValueError("holding_reply_limit", limit, msg)
        if self.by_end_of_business_day:
            if self.clock is not ClockKind.BUSINESS:
                raise InvalidValueError(
                    "by_end_of_business_day", True, "counts business days: needs clock=business"
                )
            if self.within % _ONE_DAY:
                raise InvalidValueError(
                    "within", self.within, "counts whole business days with by_end_of_business_day"
                )

    def applies_to(self, channel: Channel, severity: Severity, category: Category | None) -> bool:
        """Whether a complaint with this channel, severity and category is held to the target."""
        if self.channels is not None and channel not in self.channels:
            return False
        if self.severities is not None and severity not in self.severities:
            return False
        if self.categories is None:
            return True
        if category is None:
            return False
        codes = {category.product, category.cause, category.dimension}
        return not self.categories.isdisjoint(codes)

    def due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """When the target falls due for a clock started at ``start``."""
        if self.by_end_of_business_day:
            day = calendar.add_business_days(start, self.within.days)
            return calendar.end_of_business_day(day)
        return self.advance(start, self.within, calendar)

    def holding_limit(self, start: datetime, calendar: BusinessCalendar) -> datetime | None:
        """The latest a holding reply can move the due time of a clock started at ``start``
        to (``holding_reply_limit``), or ``None`` when no holding reply extends it."""
        if self.holding_reply_limit is None:
            return None
        return attrs.evolve(self, within=self.holding_reply_limit, holding_reply_limit=None).due(
            start, calendar
        )

    def earliest(self, start: datetime, calendar: BusinessCalendar) -> datetime | None:
        """The earliest proper time to meet the target (``not_before``), if it has one."""
        if self.not_before is None:
            return None
        return self.advance(start, self.not_before, calendar)

    def warns_at(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """When ``warning_at`` of the allowed time has passed: the complaint is at risk."""
        allowed = self.elapsed(start, self.due(start, calendar), calendar)
        return self.advance(start, allowed * self.warning_at, calendar)

    def elapsed(self, start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
        """Time on this target's clock from ``start`` to ``end``."""
        return self._clock_calendar(calendar).between(start, end)

    def advance(self, moment: datetime, amount: timedelta, calendar: BusinessCalendar) -> datetime:
        """``moment`` plus ``amount`` on this target's clock.

        With :meth:`elapsed`, this moves a due time by a pause:
        ``target.advance(due, target.elapsed(paused, resumed, calendar), calendar)``.
        """
        return self._clock_calendar(calendar).add(moment, amount)

    def _clock_calendar(self, calendar: BusinessCalendar) -> BusinessCalendar:
        if self.clock is ClockKind.CALENDAR:
            return _elapsed_time(calendar.time_zone)
        return calendar


def _targets(values: Iterable[SlaTarget]) -> tuple[SlaTarget, ...]:
    return tuple(values)


@attrs.frozen
class SlaPolicy:
    """A named set of targets measured on one business calendar, citing its ``source``."""

    name: str
    targets: tuple[SlaTarget, ...] = attrs.field(converter=_targets)
    calendar: BusinessCalendar
    description: str = ""
    source: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidValueError("name", self.name, "a policy needs a name")
        if not isinstance(self.calendar, BusinessCalendar):
            raise InvalidValueError("calendar", self.calendar, "must be a BusinessCalendar")
        names: set[str] = set()
        for target in self.targets:
            if not isinstance(target, SlaTarget):
                raise InvalidValueError("targets", target, "must be SlaTarget values")
            if target.name in names:
                raise InvalidValueError("targets", target.name, "target names are unique")
            names.add(target.name)

    @classmethod
    def from_toml(cls, source: str | Path) -> SlaPolicy:
        """A policy from a TOML file (a ``Path``, or a one-line ``str`` ending in ``.toml``)
        or from TOML text. An iCalendar file it names is read relative to the TOML file."""
        if isinstance(source, Path) or (
            isinstance(source, str) and "\n" not in source and source.endswith(".toml")
        ):
            path = Path(source)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as error:
                raise InvalidValueError("source", str(source), f"cannot read: {error}") from error
            return _policy_from_text(text, path.parent)
        if not isinstance(source, str):
            raise InvalidValueError("source", source, "a TOML path or TOML text")
        return _policy_from_text(source, Path.cwd())

    @classmethod
    def preset(
        cls, name: str, *, country: str | None = None, subdivision: str | None = None
    ) -> SlaPolicy:
        """A shipped policy: see :meth:`presets` and ``docs/sla.md`` for their sources.

        ``country`` (and ``subdivision``) replace the preset's public holidays with that
        country's, e.g. ``SlaPolicy.preset("psd2", country="DE", subdivision="BY")``."""
        if name not in cls.presets():
            raise InvalidValueError("preset", name, f"known presets: {', '.join(cls.presets())}")
        text = files("complaintlog.policies").joinpath(f"{name}.toml").read_text(encoding="utf-8")
        if country is None and subdivision is not None:
            raise InvalidValueError("subdivision", subdivision, "needs a country")
        place = None if country is None else (country, subdivision)
        return _policy_from_text(text, Path.cwd(), place)

    @classmethod
    def named(cls, spec: SlaPolicy | str | Path) -> SlaPolicy:
        """A policy as the CLI's ``--policy`` takes it: a policy, a preset name, or the
        path of a TOML file (a ``Path``, or a ``str`` ending in ``.toml`` or holding a
        ``/``)."""
        if isinstance(spec, SlaPolicy):
            return spec
        if isinstance(spec, Path) or (isinstance(spec, str) and _is_path(spec)):
            if not Path(spec).is_file():
                raise InvalidValueError("policy", str(spec), "no such policy file")
            return cls.from_toml(Path(spec))
        if not isinstance(spec, str):
            raise InvalidValueError("policy", spec, "an SlaPolicy, a preset name or a TOML path")
        return cls.preset(spec)

    @classmethod
    def presets(cls) -> tuple[str, ...]:
        """Names of the shipped policies."""
        return _preset_names()

    def targets_for(
        self,
        metric: Metric | str,
        channel: Channel,
        severity: Severity,
        category: Category | None,
    ) -> tuple[SlaTarget, ...]:
        """The targets of ``metric`` that apply to a complaint like this one."""
        return tuple(
            target
            for target in self.targets
            if target.metric == metric and target.applies_to(channel, severity, category)
        )

    def target(self, name: str) -> SlaTarget:
        """The target called ``name``."""
        for target in self.targets:
            if target.name == name:
                return target
        raise InvalidValueError("target", name, f"not in policy {self.name!r}")

    def in_time_zone(self, time_zone: str | ZoneInfo) -> SlaPolicy:
        """The same hours and holidays in another zone: the neutral default policy takes
        the zone of the store it reports on."""
        calendar = self.calendar
        moved = BusinessCalendar(time_zone, calendar.hours, calendar.holidays, calendar.name)
        return self.with_calendar(moved)

    def with_calendar(self, calendar: BusinessCalendar) -> SlaPolicy:
        """The same targets on another calendar: for what-if replays."""
        return attrs.evolve(self, calendar=calendar)


def _is_path(spec: str) -> bool:
    return spec.endswith(".toml") or "/" in spec or "\\" in spec


@lru_cache(maxsize=1)
def _preset_names() -> tuple[str, ...]:
    folder = files("complaintlog.policies")
    return tuple(
        sorted(
            entry.name.removesuffix(".toml")
            for entry in folder.iterdir()
            if entry.name.endswith(".toml")
        )
    )


# -- the TOML form -----------------------------------------------------------------------

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHORT_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_ISO_DURATION = re.compile(
    r"^P(?!$)(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
)
_BUSINESS_DAYS = re.compile(r"^(\d+)\s*business\s+days?$")
_INTERVAL = re.compile(r"^(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})$")


_ISO_DURATIONS = TypeAdapter(timedelta)
"""ISO 8601 durations are pydantic's to parse; the pattern above only narrows the units."""


class _Duration(NamedTuple):
    amount: timedelta
    in_business_days: bool
    """Written as "N business days": due at close of business of the Nth business day."""
    counts_days: bool
    """Written with day or week units ("15d", "P8W")."""


def _parse_duration(text: str) -> _Duration:
    """Parse "8w", "15d", "1h30m", ISO 8601 "PT1H" / "P15D" / "P8W", or "15 business days"."""
    if match := _BUSINESS_DAYS.match(text.strip()):
        return _Duration(timedelta(days=int(match[1])), in_business_days=True, counts_days=True)
    compact = "".join(text.split())
    if compact.startswith("P"):
        if not _ISO_DURATION.match(compact):
            msg = "ISO 8601 durations here use W, D, H, M, S (no years or months), e.g. 'PT1H'"
            raise ValueError(msg)
        amount = _ISO_DURATIONS.validate_python(compact)
        days_part = compact.split("T")[0]
        return _Duration(amount, in_business_days=False, counts_days=days_part != "P")
    match = _SHORT_DURATION.match(compact)
    if not compact or match is None:
        msg = "a duration such as '1h', '1h30m', '15d', '8w', 'PT1H', 'P15D' or '15 business days'"
        raise ValueError(msg)
    weeks, days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    amount = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return _Duration(amount, in_business_days=False, counts_days=bool(weeks or days))


def _parse_interval(text: str) -> WorkingInterval:
    match = _INTERVAL.match(text.strip())
    if match is None:
        msg = "working hours are written 'HH:MM-HH:MM', e.g. '08:30-12:00' (end '24:00' = midnight)"
        raise ValueError(msg)
    start, end = match.groups()
    return time.fromisoformat(start), time(0) if end == "24:00" else time.fromisoformat(end)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _HoursFile(_File):
    mon: list[StrictStr] = []
    tue: list[StrictStr] = []
    wed: list[StrictStr] = []
    thu: list[StrictStr] = []
    fri: list[StrictStr] = []
    sat: list[StrictStr] = []
    sun: list[StrictStr] = []

    @field_validator(*_WEEKDAYS)
    @classmethod
    def _intervals_parse(cls, values: list[str]) -> list[str]:
        for value in values:
            _parse_interval(value)
        return values

    def to_hours(self) -> dict[int, list[WorkingInterval]]:
        return {
            day: [_parse_interval(value) for value in getattr(self, weekday)]
            for day, weekday in enumerate(_WEEKDAYS)
        }


class _CalendarFile(_File):
    name: StrictStr = ""
    time_zone: StrictStr = "UTC"
    hours: _HoursFile | None = None
    """Left out: around the clock."""
    holidays: list[Annotated[date, Field(strict=True)]] = []
    holidays_ics: list[StrictStr] = []
    """iCalendar files, relative to the TOML file."""
    holidays_country: StrictStr | None = None
    """A country's public holidays from the ``holidays`` package (ISO 3166: "US", "GB")."""
    holidays_subdivision: StrictStr | None = None
    """Its subdivision's too ("ENG" for England and Wales, "BY" for Bavaria)."""


class _TargetFile(_File):
    name: Annotated[StrictStr, Field(min_length=1)]
    metric: Metric
    clock: ClockKind = ClockKind.BUSINESS
    within: Annotated[StrictStr | None, Field(validate_default=True)] = None
    not_before: StrictStr | None = None
    pauses_stop_clock: StrictBool = True
    channels: list[Channel] | None = None
    severities: list[Severity] | None = None
    categories: list[Annotated[StrictStr, Field(min_length=1)]] | None = None
    warning_at: Annotated[float, Field(gt=0, le=1, strict=True)] = 0.75
    informational: StrictBool = False
    paused_by: list[WaitingFor] | None = None
    holding_reply_limit: StrictStr | None = None

    @field_validator("within", "not_before", "holding_reply_limit")
    @classmethod
    def _duration_is_clear(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.field_name == "within" and info.data.get("metric") is not Metric.PROMISE:
                msg = "every target but metric='promise' needs 'within'"
                raise ValueError(msg)
            return value
        duration = _parse_duration(value)
        clock = info.data.get("clock", ClockKind.BUSINESS)
        if duration.in_business_days and (
            clock is ClockKind.CALENDAR or info.field_name == "not_before"
        ):
            msg = "'N business days' is only for 'within' on the business clock"
            raise ValueError(msg)
        if info.field_name == "holding_reply_limit" and (
            duration.in_business_days
            != _parse_duration(info.data.get("within") or "0s").in_business_days
        ):
            msg = "written as 'within' is: both in 'N business days', or neither"
            raise ValueError(msg)
        if clock is ClockKind.BUSINESS and duration.counts_days and not duration.in_business_days:
            msg = (
                f"on the business clock {value!r} would count 24 working hours a day: write "
                "'N business days' (close of the Nth business day) or hours such as '40h'"
            )
            raise ValueError(msg)
        return value

    def to_target(self) -> SlaTarget:
        within = (
            _parse_duration(self.within) if self.within else _Duration(timedelta(0), False, False)
        )
        return SlaTarget(
            name=self.name,
            metric=self.metric,
            within=within.amount,
            clock=self.clock,
            pauses_stop_clock=self.pauses_stop_clock,
            not_before=_parse_duration(self.not_before).amount if self.not_before else None,
            channels=self.channels,
            severities=self.severities,
            categories=self.categories,
            warning_at=self.warning_at,
            by_end_of_business_day=within.in_business_days,
            informational=self.informational,
            paused_by=self.paused_by,
            holding_reply_limit=(
                _parse_duration(self.holding_reply_limit).amount
                if self.holding_reply_limit
                else None
            ),
        )


class _PolicyFile(_File):
    name: Annotated[StrictStr, Field(min_length=1)]
    description: StrictStr = ""
    source: StrictStr = ""
    calendar: _CalendarFile = _CalendarFile()
    targets: Annotated[list[_TargetFile], Field(min_length=1)]


def _policy_from_text(
    text: str, base: Path, place: tuple[str, str | None] | None = None
) -> SlaPolicy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidValueError("toml", text, f"not valid TOML: {error}") from error
    if place is not None:  # the country's public holidays instead of the file's
        table = dict(data.get("calendar") or {})
        table.update(holidays=[], holidays_country=place[0], holidays_subdivision=place[1])
        if place[1] is None:
            table.pop("holidays_subdivision")
        data["calendar"] = table
    try:
        spec = _PolicyFile.model_validate(data)
    except ValidationError as error:
        raise _naming_field(error) from error
    calendar = _calendar_from(spec.calendar, base)
    targets = []
    for index, target in enumerate(spec.targets):
        try:
            targets.append(target.to_target())
        except InvalidValueError as error:
            raise InvalidValueError(
                f"targets[{index}].{error.field}", error.value, error.rule
            ) from error
    return SlaPolicy(spec.name, tuple(targets), calendar, spec.description, spec.source)


def _calendar_from(spec: _CalendarFile, base: Path) -> BusinessCalendar:
    try:
        calendar = BusinessCalendar(
            spec.time_zone,
            None if spec.hours is None else spec.hours.to_hours(),
            spec.holidays,
            spec.name,
        )
    except InvalidValueError as error:
        field = re.sub(r"hours\[(\d)\]", lambda day: f"hours.{_WEEKDAYS[int(day[1])]}", error.field)
        raise InvalidValueError(f"calendar.{field}", error.value, error.rule) from error
    if spec.holidays_country is not None:
        try:
            found = public_holidays(spec.holidays_country, spec.holidays_subdivision)
        except InvalidValueError as error:
            raise InvalidValueError(f"calendar.{error.field}", error.value, error.rule) from error
        calendar = calendar.with_holidays(found)
    elif spec.holidays_subdivision is not None:
        raise InvalidValueError(
            "calendar.holidays_subdivision", spec.holidays_subdivision, "needs holidays_country"
        )
    for index, ics in enumerate(spec.holidays_ics):
        try:
            calendar = calendar.with_ical_holidays(base / ics)
        except InvalidValueError as error:
            raise InvalidValueError(f"calendar.holidays_ics[{index}]", ics, error.rule) from error
    return calendar


def _naming_field(error: ValidationError) -> InvalidValueError:
    """The first problem of a TOML policy, named by its key path (``targets[1].within``)."""
    # A misspelt key also makes the real one "missing": name the misspelling first.
    problems = sorted(
        error.errors(include_url=False), key=lambda problem: problem["type"] != "extra_forbidden"
    )
    first, *others = problems
    rule = first["msg"].removeprefix("Value error, ")
    if others:
        rule += f" (also: {', '.join(_key_path(problem['loc']) for problem in others)})"
    return InvalidValueError(_key_path(first["loc"]), first.get("input"), rule)


def _key_path(location: tuple[int | str, ...]) -> str:
    """``("targets", 1, "within")`` as ``targets[1].within``."""
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    return path.lstrip(".") or "policy"

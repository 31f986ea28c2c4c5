"""How command arguments are checked before anything touches a complaint.

Pydantic validates each command's arguments; its errors become
:class:`~complaintlog.errors.InvalidValueError` naming the field, the value and the rule.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, ParamSpec, TypeVar, cast

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationError,
    validate_call,
)

from complaintlog.domain.values import (
    WaitingFor,
)
from complaintlog.errors import (
    InvalidValueError,
)

__all__ = [
    "EARLIEST_BUSINESS_TIME",
    "LONGEST_PROMISE",
    "Moment",
    "Clock",
    "ClockFunction",
    "IdempotencyKey",
    "PersonalField",
    "Score",
    "WaitingForArg",
    "as_utc",
    "utc_now",
    "validated",
]

ClockFunction = Callable[[], datetime]
"""Returns the current time, timezone-aware. Injected so tests and replays control time."""

Clock = ClockFunction
"""The former name of :data:`ClockFunction`, kept for ``complaintlog.application.Clock``."""

IdempotencyKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Score = Annotated[int, Field(ge=1, le=5, strict=True)]
PersonalField = Literal[
    "subject",
    "description",
    "desired_outcome",
    "later_texts",
    "acknowledge.message",
    "escalate.reason",
    "make_promise.promise",
    "inform.message",
    "reclassify.reason",
    "pause.reason",
    "resume.note",
    "resolve.summary",
    "reopen.note",
    "follow_up.note",
    "record_survey.comment",
    "withdraw.reason",
    "record_desired_remedy.note",
    "attach_evidence.name",
    "attach_evidence.uri",
    "note.text",
    "note_review.note",
    "sign_off.note",
]
"""A text ``receive`` seals: one of its own, or one typed in a later step (``command.argument``,
or ``later_texts`` for all of them: :data:`complaintlog.domain.personal.LATER_TEXT_FIELDS`)."""
if TYPE_CHECKING:
    WaitingForArg = WaitingFor | str
else:
    WaitingForArg = WaitingFor


EARLIEST_BUSINESS_TIME = datetime(1900, 1, 1, tzinfo=UTC)
"""Business time before this is a typing or import error, not a complaint."""
LONGEST_PROMISE = timedelta(days=3653)
"""A promise due more than ten years after it is made is not a promise to a customer."""

FIRST_YEAR, LAST_YEAR = 1900, 9998
"""The years a moment may name: earlier is a typing or import error, and a moment near
either end of ``datetime``'s range cannot even be converted between time zones."""


def _plausible_year(moment: datetime) -> datetime:
    if moment.year < FIRST_YEAR:
        msg = f"a time before {FIRST_YEAR}-01-01 is not plausible"
        raise ValueError(msg)
    if moment.year > LAST_YEAR:
        msg = f"a time after the year {LAST_YEAR} is not plausible"
        raise ValueError(msg)
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_plausible_year)]
"""A timezone-aware moment in a plausible year: the type of every time a command takes."""

_UNION_MEMBER = re.compile(r"^(?:[a-z-]+\[.*\]|str|int|float|bool|bytes)$")

P = ParamSpec("P")
R = TypeVar("R")


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware moment in UTC (as it is, when it already is)."""
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _invalid(error: ValidationError, parameters: list[str]) -> InvalidValueError:
    first = error.errors()[0]
    # a union's member names its type in the location ("remedy.str-enum[Remedy]"): drop it
    loc = [part for part in first["loc"] if not _UNION_MEMBER.match(str(part))]
    if loc and isinstance(loc[0], int) and loc[0] < len(parameters):
        loc[0] = parameters[loc[0]]  # a positional argument: name it
    field = ".".join(str(part) for part in loc) or "value"
    rule = first["msg"]
    value = first.get("input")
    if first["type"] in _MISSING:  # the input is every argument: name the missing one only
        value = None
        rule = f"required: pass {field}=" if "." not in field else f"required: {field} is missing"
    if error.error_count() > 1:
        rule += f" (and {error.error_count() - 1} more problems)"
    return InvalidValueError(field, value, rule)


_MISSING = frozenset({"missing", "missing_argument", "missing_keyword_only_argument"})
"""pydantic's error types for a required argument left out."""


def _validate_call_wrapper(checked: Callable[..., Any]) -> Callable[..., Any] | None:
    """The callable inside ``validate_call``'s function wrapper, if this pydantic has one."""
    closure = getattr(checked, "__closure__", None) or ()
    for cell in closure:
        inner = cell.cell_contents
        owner = getattr(inner, "__self__", None)
        if type(owner).__name__ == "ValidateCallWrapper" and callable(inner):
            return cast(Callable[..., Any], inner)
    return None


def validated(method: Callable[P, R]) -> Callable[P, R]:
    """Validate a command's arguments with pydantic and translate its errors into ours."""
    checked = validate_call(method)
    parameters = list(inspect.signature(method).parameters)
    keywords = frozenset(parameters)

    # pydantic's wrapper of the validator, called directly: one Python frame less per command
    inner = _validate_call_wrapper(checked)
    run = cast(Callable[..., R], inner if inner is not None else checked)

    @functools.wraps(method)
    def command(*args: P.args, **kwargs: P.kwargs) -> R:
        if not keywords.issuperset(kwargs):
            name = next(name for name in kwargs if name not in keywords)
            # as Python itself says it, not as a value error
            msg = f"{method.__name__}() got an unexpected keyword argument {name!r}"
            raise TypeError(msg)
        try:
            return run(*args, **kwargs)
        except ValidationError as error:
            raise _invalid(error, parameters) from None

    return command

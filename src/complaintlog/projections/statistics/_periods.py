"""Report periods and groupings: which periods a report's range covers, and their labels.

Calendar arithmetic only (local days, ISO weeks from Monday, months, quarters, years in the
report's time zone), with the names of the periods and grouping attributes a report
accepts; kept apart from the rows and the queries, which only use its answers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from complaintlog.errors import InvalidValueError

Period = Literal["day", "week", "month", "quarter", "year"]
PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
Grouping = Literal[
    "dimension", "cause", "product", "category", "channel", "severity", "team", "tenant"
]
GROUPINGS: tuple[str, ...] = (
    "dimension",
    "cause",
    "product",
    "category",
    "channel",
    "severity",
    "team",
    "tenant",
)
"""``category`` is the whole category, ``dimension/cause/product`` (``-`` for a missing part)."""


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

"""Source times: parsed with explicit formats in an explicit time zone.

A value with only a date (day precision, as in the CFPB exports) is placed at a fixed,
documented time of day in the source's zone; the default is noon, the middle of the day,
which also keeps the date the same in UTC for every zone between UTC-12 and UTC+11.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from complaintlog.importing.errors import RowRejectedError

__all__ = ["TimeReader", "zone"]

NOON = time(12, 0)


def zone(name: str) -> ZoneInfo:
    """The named IANA time zone; ``ValueError`` with the name when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown time zone {name!r} (use an IANA name such as 'Europe/Zagreb')"
        raise ValueError(msg) from None


@attrs.frozen
class TimeReader:
    """Turns a cell into an aware datetime using the formats in order.

    ``formats`` are :meth:`datetime.strptime` formats; ``"iso"`` accepts ISO 8601. A parsed
    value without a time gets ``time_of_day``; one without an offset gets ``tz``.
    """

    tz: ZoneInfo
    formats: tuple[str, ...] = ("iso",)
    time_of_day: time = NOON

    def read(self, value: str, column: str) -> datetime:
        text = value.strip()
        if not text:
            msg = f"{column!r} is empty"
            raise RowRejectedError(msg)
        parsed = _read(text, self.formats, self.tz, self.time_of_day)
        if parsed is not None:
            return parsed
        shown = " or ".join(repr(f) for f in self.formats)
        msg = f"{column} = {text!r} does not match the date format {shown}"
        raise RowRejectedError(msg)


@functools.lru_cache(maxsize=4096)
def _read(text: str, formats: tuple[str, ...], tz: ZoneInfo, time_of_day: time) -> datetime | None:
    """Parse with the first format that fits; cached, since exports repeat their dates."""
    for fmt in formats:
        parsed = _parse(text, fmt, tz, time_of_day)
        if parsed is not None:
            return parsed
    return None


def _parse(text: str, fmt: str, tz: ZoneInfo, time_of_day: time) -> datetime | None:
    try:
        if fmt == "iso":
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time_of_day, tzinfo=tz)
            parsed = datetime.fromisoformat(text)
        else:
            parsed = datetime.strptime(text, fmt)
    except ValueError:
        return None
    has_time = fmt == "iso" or any(code in fmt for code in ("%H", "%I", "%M", "%X", "%c"))
    if not has_time:
        return datetime.combine(parsed.date(), time_of_day, tzinfo=tz)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)

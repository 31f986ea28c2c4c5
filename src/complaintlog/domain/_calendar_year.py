"""The calendar's instants and its precomputed local years.

Business-time arithmetic runs on integer microseconds since 0001-01-01 UTC, so sums stay
exact; ``_instant`` and ``_duration`` turn checked datetimes and timedeltas into them. A
``_Year`` is one local year turned, once, into sorted UTC working intervals with running
totals: :class:`~complaintlog.domain.calendar.BusinessCalendar` builds and caches them and
answers with bisections. Kept apart from the calendar's definition and its methods.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from typing import Any

from complaintlog.errors import InvalidValueError

_ORIGIN = datetime(1, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)
_US_PER_DAY = 86_400_000_000
_EPOCH = (datetime(1970, 1, 1, tzinfo=UTC) - _ORIGIN) // _ONE_MICROSECOND
"""1970-01-01 UTC in the calendar's own instants (microseconds since 0001-01-01 UTC)."""
_LAST_YEAR = 9998
"""The last local year with working time: its 24:00 ends still fit in a ``date``."""
_LAST_INSTANT = (datetime(9999, 12, 31, tzinfo=UTC) - _ORIGIN) // _ONE_MICROSECOND


class _Year:
    """One local year of working time: sorted, disjoint UTC intervals with running totals.

    Instants are integer microseconds since 0001-01-01 UTC, so sums stay exact.
    """

    __slots__ = (
        "business_days",
        "closes",
        "done_before",
        "done_by_end",
        "end",
        "ends",
        "first_ordinal",
        "next_ordinal",
        "number",
        "offsets",
        "start",
        "starts",
        "transitions",
    )

    def __init__(
        self,
        number: int,
        start: int,
        end: int,
        starts: list[int],
        ends: list[int],
        business_days: list[int],
        closes: list[int],
        transitions: list[int],
        offsets: list[int],
    ) -> None:
        self.number = number
        self.first_ordinal = date(number, 1, 1).toordinal()
        self.next_ordinal = date(number + 1, 1, 1).toordinal()
        self.start = start
        self.end = end
        self.starts = starts
        self.ends = ends
        self.business_days = business_days
        """Ordinals of the local dates that have working time."""
        self.closes = closes
        """Close of business (the end of the last working interval) of each business day."""
        self.transitions = transitions
        """Instants from which ``offsets`` apply: the year's start, then each change of the
        zone's UTC offset within the year."""
        self.offsets = offsets
        """UTC offsets in microseconds: local wall time is ``instant + offset``."""
        self.done_before: list[int] = []
        self.done_by_end: list[int] = []
        total = 0
        for first, last in zip(starts, ends, strict=True):
            self.done_before.append(total)
            total += last - first
            self.done_by_end.append(total)

    @property
    def total(self) -> int:
        return self.done_by_end[-1] if self.done_by_end else 0

    def done(self, instant: int) -> int:
        """Working microseconds of this year before ``instant``."""
        index = bisect_right(self.starts, instant) - 1
        if index < 0:
            return 0
        return self.done_before[index] + min(instant, self.ends[index]) - self.starts[index]

    def local_ordinal(self, instant: int) -> int:
        """The ordinal of the local date at ``instant`` (which lies in this year's span)."""
        offset = self.offsets[bisect_right(self.transitions, instant) - 1]
        return (instant + offset) // _US_PER_DAY + 1


def _instant(field: str, moment: Any) -> int:
    """Microseconds since 0001-01-01 UTC of an aware datetime; naive ones are refused."""
    if not isinstance(moment, datetime):
        raise InvalidValueError(field, moment, "must be a timezone-aware datetime")
    if moment.utcoffset() is None:
        raise InvalidValueError(
            field, moment, "must be timezone-aware (naive datetimes are ambiguous)"
        )
    return (moment - _ORIGIN) // _ONE_MICROSECOND


def _duration(field: str, duration: Any) -> int:
    if not isinstance(duration, timedelta):
        raise InvalidValueError(field, duration, "must be a datetime.timedelta")
    if duration < timedelta(0):
        raise InvalidValueError(field, duration, "must not be negative")
    return duration // _ONE_MICROSECOND

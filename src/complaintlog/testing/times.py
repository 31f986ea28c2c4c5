"""Times where a policy's rules turn: DST changes, holidays, the edges of a deadline.

Uniformly drawn times almost never land on the minute a deadline falls due or on the
night the clocks change; these strategies put a good share of examples there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import strategies as st

from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.testing.model import ModelComplaint

__all__ = ["deadline_edges", "dst_changes", "policy_times"]

_EDGES = [timedelta(0), timedelta(seconds=1), timedelta(seconds=-1), timedelta(minutes=1),
          timedelta(minutes=-1), timedelta(hours=1), timedelta(hours=-1)]  # fmt: skip


def dst_changes(calendar: BusinessCalendar, first: date, last: date) -> list[datetime]:
    """The instants (UTC) the calendar's time zone changes its offset between two dates."""
    zone = calendar.time_zone
    changes: list[datetime] = []
    moment = datetime.combine(first, time(), UTC)
    end = datetime.combine(last, time(), UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + timedelta(hours=6)
        if following.astimezone(zone).utcoffset() != offset:
            low, high = moment, following  # bisect to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            changes.append(high.replace(microsecond=0))
            offset = following.astimezone(zone).utcoffset()
        moment = following
    return changes


def policy_times(
    policy: SlaPolicy | BusinessCalendar,
    first: date = date(2026, 1, 1),
    last: date = date(2026, 12, 31),
) -> st.SearchStrategy[datetime]:
    """Aware times (UTC) between two dates, a good share of them where the calendar turns:

    around its time zone's DST changes, on and just before its holidays (the preset's), at
    the opening and close of working days; the rest anywhere in the range.
    """
    calendar = policy.calendar if isinstance(policy, SlaPolicy) else policy
    anywhere = st.datetimes(
        min_value=datetime.combine(first, time()),
        max_value=datetime.combine(last, time(23, 59)),
        timezones=st.just(UTC),
    )
    turning = dst_changes(calendar, first, last)
    zone = calendar.time_zone
    for holiday in sorted(calendar.holidays):
        if first <= holiday <= last:
            for day in (holiday - timedelta(days=1), holiday):
                turning.append(datetime.combine(day, time(17), zone).astimezone(UTC))
                turning.append(datetime.combine(day, time(9), zone).astimezone(UTC))
    for hours in (calendar.hours or {}).values():
        for opens, closes in hours:
            turning.append(datetime.combine(first, opens, zone).astimezone(UTC))
            turning.append(datetime.combine(first, closes, zone).astimezone(UTC))
    if not turning:
        return anywhere
    near = st.builds(
        lambda moment, shift: moment + shift,
        st.sampled_from(sorted(set(turning))),
        st.sampled_from(_EDGES) | st.integers(-180, 180).map(lambda m: timedelta(minutes=m)),
    )
    return st.one_of(near, anywhere)


def deadline_edges(
    policy: SlaPolicy, target: str, *, spread: timedelta = timedelta(days=3)
) -> Callable[[ModelComplaint], st.SearchStrategy[datetime]]:
    """Due times around the deadline of ``target`` for the complaint's current cycle.

    For ``lifecycles(promise_due=...)``: about half of the times are on the deadline or a
    second, a minute or an hour either side of it, the rest up to ``spread`` before it.
    """
    chosen = policy.target(target)

    def around(model: ModelComplaint) -> st.SearchStrategy[datetime]:
        due = chosen.due(model.cycle_started_at or model.last_at, policy.calendar)
        seconds = int(spread.total_seconds())
        before = st.integers(-seconds, 0).map(lambda s: due + timedelta(seconds=s))
        return st.one_of(st.sampled_from([due + edge for edge in _EDGES]), before)

    return around

"""Clock arithmetic: when a clock warns, and where a pause moves its times.

Pure functions on a policy's targets and business calendar, in integer microseconds since the
epoch (the calendar's integer API, no datetime built): the projection computes due and warning
times with them as events arrive, and the view computes a warning time nobody stored. The
implicit ``promise`` target lives here too, for policies that have none.
"""

from __future__ import annotations

from datetime import timedelta

from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import ClockKind, Metric, SlaPolicy, SlaTarget

__all__ = ["IMPLICIT_PROMISE", "target_named", "warn_time"]

IMPLICIT_PROMISE = SlaTarget(
    name="promise",
    metric=Metric.PROMISE,
    within=timedelta(0),
    clock=ClockKind.CALENDAR,
    pauses_stop_clock=False,
)

_US = timedelta(microseconds=1)


def target_named(policy: SlaPolicy, name: str) -> SlaTarget:
    """The policy's target of that name, or the implicit promise target."""
    for target in policy.targets:
        if target.name == name:
            return target
    return IMPLICIT_PROMISE


def warn_time(policy: SlaPolicy, target: SlaTarget, started_us: int, due_us: int) -> int:
    """When ``warning_at`` of the time allowed between start and (unshifted) due has passed."""
    if target.clock is ClockKind.CALENDAR:
        return started_us + round((due_us - started_us) * target.warning_at)
    calendar = policy.calendar
    if (
        target.metric is Metric.PROMISE
        or target.by_end_of_business_day
        or target.holding_reply_limit is not None  # its due time may be a holding reply's
    ):
        allowed = calendar.between_us(started_us, due_us)
    else:
        allowed = target.within // _US
    if not allowed:
        return due_us
    return min(calendar.add_us(started_us, _scaled(allowed, target.warning_at)), due_us)


def _scaled(microseconds: int, fraction: float) -> int:
    """``microseconds * fraction`` rounded as ``timedelta * float`` rounds it (exactly, half
    to even), so the integer path gives the datetime path's answers."""
    numerator, denominator = fraction.as_integer_ratio()
    quotient, remainder = divmod(microseconds * numerator, denominator)
    remainder *= 2
    if remainder > denominator or (remainder == denominator and quotient % 2):
        quotient += 1
    return quotient


def _shift(calendar: BusinessCalendar, paused: int, resumed: int, moment: int) -> int:
    """Where ``moment`` lands when the clock stood still from ``paused`` to ``resumed``.

    The working time left at the pause counts again from the resume; a moment that passed
    before the pause, or a pause without working time in it, leaves it where it was.
    """
    if moment <= paused or not calendar.between_us(paused, resumed):
        return moment
    moved = calendar.add_us(resumed, calendar.between_us(paused, moment))
    return max(moved, moment)

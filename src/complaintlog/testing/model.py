"""The simple model of a complaint the strategies and the state machine keep in step.

It says, with booleans and counts, which commands the built-in process rules allow; the
lifecycle strategies draw only legal commands from it, and the state machine checks the
real log against it after every step.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from complaintlog.domain.status import Status

__all__ = ["ModelComplaint", "SteppingClock"]


class SteppingClock:
    """Recording time that moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def __repr__(self) -> str:
        return f"SteppingClock({self.now.isoformat()!r})"


@attrs.define
class ModelComplaint:
    """What the built-in rules say about one complaint, kept with booleans and counts."""

    last_at: datetime
    events: int = 1
    acknowledged: bool = False
    resolved: bool = False
    withdrawn: bool = False
    paused: bool = False
    followed_up: bool = False
    solved: bool = False
    surveyed: bool = False
    survey_sent: bool = False
    handled: bool = False
    cycle: int = 1
    escalation_rank: int = 0
    escalations: set[tuple[int, str]] = attrs.field(factory=set)
    received_at: datetime | None = None
    cycle_started_at: datetime | None = None
    severity: str = "normal"
    product: str | None = None
    resolutions: int = 0

    def __attrs_post_init__(self) -> None:
        self.received_at = self.received_at or self.last_at
        self.cycle_started_at = self.cycle_started_at or self.last_at

    @property
    def open(self) -> bool:
        return not (self.withdrawn or self.resolved)

    def expected_status(self) -> Status:
        if self.withdrawn:
            return Status.WITHDRAWN
        if self.resolved:
            return Status.CLOSED if (self.solved or self.surveyed) else Status.RESOLVED
        if self.paused:
            return Status.PAUSED
        if self.cycle > 1 and not self.handled:
            return Status.REOPENED
        if self.escalation_rank:
            return Status.ESCALATED
        if self.handled:
            return Status.IN_PROGRESS
        return Status.ACKNOWLEDGED if self.acknowledged else Status.RECEIVED

    def new_cycle(self) -> None:
        self.cycle += 1
        self.resolved = self.followed_up = self.solved = self.surveyed = False
        self.survey_sent = False
        self.handled = False
        self.cycle_started_at = self.last_at

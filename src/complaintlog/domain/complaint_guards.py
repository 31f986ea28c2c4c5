"""The process guards of a ``Complaint``: one named check per rule, raising a domain error.

``ComplaintGuards`` is a base of :class:`~complaintlog.domain.complaint.Complaint`; its
commands call these checks before they trigger events (events never check rules, so old
histories replay). They live apart so the aggregate module keeps its events and commands.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from complaintlog.domain.complaint_records import Stamp
from complaintlog.domain.complaint_state import ComplaintState
from complaintlog.domain.values import Category, EscalationLevel, Severity
from complaintlog.errors import (
    AlreadyAcknowledgedError,
    AlreadyErasedError,
    AlreadyPausedError,
    ComplaintClosedError,
    ComplaintNotResolvedError,
    ComplaintWithdrawnError,
    EscalationDowngradeError,
    EscalationRepeatedError,
    NotAcknowledgedError,
    NotPausedError,
    PromiseDueNotAfterMakingError,
    PromiseNotPendingError,
    ReclassificationUnchangedError,
    ResolvedTwiceError,
    SurveyAlreadySentError,
    TimeRunsBackwardsError,
    TimeTooFarInFutureError,
)

__all__ = ["ComplaintGuards"]


class ComplaintGuards(ComplaintState):
    """The rules a complaint's commands check, each a guard that raises from ``errors``."""

    # -- guards (one per rule) -------------------------------------------------------------

    def check_not_withdrawn(self, command: str) -> None:
        if self.withdrawn_at is not None:
            raise ComplaintWithdrawnError(
                self.id, command, f"withdrawn at {self.withdrawn_at.isoformat()}"
            )

    def check_not_resolved_in_cycle(self, command: str) -> None:
        resolved_at = self.cycle.resolved_at
        if resolved_at is None:
            return
        if command == "resolve":
            raise ResolvedTwiceError(
                self.id,
                command,
                f"cycle {self.cycle.number} was resolved at {resolved_at.isoformat()}",
            )
        raise ComplaintClosedError(
            self.id, command, f"resolved at {resolved_at.isoformat()}; reopen it first"
        )

    def check_resolved_in_cycle(self, command: str) -> None:
        if self.cycle.resolved_at is None:
            raise ComplaintNotResolvedError(
                self.id, command, f"cycle {self.cycle.number} is not resolved"
            )

    def check_not_acknowledged(self, command: str) -> None:
        if self.acknowledged_at is not None:
            raise AlreadyAcknowledgedError(
                self.id, command, f"acknowledged at {self.acknowledged_at.isoformat()}"
            )

    def check_acknowledged(self, command: str) -> None:
        if self.acknowledged_at is None:
            raise NotAcknowledgedError(
                self.id,
                command,
                "acknowledge it first, or pass first_contact=True to record both",
            )

    def check_escalation_rises(self, level: EscalationLevel, reason: str) -> None:
        current = self.escalation_level
        if current is not None and level.rank < current.rank:
            raise EscalationDowngradeError(
                self.id, "escalate", f"level={level.value!r} is below {current.value!r}"
            )
        if any(lvl == level and why == reason for lvl, why, _, _ in self.escalations):
            raise EscalationRepeatedError(
                self.id, "escalate", f"level={level.value!r} with the same reason={reason!r}"
            )

    def check_due_after_making(self, due: datetime, made_at: datetime) -> None:
        if due <= made_at:
            raise PromiseDueNotAfterMakingError(
                self.id,
                "make_promise",
                f"due={due.isoformat()} is not after {made_at.isoformat()}",
            )

    def check_reclassification_changes(
        self, category: Category | None, severity: Severity | None
    ) -> None:
        changes_category = category is not None and category != self.category
        changes_severity = severity is not None and severity != self.severity
        if not (changes_category or changes_severity):
            raise ReclassificationUnchangedError(
                self.id,
                "reclassify",
                f"category={category!r}, severity={severity!r} change nothing",
            )

    def check_not_paused(self) -> None:
        if self.paused_since is not None:
            raise AlreadyPausedError(
                self.id, "pause", f"paused since {self.paused_since.isoformat()}"
            )

    def check_personal_data_not_erased(self) -> None:
        if self.personal_data_erased_at is not None:
            raise AlreadyErasedError(
                self.id,
                "erase_personal_data",
                f"erased at {self.personal_data_erased_at.isoformat()}",
            )

    def check_promise_pending(self, promise_id: UUID) -> None:
        """``promise_id`` names a promise of this complaint neither kept nor superseded."""
        for promise in self.promises:
            if promise.promise_id == promise_id:
                if promise.kept_at is None and promise.superseded_at is None:
                    return
                done = "kept" if promise.kept_at is not None else "superseded"
                raise PromiseNotPendingError(self.id, "inform", f"promise {promise_id} is {done}")
        raise PromiseNotPendingError(
            self.id, "inform", f"promise_id={promise_id} names no promise of this complaint"
        )

    def check_survey_not_sent(self) -> None:
        sent = self.cycle.survey_sent_at
        if sent is not None:
            raise SurveyAlreadySentError(self.id, "send_survey", f"sent at {sent.isoformat()}")

    def check_paused(self) -> None:
        if self.paused_since is None:
            raise NotPausedError(self.id, "resume", "the complaint is not paused")

    def _check_can_act(self, command: str, stamp: Stamp) -> None:
        """The rules every handling step shares: open, and time moving forward."""
        self.check_not_withdrawn(command)
        self.check_not_resolved_in_cycle(command)
        self._check_time(command, stamp)

    def _check_time(self, command: str, stamp: Stamp) -> None:
        if stamp.occurred_at < self._last_occurred_at:
            raise TimeRunsBackwardsError(
                self.id,
                command,
                f"at={stamp.occurred_at.isoformat()} is before the previous event at "
                f"{self._last_occurred_at.isoformat()}",
            )
        self._check_not_in_future(self.id, command, stamp)

    @staticmethod
    def _check_not_in_future(complaint_id: UUID | None, command: str, stamp: Stamp) -> None:
        if stamp.occurred_at > stamp.latest_allowed:
            raise TimeTooFarInFutureError(
                complaint_id,
                command,
                f"at={stamp.occurred_at.isoformat()} is after {stamp.latest_allowed.isoformat()}",
            )

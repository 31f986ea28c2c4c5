"""The commands of a ``Complaint``: check the rules, then trigger past-tense events.

``ComplaintCommands`` is a base of :class:`~complaintlog.domain.complaint.Complaint`. Its
commands name their events by class name (``"Acknowledged"``); the aggregate's
``_trigger`` finds the class on itself, because the event classes must stay in the
aggregate's module (stored events name their class by topic).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from complaintlog.domain.complaint_guards import ComplaintGuards
from complaintlog.domain.complaint_records import Stamp
from complaintlog.domain.values import (
    Category,
    Channel,
    EscalationLevel,
    Money,
    Remedy,
    RemedyCode,
    ReopenReason,
    Severity,
    Upheld,
    WaitingFor,
)
from complaintlog.errors import FollowUpRepeatedError, SurveyRepeatedError

__all__ = ["ComplaintCommands"]


class ComplaintCommands(ComplaintGuards):
    """The commands of a complaint after ``receive`` (which creates it, on the aggregate)."""

    if TYPE_CHECKING:

        def _trigger(self, event_name: str, stamp: Stamp, **payload: Any) -> None: ...

    def acknowledge(
        self,
        stamp: Stamp,
        *,
        message: str | None = None,
        regret: bool | None = None,
        thanks: bool | None = None,
    ) -> None:
        self._check_can_act("acknowledge", stamp)
        self.check_not_acknowledged("acknowledge")
        self._trigger("Acknowledged", stamp, message=message, regret=regret, thanks=thanks)

    def assign(self, stamp: Stamp, *, assignee: str, team: str | None = None) -> None:
        self._check_can_act("assign", stamp)
        self._trigger("Assigned", stamp, assignee=assignee, team=team)

    def escalate(self, stamp: Stamp, *, level: EscalationLevel, reason: str) -> None:
        self._check_can_act("escalate", stamp)
        self.check_escalation_rises(level, reason)
        self._trigger("Escalated", stamp, level=level, reason=reason)

    def make_promise(
        self,
        stamp: Stamp,
        *,
        promise: str,
        due: datetime,
        promise_id: UUID,
        alongside: bool = False,
        delay_reason: str | None = None,
    ) -> UUID:
        """Promise by ``due``; ``alongside=True`` keeps the open promises open beside it;
        a ``delay_reason`` makes it a holding reply (the final reply comes by ``due``)."""
        self._check_can_act("make_promise", stamp)
        self.check_due_after_making(due, stamp.occurred_at)
        self._trigger(
            "PromiseMade",
            stamp,
            promise_id=promise_id,
            promise=promise,
            due=due,
            alongside=alongside,
            delay_reason=delay_reason,
        )
        return promise_id

    def inform(self, stamp: Stamp, *, message: str, promise_id: UUID | None = None) -> None:
        """Tell the customer; keeps the open promises, or only ``promise_id``."""
        self._check_can_act("inform", stamp)
        if promise_id is not None:
            self.check_promise_pending(promise_id)
        self._trigger("CustomerInformed", stamp, message=message, promise_id=promise_id)

    def record_desired_remedy(
        self, stamp: Stamp, *, remedy: Remedy, note: str | None = None
    ) -> None:
        self._check_can_act("record_desired_remedy", stamp)
        self._trigger("DesiredRemedyRecorded", stamp, remedy=remedy, note=note)

    def attach_evidence(
        self, stamp: Stamp, *, name: str, media_type: str, sha256: str, uri: str | None = None
    ) -> None:
        """Internal: allowed in every status but withdrawn."""
        self.check_not_withdrawn("attach_evidence")
        self._check_time("attach_evidence", stamp)
        self._trigger(
            "EvidenceAttached", stamp, name=name, media_type=media_type, sha256=sha256, uri=uri
        )

    def note(self, stamp: Stamp, *, text: str) -> None:
        """Internal: allowed in every status but withdrawn."""
        self.check_not_withdrawn("note")
        self._check_time("note", stamp)
        self._trigger("NoteAdded", stamp, text=text)

    def reclassify(
        self,
        stamp: Stamp,
        *,
        reason: str,
        category: Category | None = None,
        severity: Severity | None = None,
    ) -> None:
        self._check_can_act("reclassify", stamp)
        self.check_reclassification_changes(category, severity)
        self._trigger("Reclassified", stamp, category=category, severity=severity, reason=reason)

    def pause(
        self, stamp: Stamp, *, reason: str, waiting_for: WaitingFor = WaitingFor.CUSTOMER
    ) -> None:
        self._check_can_act("pause", stamp)
        self.check_not_paused()
        self._trigger("Paused", stamp, reason=reason, waiting_for=waiting_for)

    def resume(self, stamp: Stamp, *, note: str | None = None) -> None:
        self._check_can_act("resume", stamp)
        self.check_paused()
        self._trigger("Resumed", stamp, note=note)

    def resolve(
        self,
        stamp: Stamp,
        *,
        remedy: RemedyCode,
        summary: str,
        compensation: Money | None = None,
        accepted: bool | None = None,
        first_contact: bool = False,
        upheld: Upheld | None = None,
        options_offered: tuple[Remedy, ...] = (),
        chosen: Remedy | None = None,
    ) -> None:
        """Resolve this cycle. ``first_contact=True`` acknowledges first, in the same save."""
        self.check_not_withdrawn("resolve")
        self.check_not_resolved_in_cycle("resolve")
        self._check_time("resolve", stamp)
        if first_contact and self.acknowledged_at is None:
            self._trigger("Acknowledged", stamp, message=None, regret=None, thanks=None)
            stamp = attrs.evolve(stamp, idempotency=None)
        self.check_acknowledged("resolve")
        self._trigger(
            "Resolved",
            stamp,
            remedy=remedy,
            summary=summary,
            compensation=compensation,
            accepted=accepted,
            upheld=upheld,
            options_offered=options_offered,
            chosen=chosen,
        )

    def reopen(self, stamp: Stamp, *, reason: ReopenReason, note: str | None = None) -> None:
        self.check_not_withdrawn("reopen")
        self.check_resolved_in_cycle("reopen")
        self._check_time("reopen", stamp)
        self._trigger("Reopened", stamp, reason=reason, note=note)

    def follow_up(self, stamp: Stamp, *, solved: bool, note: str | None = None) -> None:
        """Record the follow-up; an unsolved answer reopens the complaint in the same save."""
        self.check_not_withdrawn("follow_up")
        self.check_resolved_in_cycle("follow_up")
        if self.cycle.followed_up_at is not None:
            raise FollowUpRepeatedError(self.id, "follow_up", "already followed up this cycle")
        self._check_time("follow_up", stamp)
        self._trigger("FollowedUp", stamp, solved=solved, note=note)
        if not solved:
            self._trigger(
                "Reopened",
                attrs.evolve(stamp, idempotency=None),
                reason=ReopenReason.FOLLOW_UP_UNSOLVED,
                note=note,
            )

    def send_survey(self, stamp: Stamp, *, channel: Channel) -> None:
        self.check_not_withdrawn("send_survey")
        self.check_resolved_in_cycle("send_survey")
        self.check_survey_not_sent()
        self._check_time("send_survey", stamp)
        self._trigger("SurveySent", stamp, channel=channel)

    def record_survey(self, stamp: Stamp, *, score: int, comment: str | None = None) -> None:
        self.check_not_withdrawn("record_survey")
        self.check_resolved_in_cycle("record_survey")
        if self.cycle.surveyed_at is not None:
            raise SurveyRepeatedError(self.id, "record_survey", "already surveyed this cycle")
        self._check_time("record_survey", stamp)
        self._trigger("Surveyed", stamp, score=score, comment=comment)

    def withdraw(self, stamp: Stamp, *, reason: str | None = None) -> None:
        self._check_can_act("withdraw", stamp)
        self._trigger("Withdrawn", stamp, reason=reason)

    def note_review(self, stamp: Stamp, *, note: str) -> None:
        """Record a reviewer's note; allowed in every status, no handling step."""
        self._check_time("note_review", stamp)
        self._trigger("ReviewNoted", stamp, note=note)

    def sign_off(self, stamp: Stamp, *, note: str | None = None) -> None:
        """Record that a reviewer signed the file off; allowed in every status."""
        self._check_time("sign_off", stamp)
        self._trigger("SignedOff", stamp, note=note)

    def erase_personal_data(self, stamp: Stamp, *, reason: str) -> None:
        """Record that the customer's personal data was erased; allowed in every status."""
        self.check_personal_data_not_erased()
        self._check_time("erase_personal_data", stamp)
        self._trigger("PersonalDataErased", stamp, reason=reason)

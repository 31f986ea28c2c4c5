"""A complaint as callers and process rules see it: immutable values built from the aggregate.

Views are plain frozen ``attrs`` values: cheap to build, safe to cache and share, and
impossible to mutate by accident in CRM code.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

from complaintlog.domain.complaint import Complaint, PauseRecord, PromiseRecord
from complaintlog.domain.complaint_records import EvidenceRecord
from complaintlog.domain.status import Status
from complaintlog.domain.values import (
    DEFAULT_TENANT,
    Category,
    Channel,
    Customer,
    EscalationLevel,
    Money,
    Remedy,
    RemedyCode,
    Severity,
    Upheld,
    WaitingFor,
)

__all__ = [
    "ComplaintView",
    "EvidenceRecord",
    "NoteView",
    "EscalationView",
    "PauseView",
    "PromiseState",
    "PromiseView",
    "ResolutionView",
]


class PromiseState(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    SUPERSEDED = "superseded"


@attrs.frozen
class PromiseView:
    promise_id: UUID
    promise: str
    made_at: datetime
    due: datetime
    cycle: int
    kept_at: datetime | None
    superseded_at: datetime | None
    state: PromiseState

    @classmethod
    def of(cls, record: PromiseRecord, reference_time: datetime) -> PromiseView:
        if record.kept_at is not None:
            state = PromiseState.KEPT
        elif record.superseded_at is not None:
            state = PromiseState.SUPERSEDED
        elif record.due < reference_time:
            state = PromiseState.BROKEN
        else:
            state = PromiseState.OPEN
        return cls(
            promise_id=record.promise_id,
            promise=record.promise,
            made_at=record.made_at,
            due=record.due,
            cycle=record.cycle,
            kept_at=record.kept_at,
            superseded_at=record.superseded_at,
            state=state,
        )


@attrs.frozen
class PauseView:
    """One pause: whom it waited on, why, and when it ended (``None`` while it lasts)."""

    started_at: datetime
    ended_at: datetime | None
    waiting_for: WaitingFor
    reason: str

    @classmethod
    def of(cls, record: PauseRecord) -> PauseView:
        return cls(
            started_at=record.started_at,
            ended_at=record.ended_at,
            waiting_for=record.waiting_for,
            reason=record.reason,
        )


@attrs.frozen
class EscalationView:
    """One escalation: to which level, why, who escalated and when (business time)."""

    level: EscalationLevel
    reason: str
    actor: str | None
    at: datetime


@attrs.frozen
class ResolutionView:
    cycle: int
    resolved_at: datetime
    remedy: RemedyCode
    summary: str
    compensation: Money | None
    accepted: bool | None
    upheld: Upheld | None = None
    """fully, partly or not upheld; ``None``: not recorded (unknown)."""
    options_offered: tuple[Remedy, ...] = ()
    """The remedies the customer was offered (seed 004)."""
    chosen: Remedy | None = None
    """The one the customer chose."""


@attrs.frozen
class NoteView:
    """An internal note: never sent to the customer."""

    at: datetime
    actor: str | None
    text: str


@attrs.frozen
class ComplaintView:
    """A complaint as it stands at ``reference_time`` (now, or the ``as_of`` asked for).

    Personal data is shown opened; once erased, ``customer.erased`` is true with its
    personal fields ``None``, and the text fields that were sealed read ``"[erased]"``
    (also in views ``as_of`` a time before the erasure: the key is gone).
    """

    id: UUID
    version: int
    reference_time: datetime
    status: Status
    customer: Customer
    channel: Channel
    subject: str
    description: str
    category: Category | None
    severity: Severity
    desired_outcome: str | None
    external_ref: str | None
    attributes: tuple[tuple[str, str], ...]
    received_at: datetime
    acknowledged_at: datetime | None
    assignee: str | None
    team: str | None
    escalation_level: EscalationLevel | None
    promises: tuple[PromiseView, ...]
    paused_since: datetime | None
    pauses: tuple[tuple[datetime, datetime], ...]
    cycle: int
    resolutions: tuple[ResolutionView, ...]
    followed_up_at: datetime | None
    surveyed_at: datetime | None
    satisfaction: int | None
    withdrawn_at: datetime | None
    last_activity_at: datetime
    waiting_for: WaitingFor | None = None
    """Whom the complaint waits on while paused."""
    pause_history: tuple[PauseView, ...] = ()
    """Every pause with whom it waited on; ``pauses`` has only the finished ones' times."""
    personal_fields: tuple[str, ...] = ()
    """The paths of the fields stored sealed (``customer.name``, ``description``, ...)."""
    personal_data_erased_at: datetime | None = None
    regret_expressed: bool | None = None
    """Whether the acknowledgement expressed regret (``None``: not recorded)."""
    thanked: bool | None = None
    """Whether the acknowledgement thanked the customer (``None``: not recorded)."""
    desired_remedy: Remedy | None = None
    """The remedy the customer asks for, as recorded after intake."""
    survey_sent_at: datetime | None = None
    """When this cycle's satisfaction survey was sent."""
    evidence: tuple[EvidenceRecord, ...] = ()
    """References to documents kept elsewhere; internal."""
    notes: tuple[NoteView, ...] = ()
    """Internal notes; never sent to the customer."""
    escalations: tuple[EscalationView, ...] = ()
    """Every escalation, oldest first: what four-eyes and per-cycle rules look at."""
    personal_later: tuple[str, ...] = ()
    """The later steps' texts declared personal at receipt (``inform.message``, ...)."""
    cycle_started_at: datetime = attrs.field(kw_only=True)
    """When the current cycle began: receipt, or the latest reopening."""
    tenant: str = DEFAULT_TENANT
    """The brand or legal entity the complaint belongs to (its SLA policy's key)."""

    @property
    def resolved_at(self) -> datetime | None:
        """When the current cycle was resolved, if it was."""
        last = self.resolutions[-1] if self.resolutions else None
        return last.resolved_at if last is not None and last.cycle == self.cycle else None

    @property
    def remedy(self) -> RemedyCode | None:
        return self.resolutions[-1].remedy if self.resolutions else None

    @property
    def open_promise(self) -> PromiseView | None:
        return next((p for p in self.promises if p.state is PromiseState.OPEN), None)

    @property
    def open_promises(self) -> tuple[PromiseView, ...]:
        """Every open promise (several, when made ``alongside`` each other)."""
        return tuple(p for p in self.promises if p.state is PromiseState.OPEN)

    @property
    def broken_promises(self) -> tuple[PromiseView, ...]:
        return tuple(p for p in self.promises if p.state is PromiseState.BROKEN)

    @property
    def is_open(self) -> bool:
        return self.status not in {Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN}

    @classmethod
    def of(cls, complaint: Complaint, reference_time: datetime) -> ComplaintView:
        scores = [score for cycle, score in complaint.survey_scores]
        return cls(
            id=complaint.id,
            version=complaint.version,
            reference_time=reference_time,
            status=complaint.status,
            customer=complaint.customer,
            channel=complaint.channel,
            subject=complaint.subject,
            description=complaint.description,
            category=complaint.category,
            severity=complaint.severity,
            desired_outcome=complaint.desired_outcome,
            external_ref=complaint.external_ref,
            attributes=complaint.attributes,
            tenant=complaint.tenant,
            received_at=complaint.received_at,
            acknowledged_at=complaint.acknowledged_at,
            assignee=complaint.assignee,
            team=complaint.team,
            escalation_level=complaint.escalation_level,
            promises=tuple(PromiseView.of(p, reference_time) for p in complaint.promises),
            paused_since=complaint.paused_since,
            pauses=tuple(complaint.pauses),
            cycle=complaint.cycle.number,
            resolutions=tuple(
                ResolutionView(
                    cycle=r.cycle,
                    resolved_at=r.resolved_at,
                    remedy=r.remedy,
                    summary=r.summary,
                    compensation=r.compensation,
                    accepted=r.accepted,
                    upheld=r.upheld,
                    options_offered=r.options_offered,
                    chosen=r.chosen,
                )
                for r in complaint.resolutions
            ),
            followed_up_at=complaint.cycle.followed_up_at,
            surveyed_at=complaint.cycle.surveyed_at,
            satisfaction=scores[-1] if scores else None,
            withdrawn_at=complaint.withdrawn_at,
            last_activity_at=complaint.last_activity_at,
            waiting_for=complaint.waiting_for,
            pause_history=tuple(PauseView.of(p) for p in complaint.pause_history),
            personal_fields=complaint.personal_fields,
            personal_data_erased_at=complaint.personal_data_erased_at,
            regret_expressed=complaint.acknowledgement[0],
            thanked=complaint.acknowledgement[1],
            desired_remedy=complaint.desired_remedy,
            survey_sent_at=complaint.cycle.survey_sent_at,
            evidence=tuple(complaint.evidence),
            notes=tuple(NoteView(at, actor, text) for at, actor, text in complaint.notes),
            escalations=tuple(
                EscalationView(level=level, reason=reason, actor=actor, at=at)
                for level, reason, at, actor in complaint.escalations
            ),
            personal_later=complaint.personal_later,
            cycle_started_at=complaint.cycle.started_at or complaint.received_at,
        )

"""The ``Complaint`` aggregate: its events, its state and the process rules that guard it.

Commands are imperative methods (``acknowledge``); each checks its rules with named guard
methods that raise from :mod:`complaintlog.errors`, then triggers past-tense events
(``Complaint.Acknowledged``). Events only change state, they never check rules, so history
recorded under older rules always replays.

Every event carries two times: ``occurred_at`` (business time, when it happened, from the
caller) and ``timestamp`` (recording time, when the store learned it, from the recording
clock). They are never confused.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4, uuid5

import attrs
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic
from pydantic import BaseModel, ConfigDict

from complaintlog.domain.chain import GENESIS, link
from complaintlog.domain.personal import ERASED, Sealed
from complaintlog.domain.status import OPEN_STATUSES, Status, derive_status
from complaintlog.domain.values import (
    Category,
    Channel,
    Customer,
    EscalationLevel,
    Money,
    Remedy,
    ReopenReason,
    Severity,
    WaitingFor,
)
from complaintlog.errors import (
    AlreadyAcknowledgedError,
    AlreadyErasedError,
    AlreadyPausedError,
    ComplaintClosedError,
    ComplaintNotResolvedError,
    ComplaintWithdrawnError,
    EscalationDowngradeError,
    EscalationRepeatedError,
    FollowUpRepeatedError,
    IdempotencyKeyReusedError,
    NotAcknowledgedError,
    NotPausedError,
    PromiseDueNotAfterMakingError,
    ReclassificationUnchangedError,
    ResolvedTwiceError,
    SurveyRepeatedError,
    TimeRunsBackwardsError,
    TimeTooFarInFutureError,
)

__all__ = [
    "COMPLAINT_NAMESPACE",
    "Complaint",
    "Idempotency",
    "PauseRecord",
    "PromiseRecord",
    "Stamp",
]

COMPLAINT_NAMESPACE = UUID("6f1f3c52-8c1e-4d59-9a1c-6c0d4c2f7a11")
"""Namespace for ids derived from idempotency keys, so a retried receive finds its complaint."""


class Idempotency(BaseModel):
    """Carried by the first event of a command that was given an idempotency key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    command: str
    digest: str


@attrs.frozen
class Stamp:
    """Who did a command, when it happened, when it was recorded, and its retry key.

    ``latest_allowed`` is the recording time plus the allowed clock skew: business time may
    not lie beyond it.
    """

    occurred_at: datetime
    recorded_at: datetime
    latest_allowed: datetime
    actor: str | None = None
    idempotency: Idempotency | None = None


@attrs.define
class PromiseRecord:
    """A promise's life inside the aggregate; views copy it into an immutable value."""

    promise_id: UUID
    promise: str
    made_at: datetime
    due: datetime
    cycle: int
    kept_at: datetime | None = None
    superseded_at: datetime | None = None

    def is_open_at(self, when: datetime) -> bool:
        """Neither kept nor superseded, and its due time has not passed."""
        return self.kept_at is None and self.superseded_at is None and when <= self.due


@attrs.define
class PauseRecord:
    """One pause: when it started and ended, whom it waited on and why."""

    started_at: datetime
    waiting_for: WaitingFor
    reason: str
    ended_at: datetime | None = None


@attrs.define
class ResolutionRecord:
    cycle: int
    resolved_at: datetime
    remedy: Remedy
    summary: str
    compensation: Money | None
    accepted: bool | None


@attrs.define
class CycleFacts:
    """What happened in the current cycle (a cycle starts with Received or Reopened)."""

    number: int = 1
    started_at: datetime | None = None
    handled: bool = False
    resolved_at: datetime | None = None
    followed_up_at: datetime | None = None
    solved: bool | None = None
    surveyed_at: datetime | None = None


class Complaint(Aggregate):
    """One customer complaint, from Received to its last follow-up."""

    class Event(Aggregate.Event):
        occurred_at: datetime
        actor: str | None
        idempotency: Idempotency | None
        chain: str

        command = ""
        is_activity = True
        """Whether the event is a step in handling the complaint (``last_activity_at``)."""

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Complaint)
            aggregate._last_occurred_at = self.occurred_at
            aggregate._last_recorded_at = self.timestamp
            if self.is_activity:
                aggregate._last_activity_at = self.occurred_at
            aggregate._chain = self.chain
            if self.idempotency is not None:
                aggregate._idempotency[self.idempotency.key] = (self.idempotency, self.result())
            self.evolve(aggregate)

        def evolve(self, complaint: Complaint) -> None:
            """Change the complaint's state; never check rules here."""

        def result(self) -> Any:
            """What the command that triggered this event returns to its caller."""
            return None

    class Received(Event, Aggregate.Created):
        """A complaint arrived. Schema version 2 added ``personal``.

        With ``personal``, the customer's personal fields are ``None`` in ``customer`` and
        each sealed text field holds :data:`~complaintlog.domain.personal.SEALED`; the
        values are in ``personal``'s boxes. :meth:`revealed` gives the values to show.
        """

        customer: Customer
        channel: Channel
        subject: str
        description: str
        category: Category | None
        severity: Severity
        desired_outcome: str | None
        external_ref: str | None
        attributes: tuple[tuple[str, str], ...]
        personal: Sealed | None

        command = "receive"
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 stored personal data in plain: nothing was sealed."""
            state["personal"] = None

        def revealed(self) -> dict[str, Any]:
            """``customer`` and the text fields as they should be shown.

            Sealed values are opened where the plaintext is attached; once the key is gone
            the customer reads ``erased=True`` with its personal fields ``None``, and sealed
            texts read :data:`~complaintlog.domain.personal.ERASED`.
            """
            values: dict[str, Any] = {
                "customer": self.customer,
                "subject": self.subject,
                "description": self.description,
                "desired_outcome": self.desired_outcome,
            }
            personal = self.personal
            if personal is None:
                return values
            if personal.is_erased:
                values["customer"] = self.customer.without_personal_data(erased=True)
                for path in personal.boxes:
                    if path in values:
                        values[path] = ERASED
                return values
            if personal.is_open:
                values["customer"] = personal.opened_customer(self._opened_customer)
                for path in personal.boxes:
                    if path in values:
                        values[path] = personal.plaintext(path)
            return values

        def erased(self) -> dict[str, Any]:
            """Like :meth:`revealed`, once the complaint's personal data was erased.

            Also for a ``Received`` stored in plain by version 1: erasure could not remove
            those bytes, but nothing shows them.
            """
            values = self.revealed()
            values["customer"] = self.customer.without_personal_data(erased=True)
            for path in self.personal.fields if self.personal is not None else ():
                if path in values:
                    values[path] = ERASED
            return values

        def _opened_customer(self) -> Customer:
            personal = self.personal
            assert personal is not None
            opened = {
                path[len("customer.") :]: personal.plaintext(path)
                for path in personal.boxes
                if path.startswith("customer.")
            }
            return self.customer.model_copy(update=opened) if opened else self.customer

        def evolve(self, complaint: Complaint) -> None:
            shown = self.revealed()
            complaint.customer = shown["customer"]
            complaint.subject = shown["subject"]
            complaint.description = shown["description"]
            complaint.desired_outcome = shown["desired_outcome"]
            complaint.personal_fields = self.personal.fields if self.personal else ()
            complaint.channel = self.channel
            complaint.category = self.category
            complaint.severity = self.severity
            complaint.external_ref = self.external_ref
            complaint.attributes = self.attributes
            complaint.received_at = self.occurred_at
            complaint._id_text = str(self.originator_id)
            complaint.cycle.started_at = self.occurred_at

        def result(self) -> Any:
            return self.originator_id

    class Acknowledged(Event):
        message: str | None

        command = "acknowledge"

        def evolve(self, complaint: Complaint) -> None:
            complaint.acknowledged_at = self.occurred_at

    class Assigned(Event):
        assignee: str
        team: str | None

        command = "assign"

        def evolve(self, complaint: Complaint) -> None:
            complaint.assignee = self.assignee
            complaint.team = self.team
            complaint.cycle.handled = True

    class Escalated(Event):
        level: EscalationLevel
        reason: str

        command = "escalate"

        def evolve(self, complaint: Complaint) -> None:
            complaint.escalation_level = self.level
            complaint.escalations.append((self.level, self.reason, self.occurred_at))
            complaint.cycle.handled = True

    class PromiseMade(Event):
        promise_id: UUID
        promise: str
        due: datetime

        command = "make_promise"

        def evolve(self, complaint: Complaint) -> None:
            for earlier in complaint.promises:
                if earlier.is_open_at(self.occurred_at):
                    earlier.superseded_at = self.occurred_at
            complaint.promises.append(
                PromiseRecord(
                    promise_id=self.promise_id,
                    promise=self.promise,
                    made_at=self.occurred_at,
                    due=self.due,
                    cycle=complaint.cycle.number,
                )
            )
            complaint.cycle.handled = True

        def result(self) -> Any:
            return self.promise_id

    class CustomerInformed(Event):
        message: str

        command = "inform"

        def evolve(self, complaint: Complaint) -> None:
            complaint.keep_open_promise(self.occurred_at)
            complaint.informed_at.append(self.occurred_at)
            complaint.cycle.handled = True

    class Reclassified(Event):
        category: Category | None
        severity: Severity | None
        reason: str

        command = "reclassify"

        def evolve(self, complaint: Complaint) -> None:
            if self.category is not None:
                complaint.category = self.category
            if self.severity is not None:
                complaint.severity = self.severity
            complaint.cycle.handled = True

    class Paused(Event):
        """The complaint waits. Schema version 2 added ``waiting_for``.

        Version 1 recorded every pause as ``pause(reason=...)``, which today records
        ``waiting_for="customer"``: the upcaster gives old pauses that same value, so an old
        history and the same commands run today produce the same state.
        """

        reason: str
        waiting_for: WaitingFor

        command = "pause"
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["waiting_for"] = WaitingFor.CUSTOMER.value

        def evolve(self, complaint: Complaint) -> None:
            complaint.paused_since = self.occurred_at
            complaint.pause_history.append(
                PauseRecord(
                    started_at=self.occurred_at, waiting_for=self.waiting_for, reason=self.reason
                )
            )

    class Resumed(Event):
        note: str | None

        command = "resume"

        def evolve(self, complaint: Complaint) -> None:
            complaint.end_pause(self.occurred_at)

    class Resolved(Event):
        remedy: Remedy
        summary: str
        compensation: Money | None
        accepted: bool | None

        command = "resolve"

        def evolve(self, complaint: Complaint) -> None:
            complaint.keep_open_promise(self.occurred_at)
            complaint.end_pause(self.occurred_at)
            complaint.cycle.resolved_at = self.occurred_at
            complaint.resolutions.append(
                ResolutionRecord(
                    cycle=complaint.cycle.number,
                    resolved_at=self.occurred_at,
                    remedy=self.remedy,
                    summary=self.summary,
                    compensation=self.compensation,
                    accepted=self.accepted,
                )
            )

    class Reopened(Event):
        reason: ReopenReason
        note: str | None

        command = "reopen"

        def evolve(self, complaint: Complaint) -> None:
            complaint.cycle = CycleFacts(
                number=complaint.cycle.number + 1, started_at=self.occurred_at
            )

    class FollowedUp(Event):
        solved: bool
        note: str | None

        command = "follow_up"

        def evolve(self, complaint: Complaint) -> None:
            complaint.cycle.followed_up_at = self.occurred_at
            complaint.cycle.solved = self.solved

    class Surveyed(Event):
        score: int
        comment: str | None

        command = "record_survey"

        def evolve(self, complaint: Complaint) -> None:
            complaint.cycle.surveyed_at = self.occurred_at
            complaint.survey_scores.append((complaint.cycle.number, self.score))

    class Withdrawn(Event):
        reason: str | None

        command = "withdraw"

        def evolve(self, complaint: Complaint) -> None:
            complaint.end_pause(self.occurred_at)
            complaint.withdrawn_at = self.occurred_at

    class PersonalDataErased(Event):
        """The customer's personal data was erased: that it happened, not what it was.

        Not a handling step: allowed in every status, it changes neither the status nor the
        last activity. The sealed values become unreadable because their key was destroyed;
        this event only records it (and hides what this process still held in memory).
        """

        reason: str

        command = "erase_personal_data"
        is_activity = False

        def evolve(self, complaint: Complaint) -> None:
            complaint.erase_personal_state(self.occurred_at)

    def __init__(self) -> None:
        self.customer: Customer
        self.personal_fields: tuple[str, ...] = ()
        self.personal_data_erased_at: datetime | None = None
        self.channel: Channel
        self.subject: str
        self.description: str
        self.category: Category | None = None
        self.severity: Severity = Severity.NORMAL
        self.desired_outcome: str | None = None
        self.external_ref: str | None = None
        self.attributes: tuple[tuple[str, str], ...] = ()
        self.received_at: datetime
        self.acknowledged_at: datetime | None = None
        self.assignee: str | None = None
        self.team: str | None = None
        self.escalation_level: EscalationLevel | None = None
        self.escalations: list[tuple[EscalationLevel, str, datetime]] = []
        self.promises: list[PromiseRecord] = []
        self.informed_at: list[datetime] = []
        self.paused_since: datetime | None = None
        self.pauses: list[tuple[datetime, datetime]] = []
        self.pause_history: list[PauseRecord] = []
        self.cycle = CycleFacts()
        self.resolutions: list[ResolutionRecord] = []
        self.survey_scores: list[tuple[int, int]] = []
        self.withdrawn_at: datetime | None = None
        self._last_occurred_at: datetime
        self._last_recorded_at: datetime
        self._last_activity_at: datetime
        self._idempotency: dict[str, tuple[Idempotency, Any]] = {}
        self._chain = GENESIS
        self._id_text: str
        """The id as chained, written once (``str`` of a ``UUID`` is not free)."""

    # -- state helpers used by events ------------------------------------------------------

    def keep_open_promise(self, when: datetime) -> None:
        for promise in self.promises:
            if promise.is_open_at(when):
                promise.kept_at = when

    def end_pause(self, when: datetime) -> None:
        if self.paused_since is not None:
            self.pauses.append((self.paused_since, when))
            self.paused_since = None
            self.pause_history[-1].ended_at = when

    def erase_personal_state(self, when: datetime) -> None:
        """Record the erasure and forget the personal values this object holds."""
        self.forget_personal_data()
        self.personal_data_erased_at = when

    def forget_personal_data(self) -> None:
        """Show the personal data as erased; the store's copy is already unreadable."""
        self.customer = self.customer.without_personal_data(erased=True)
        for path in self.personal_fields:
            if not path.startswith("customer."):
                setattr(self, path, ERASED)

    # -- derived state ---------------------------------------------------------------------

    @property
    def status(self) -> Status:
        solved_after = self.cycle.solved is True or self.cycle.surveyed_at is not None
        return derive_status(
            withdrawn=self.withdrawn_at is not None,
            resolved=self.cycle.resolved_at is not None,
            after_care=solved_after,
            paused=self.paused_since is not None,
            cycle=self.cycle.number,
            handled_in_cycle=self.cycle.handled,
            escalated=self.escalation_level is not None,
            acknowledged=self.acknowledged_at is not None,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_occurred_at(self) -> datetime:
        return self._last_occurred_at

    @property
    def last_recorded_at(self) -> datetime:
        return self._last_recorded_at

    @property
    def last_activity_at(self) -> datetime:
        """Business time of the last handling step (erasure records are not handling)."""
        return self._last_activity_at

    @property
    def waiting_for(self) -> WaitingFor | None:
        """Whom the complaint waits on while paused."""
        return self.pause_history[-1].waiting_for if self.paused_since is not None else None

    def earlier_result(self, idempotency: Idempotency | None) -> tuple[bool, Any]:
        """``(True, result)`` when this key was already used for the same request."""
        if idempotency is None or idempotency.key not in self._idempotency:
            return False, None
        first, result = self._idempotency[idempotency.key]
        if (first.command, first.digest) != (idempotency.command, idempotency.digest):
            raise IdempotencyKeyReusedError(
                self.id, idempotency.key, first.command, idempotency.command
            )
        return True, result

    # -- commands --------------------------------------------------------------------------

    @classmethod
    def receive(
        cls,
        stamp: Stamp,
        *,
        customer: Customer,
        channel: Channel,
        subject: str,
        description: str,
        category: Category | None = None,
        severity: Severity = Severity.NORMAL,
        desired_outcome: str | None = None,
        external_ref: str | None = None,
        attributes: tuple[tuple[str, str], ...] = (),
        complaint_id: UUID | None = None,
        personal: Sealed | None = None,
    ) -> Complaint:
        """Record a new complaint. A complaint is never refused: any well-formed one is kept.

        With ``personal``, ``customer`` and the text fields must already be in their stored
        form (personal values removed, :data:`SEALED` in sealed texts): the application
        seals them, because the chain must cover exactly what is stored.
        """
        cls._check_not_in_future(None, "receive", stamp)
        if complaint_id is None:
            complaint_id = (
                cls.id_for_idempotency_key(stamp.idempotency.key)
                if stamp.idempotency is not None
                else uuid4()
            )
        fields = {
            "timestamp": stamp.recorded_at,
            "occurred_at": stamp.occurred_at,
            "actor": stamp.actor,
            "idempotency": stamp.idempotency,
            "customer": customer,
            "channel": channel,
            "subject": subject,
            "description": description,
            "category": category,
            "severity": severity,
            "desired_outcome": desired_outcome,
            "external_ref": external_ref,
            "attributes": attributes,
            "personal": personal,
        }
        version = cls.INITIAL_VERSION
        chain = link(GENESIS, _RECEIVED_TOPIC, complaint_id, version, fields, to_store=True)
        received = _new_event(
            cls.Received,
            {
                "originator_id": complaint_id,
                "originator_version": version,
                "originator_topic": _COMPLAINT_TOPIC,
                "chain": chain,
                **fields,
            },
        )
        complaint = cls.__new__(cls)
        complaint.__base_init__(complaint_id, version, stamp.recorded_at)
        complaint.__init__()  # type: ignore[misc]
        received.apply(complaint)
        complaint.pending_events.append(received)
        return complaint

    @staticmethod
    def id_for_idempotency_key(key: str) -> UUID:
        return uuid5(COMPLAINT_NAMESPACE, f"receive:{key}")

    def acknowledge(self, stamp: Stamp, *, message: str | None = None) -> None:
        self._check_can_act("acknowledge", stamp)
        self.check_not_acknowledged("acknowledge")
        self._trigger(self.Acknowledged, stamp, message=message)

    def assign(self, stamp: Stamp, *, assignee: str, team: str | None = None) -> None:
        self._check_can_act("assign", stamp)
        self._trigger(self.Assigned, stamp, assignee=assignee, team=team)

    def escalate(self, stamp: Stamp, *, level: EscalationLevel, reason: str) -> None:
        self._check_can_act("escalate", stamp)
        self.check_escalation_rises(level, reason)
        self._trigger(self.Escalated, stamp, level=level, reason=reason)

    def make_promise(self, stamp: Stamp, *, promise: str, due: datetime, promise_id: UUID) -> UUID:
        self._check_can_act("make_promise", stamp)
        self.check_due_after_making(due, stamp.occurred_at)
        self._trigger(self.PromiseMade, stamp, promise_id=promise_id, promise=promise, due=due)
        return promise_id

    def inform(self, stamp: Stamp, *, message: str) -> None:
        self._check_can_act("inform", stamp)
        self._trigger(self.CustomerInformed, stamp, message=message)

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
        self._trigger(self.Reclassified, stamp, category=category, severity=severity, reason=reason)

    def pause(
        self, stamp: Stamp, *, reason: str, waiting_for: WaitingFor = WaitingFor.CUSTOMER
    ) -> None:
        self._check_can_act("pause", stamp)
        self.check_not_paused()
        self._trigger(self.Paused, stamp, reason=reason, waiting_for=waiting_for)

    def resume(self, stamp: Stamp, *, note: str | None = None) -> None:
        self._check_can_act("resume", stamp)
        self.check_paused()
        self._trigger(self.Resumed, stamp, note=note)

    def resolve(
        self,
        stamp: Stamp,
        *,
        remedy: Remedy,
        summary: str,
        compensation: Money | None = None,
        accepted: bool | None = None,
        first_contact: bool = False,
    ) -> None:
        """Resolve this cycle. ``first_contact=True`` acknowledges first, in the same save."""
        self.check_not_withdrawn("resolve")
        self.check_not_resolved_in_cycle("resolve")
        self._check_time("resolve", stamp)
        if first_contact and self.acknowledged_at is None:
            self._trigger(self.Acknowledged, stamp, message=None)
            stamp = attrs.evolve(stamp, idempotency=None)
        self.check_acknowledged("resolve")
        self._trigger(
            self.Resolved,
            stamp,
            remedy=remedy,
            summary=summary,
            compensation=compensation,
            accepted=accepted,
        )

    def reopen(self, stamp: Stamp, *, reason: ReopenReason, note: str | None = None) -> None:
        self.check_not_withdrawn("reopen")
        self.check_resolved_in_cycle("reopen")
        self._check_time("reopen", stamp)
        self._trigger(self.Reopened, stamp, reason=reason, note=note)

    def follow_up(self, stamp: Stamp, *, solved: bool, note: str | None = None) -> None:
        """Record the follow-up; an unsolved answer reopens the complaint in the same save."""
        self.check_not_withdrawn("follow_up")
        self.check_resolved_in_cycle("follow_up")
        if self.cycle.followed_up_at is not None:
            raise FollowUpRepeatedError(self.id, "follow_up", "already followed up this cycle")
        self._check_time("follow_up", stamp)
        self._trigger(self.FollowedUp, stamp, solved=solved, note=note)
        if not solved:
            self._trigger(
                self.Reopened,
                attrs.evolve(stamp, idempotency=None),
                reason=ReopenReason.FOLLOW_UP_UNSOLVED,
                note=note,
            )

    def record_survey(self, stamp: Stamp, *, score: int, comment: str | None = None) -> None:
        self.check_not_withdrawn("record_survey")
        self.check_resolved_in_cycle("record_survey")
        if self.cycle.surveyed_at is not None:
            raise SurveyRepeatedError(self.id, "record_survey", "already surveyed this cycle")
        self._check_time("record_survey", stamp)
        self._trigger(self.Surveyed, stamp, score=score, comment=comment)

    def withdraw(self, stamp: Stamp, *, reason: str | None = None) -> None:
        self._check_can_act("withdraw", stamp)
        self._trigger(self.Withdrawn, stamp, reason=reason)

    def erase_personal_data(self, stamp: Stamp, *, reason: str) -> None:
        """Record that the customer's personal data was erased; allowed in every status."""
        self.check_personal_data_not_erased()
        self._check_time("erase_personal_data", stamp)
        self._trigger(self.PersonalDataErased, stamp, reason=reason)

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
        if any(lvl == level and why == reason for lvl, why, _ in self.escalations):
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
                complaint_id or UUID(int=0),
                command,
                f"at={stamp.occurred_at.isoformat()} is after {stamp.latest_allowed.isoformat()}",
            )

    def _trigger(self, event_class: type[Complaint.Event], stamp: Stamp, **payload: Any) -> None:
        fields = {
            "timestamp": stamp.recorded_at,
            "occurred_at": stamp.occurred_at,
            "actor": stamp.actor,
            "idempotency": stamp.idempotency,
            **payload,
        }
        version = self.version + 1
        topic = get_topic(event_class)
        chain = link(self._chain, topic, self._id_text, version, fields, to_store=True)
        event = _new_event(
            event_class,
            {"originator_id": self.id, "originator_version": version, "chain": chain, **fields},
        )
        event.mutate(self)
        self.pending_events.append(event)


_RECEIVED_TOPIC = get_topic(Complaint.Received)
_COMPLAINT_TOPIC = get_topic(Complaint)
_FIELDS: dict[type[Any], frozenset[str]] = {}

EventT = TypeVar("EventT", bound=Complaint.Event)


def _new_event(event_class: type[EventT], state: dict[str, Any]) -> EventT:
    """An event made from its complete state, as eventsourcing's mapper remakes stored ones.

    eventsourcing's events are frozen dataclasses whose generated ``__init__`` sets every
    field through ``object.__setattr__``; with the keyword copying around it that was a
    fifth of the cost of recording an event in a bulk import. The state must hold exactly
    the class's fields, so a missing or misspelt one fails here as it would there.
    """
    fields = _FIELDS.get(event_class)
    if fields is None:
        fields = _FIELDS[event_class] = frozenset(f.name for f in dataclasses.fields(event_class))
    if state.keys() != fields:
        missing = sorted(fields - state.keys())
        unknown = sorted(state.keys() - fields)
        msg = f"{event_class.__qualname__}: missing fields {missing}, unknown fields {unknown}"
        raise TypeError(msg)
    event = object.__new__(event_class)
    object.__setattr__(event, "__dict__", state)
    return event

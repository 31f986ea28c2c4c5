"""The ``Complaint`` aggregate: its events, its state and the process rules that guard it.

Commands are imperative methods (``acknowledge``); each checks its rules with named guard
methods that raise from :mod:`complaintlog.errors`, then triggers past-tense events
(``Complaint.Acknowledged``). Events only change state, they never check rules, so history
recorded under older rules always replays.

Every event carries two times: ``occurred_at`` (business time, when it happened, from the
caller) and ``timestamp`` (recording time, when the store learned it, from the recording
clock). They are never confused.

The aggregate, its events and its commands live here, because stored events name their
class by topic (``complaintlog.domain.complaint:Complaint.Received``). Its bases hold the
state helpers and derived state (:mod:`~complaintlog.domain.complaint_state`) and the guards
(:mod:`~complaintlog.domain.complaint_guards`); the values it carries and keeps are in
:mod:`~complaintlog.domain.complaint_records`, re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from complaintlog.domain._event_construction import _new_event
from complaintlog.domain.chain import GENESIS, link
from complaintlog.domain.complaint_commands import ComplaintCommands
from complaintlog.domain.complaint_records import (
    CycleFacts,
    EvidenceRecord,
    Idempotency,
    PauseRecord,
    PromiseRecord,
    ResolutionRecord,
    Stamp,
)
from complaintlog.domain.personal import ERASED, SEALED, Sealed, later_personal, shown_text
from complaintlog.domain.values import (
    DEFAULT_TENANT,
    Category,
    Channel,
    Customer,
    EscalationLevel,
    Money,
    Remedy,
    RemedyCode,
    ReopenReason,
    Severity,
    Upheld,
    WaitingFor,
    standard_remedy,
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


class Complaint(Aggregate, ComplaintCommands):
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

        def shown(self, name: str) -> Any:
            """A text field as shown: opened where sealed, erased once its key is gone."""
            return shown_text(getattr(self, name), self.__dict__.get("personal"), name)

    class Received(Event, Aggregate.Created):
        """A complaint arrived. Schema version 2 added ``personal``; version 3 the
        ``tenant`` (brand, legal entity): older records belong to the default tenant.

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
        tenant: str

        command = "receive"
        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 stored personal data in plain: nothing was sealed."""
            state["personal"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Before version 3 a store served one tenant: the default one. (A stored
            tenant is kept: an edited ``class_version`` must not move a complaint.)"""
            state.setdefault("tenant", DEFAULT_TENANT)

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
            complaint.personal_later = tuple(self.__dict__.get("personal_later") or ())
            complaint.channel = self.channel
            complaint.category = self.category
            complaint.severity = self.severity
            complaint.external_ref = self.external_ref
            complaint.attributes = self.attributes
            complaint.tenant = self.tenant
            complaint.received_at = self.occurred_at
            complaint._id_text = str(self.originator_id)
            complaint.cycle.started_at = self.occurred_at

        def result(self) -> Any:
            return self.originator_id

    class Acknowledged(Event):
        """The complaint was accepted. Version 2 added ``regret`` and ``thanks``: whether
        the acknowledgement expressed regret and thanked the customer (``None`` in version 1
        records: not recorded then)."""

        message: str | None
        regret: bool | None
        thanks: bool | None

        command = "acknowledge"
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["regret"] = None
            state["thanks"] = None

        def evolve(self, complaint: Complaint) -> None:
            complaint.acknowledged_at = self.occurred_at
            complaint.acknowledgement = (self.regret, self.thanks)

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
            complaint.escalations.append(
                (self.level, self.shown("reason"), self.occurred_at, self.actor)
            )
            complaint.cycle.handled = True

    class PromiseMade(Event):
        """A promise to the customer. Version 2 added ``alongside``: the promise is made
        beside the open ones instead of superseding them (version 1 always superseded).
        Version 3 added ``delay_reason``: with one, the promise is a holding reply (PSD2
        art. 101(2)): why the final reply is late, and ``due`` the date it will come by."""

        promise_id: UUID
        promise: str
        due: datetime
        alongside: bool
        delay_reason: str | None

        command = "make_promise"
        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["alongside"] = False

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["delay_reason"] = None

        def evolve(self, complaint: Complaint) -> None:
            if not self.alongside:
                for earlier in complaint.promises:
                    if earlier.is_open_at(self.occurred_at):
                        earlier.superseded_at = self.occurred_at
            complaint.promises.append(
                PromiseRecord(
                    promise_id=self.promise_id,
                    promise=self.shown("promise"),
                    made_at=self.occurred_at,
                    due=self.due,
                    cycle=complaint.cycle.number,
                )
            )
            complaint.cycle.handled = True

        def result(self) -> Any:
            return self.promise_id

    class CustomerInformed(Event):
        """The customer was told of progress. Version 2 added ``promise_id``: the one
        promise this keeps (``None``: every open promise, as version 1 did)."""

        message: str
        promise_id: UUID | None

        command = "inform"
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["promise_id"] = None

        def evolve(self, complaint: Complaint) -> None:
            complaint.keep_open_promise(self.occurred_at, self.promise_id)
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
                    started_at=self.occurred_at,
                    waiting_for=self.waiting_for,
                    reason=self.shown("reason"),
                )
            )

    class Resumed(Event):
        note: str | None

        command = "resume"

        def evolve(self, complaint: Complaint) -> None:
            complaint.end_pause(self.occurred_at)

    class Resolved(Event):
        """The cycle was resolved. Schema version 2 added ``upheld``; version 3 the remedies
        ``options_offered`` to the customer and the one ``chosen``.

        Version 1 did not record whether the complaint was upheld: old resolutions read
        ``upheld=None``, unknown (never "not upheld"); before version 3 no options were
        recorded (empty and ``None``).
        """

        remedy: RemedyCode
        summary: str
        compensation: Money | None
        accepted: bool | None
        upheld: Upheld | None
        options_offered: tuple[Remedy, ...]
        chosen: Remedy | None

        command = "resolve"
        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["upheld"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["options_offered"] = ()
            state["chosen"] = None

        def evolve(self, complaint: Complaint) -> None:
            complaint.keep_open_promise(self.occurred_at)
            complaint.end_pause(self.occurred_at)
            complaint.cycle.resolved_at = self.occurred_at
            complaint.resolutions.append(
                ResolutionRecord(
                    cycle=complaint.cycle.number,
                    resolved_at=self.occurred_at,
                    remedy=standard_remedy(self.remedy),  # stored as text: an enum again
                    summary=self.shown("summary"),
                    compensation=self.compensation,
                    accepted=self.accepted,
                    upheld=self.upheld,
                    options_offered=tuple(self.options_offered),
                    chosen=self.chosen,
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

    class SurveySent(Event):
        """The satisfaction survey was sent to the customer (its answer is ``Surveyed``)."""

        channel: Channel

        command = "send_survey"

        def evolve(self, complaint: Complaint) -> None:
            complaint.cycle.survey_sent_at = self.occurred_at

    class DesiredRemedyRecorded(Event):
        """The remedy the customer asks for, recorded or changed after intake."""

        remedy: Remedy
        note: str | None

        command = "record_desired_remedy"

        def evolve(self, complaint: Complaint) -> None:
            complaint.desired_remedy = self.remedy
            complaint.cycle.handled = True

    class EvidenceAttached(Event):
        """A reference to a document kept elsewhere (receipt, letter), with its digest.
        Internal: never sent to the customer."""

        name: str
        media_type: str
        sha256: str
        uri: str | None

        command = "attach_evidence"

        def evolve(self, complaint: Complaint) -> None:
            name, uri = self.shown("name"), self.shown("uri")
            complaint.evidence.append(
                EvidenceRecord(name, self.media_type, self.sha256, uri, self.occurred_at)
            )

    class NoteAdded(Event):
        """What handlers tell each other. Internal: never sent to the customer."""

        text: str

        command = "note"

        def evolve(self, complaint: Complaint) -> None:
            complaint.notes.append((self.occurred_at, self.actor, self.shown("text")))

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

    class ReviewNoted(Event):
        """A reviewer's note on the complaint's file (a file review, an audit).

        Like an erasure record, not a handling step: allowed in every status, it changes
        neither the status, the last activity nor any SLA clock.
        """

        note: str

        command = "note_review"
        is_activity = False

        def evolve(self, complaint: Complaint) -> None:
            complaint.review_notes.append((self.occurred_at, self.actor, self.shown("note")))

    class SignedOff(Event):
        """A reviewer signed the complaint's file off (not a handling step either)."""

        note: str | None

        command = "sign_off"
        is_activity = False

        def evolve(self, complaint: Complaint) -> None:
            complaint.signed_off = (self.occurred_at, self.actor)

    def __init__(self) -> None:
        self.customer: Customer
        self.personal_fields: tuple[str, ...] = ()
        self.personal_later: tuple[str, ...] = ()
        """The later steps' texts declared personal at receipt (``command.argument``)."""
        self.personal_data_erased_at: datetime | None = None
        self.review_notes: list[tuple[datetime, str | None, str]] = []
        self.signed_off: tuple[datetime, str | None] | None = None
        self.channel: Channel
        self.subject: str
        self.description: str
        self.category: Category | None = None
        self.severity: Severity = Severity.NORMAL
        self.desired_outcome: str | None = None
        self.external_ref: str | None = None
        self.attributes: tuple[tuple[str, str], ...] = ()
        self.tenant: str = DEFAULT_TENANT
        self.received_at: datetime
        self.acknowledged_at: datetime | None = None
        self.acknowledgement: tuple[bool | None, bool | None] = (None, None)
        self.desired_remedy: Remedy | None = None
        self.evidence: list[EvidenceRecord] = []
        self.notes: list[tuple[datetime, str | None, str]] = []
        self.assignee: str | None = None
        self.team: str | None = None
        self.escalation_level: EscalationLevel | None = None
        self.escalations: list[tuple[EscalationLevel, str, datetime, str | None]] = []
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
        tenant: str = DEFAULT_TENANT,
        personal_later: tuple[str, ...] = (),
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
        fields: dict[str, Any] = {
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
            "tenant": tenant,
        }
        if personal_later:  # stored only when declared: other receipts keep their form
            fields["personal_later"] = personal_later
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

    def _trigger(self, event_name: str, stamp: Stamp, **payload: Any) -> None:
        """Record the event class called ``event_name`` (see :mod:`.complaint_commands`)."""
        event_class: type[Complaint.Event] = getattr(Complaint, event_name)
        fields = {
            "timestamp": stamp.recorded_at,
            "occurred_at": stamp.occurred_at,
            "actor": stamp.actor,
            "idempotency": stamp.idempotency,
            **payload,
        }
        personal = [
            name
            for name in later_personal(self.personal_later, event_class.command)
            if isinstance(payload.get(name), str) and payload[name]
        ]
        if personal and stamp.sealer is not None:  # sealed before the chain covers it
            fields["personal"] = stamp.sealer({name: payload[name] for name in personal})
            fields.update(dict.fromkeys(personal, SEALED))
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

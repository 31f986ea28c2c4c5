"""The command methods every unit of work shares: validate, stamp, authorise, check, act.

Arguments are validated by pydantic before anything touches a complaint; bad input raises
:class:`~complaintlog.errors.InvalidValueError` naming the field, the value and the rule,
and nothing is recorded. Personal data is sealed with the customer's key before the event
exists. How a complaint is loaded and when it is saved is the unit of work's business
(:class:`~complaintlog.application.log.ComplaintLog` or
:class:`~complaintlog.application.batch.Batch`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, cast
from uuid import UUID, uuid4

import attrs
from pydantic import Field, StringConstraints

from complaintlog.application.arguments import (
    CategoryArg,
    ChannelArg,
    ComplaintId,
    CustomerArg,
    LevelArg,
    MoneyArg,
    RemedyArg,
    ReopenReasonArg,
    SeverityArg,
    UpheldArg,
)
from complaintlog.application.authorization import Denial, Policy
from complaintlog.application.idempotency import STAMP_FIELDS, digest, fingerprint_arguments
from complaintlog.application.more_steps import StepCommands
from complaintlog.application.personal_data import (
    CustomerKey,
    KeyRing,
)
from complaintlog.application.validation import (
    EARLIEST_BUSINESS_TIME,
    LONGEST_PROMISE,
    ClockFunction,
    IdempotencyKey,
    Moment,
    PersonalField,
    Score,
    WaitingForArg,
    as_utc,
    validated,
)
from complaintlog.domain.complaint import Complaint, Idempotency, Stamp
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.personal import SEALED
from complaintlog.domain.rules import Command, ProcessRule, check_rules
from complaintlog.domain.values import (
    DEFAULT_TENANT,
    LONGEST_TEXT,
    Category,
    Channel,
    Customer,
    EscalationLevel,
    Label,
    Money,
    Remedy,
    ReopenReason,
    Severity,
    Tenant,
    Text,
    Upheld,
    WaitingFor,
)
from complaintlog.errors import (
    ComplaintLogError,
    IdempotencyKeyReusedError,
    InvalidValueError,
    NotAuthorizedError,
)

__all__ = ["MAX_ATTRIBUTES", "RULE_FLAGS", "Action", "CommandMethods", "with_flags"]

MAX_ATTRIBUTES = 200
"""The most attributes a complaint may carry (each name a Label, each value at most
1,000,000 characters): enough for any export's extra columns, not a way to store a file."""

RULE_FLAGS = "rule_flags"
"""The Received attribute holding what the company's rules and the authorisation policy
say about a new complaint they would have refused (``"rule: reason"``, joined by ``"; "``):
a complaint is never turned away, it is flagged."""


def with_flags(
    attributes: Mapping[str, str] | None, flags: Sequence[str]
) -> Mapping[str, str] | None:
    """``attributes`` with ``flags`` added to ``rule_flags`` (after any the caller gave)."""
    if not flags:
        return attributes
    given = (attributes or {}).get(RULE_FLAGS)
    return {**(attributes or {}), RULE_FLAGS: "; ".join([*([given] if given else []), *flags])}


Action = Callable[[Complaint, Stamp], Any]


class CommandMethods(StepCommands):
    """The command methods, shared by :class:`ComplaintLog` and :class:`Batch`.

    Subclasses decide how a complaint is loaded and when changes are saved.
    """

    _clock: ClockFunction
    _max_clock_skew: timedelta
    _rules: tuple[ProcessRule, ...]
    _policy: Policy | None
    _keys: KeyRing

    # -- hooks -----------------------------------------------------------------------------

    def _execute(
        self,
        complaint_id: UUID,
        command: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
        action: Action,
    ) -> Any:
        raise NotImplementedError

    def _create(self, complaint: Complaint, index: ExternalReference | None) -> UUID:
        raise NotImplementedError

    def _existing(self, complaint_id: UUID) -> Complaint | None:
        raise NotImplementedError

    def _sealing_key(self, customer_id: str) -> CustomerKey:
        """A key of the customer that is stored before the events sealed with it."""
        raise NotImplementedError

    def _record_denial(self, denial: Denial, command: Command, stamp: Stamp) -> None:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------

    def _stamp(
        self,
        command: str,
        arguments: Mapping[str, Any],
        at: datetime | None,
        actor: str | None,
        idempotency_key: str | None,
    ) -> Stamp:
        recorded_at = self._clock()
        if recorded_at.tzinfo is None:
            msg = "the clock returned a naive datetime"
            raise ComplaintLogError(msg)
        recorded_at = as_utc(recorded_at)
        occurred_at = recorded_at if at is None else as_utc(at)
        if occurred_at < EARLIEST_BUSINESS_TIME:
            rule = f"business time before {EARLIEST_BUSINESS_TIME:%Y-%m-%d} is not plausible"
            raise InvalidValueError("at", at, rule)
        idempotency = (
            Idempotency(key=idempotency_key, command=command, digest=digest(arguments))
            if idempotency_key is not None
            else None
        )
        return Stamp(
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            latest_allowed=recorded_at + self._max_clock_skew,
            actor=actor,
            idempotency=idempotency,
        )

    def _run(
        self,
        command: str,
        arguments: dict[str, Any],
        action: Action,
    ) -> Any:
        stamp = self._stamp(
            command,
            arguments,
            arguments.get("at"),
            arguments.get("actor"),
            arguments.get("idempotency_key"),
        )
        return self._execute(arguments["complaint_id"], command, arguments, stamp, action)

    def _prior_commands(self, complaint: Complaint) -> Callable[[], Sequence[Command]]:
        """How a rule reads the commands recorded on ``complaint`` so far (lazily)."""
        raise NotImplementedError

    def _command(
        self,
        name: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
        complaint: Complaint | None = None,
    ) -> Command:
        return Command(
            name=name,
            complaint_id=arguments.get("complaint_id"),
            arguments={k: v for k, v in arguments.items() if k not in STAMP_FIELDS},
            occurred_at=stamp.occurred_at,
            actor=stamp.actor,
            earlier=self._prior_commands(complaint) if complaint is not None else None,
        )

    def _check_rules(
        self,
        complaint: Complaint | None,
        name: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
    ) -> None:
        """Apply the authorisation policy, then the company's own rules, to a new complaint."""
        if self._rules or self._policy is not None:
            command = self._command(name, arguments, stamp, complaint)
            state = ComplaintView.of(complaint, command.occurred_at) if complaint else None
            self._authorize(state, command, stamp)
            if self._rules:
                check_rules(self._rules, state, command)

    def _act(
        self,
        complaint: Complaint,
        name: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
        action: Action,
    ) -> Any:
        """Authorise, run the command (its built-in process rules first), then the company's.

        The company's rules judge the complaint as it stood before the command; a refusal
        raises after the action has changed ``complaint``, so callers run this on a
        complaint they discard on error.
        """
        if complaint.personal_later:
            stamp = attrs.evolve(stamp, sealer=self._later_sealer(complaint))
        if not self._rules and self._policy is None:
            return action(complaint, stamp)
        command = self._command(name, arguments, stamp, complaint)
        state = ComplaintView.of(complaint, command.occurred_at)
        self._authorize(state, command, stamp)
        result = action(complaint, stamp)
        if self._rules:
            check_rules(self._rules, state, command)
        return result

    def _later_sealer(self, complaint: Complaint) -> Callable[[Mapping[str, str]], Any]:
        """Seals a later step's personal texts with the customer's key (stored first)."""

        def seal(values: Mapping[str, str]) -> Any:
            key = self._sealing_key(complaint.customer.id)
            return self._keys.seal(key, complaint.id, values)

        return seal

    def _flags_for_new(self, arguments: Mapping[str, Any], stamp: Stamp) -> list[str]:
        """Ask the authorisation policy, then the rules, about a new complaint: receiving
        is never refused for a business reason, so what either would refuse is kept as a
        flag (``rule: reason``) in the ``rule_flags`` attribute instead."""
        if not self._rules and self._policy is None:
            return []
        command = self._command("receive", arguments, stamp)
        flags = []
        denial = self._policy.decide(None, command) if self._policy is not None else None
        if denial is not None:
            flags.append(denial.flag())
        for rule in self._rules:
            reason = rule(None, command)
            if reason is not None:
                flags.append(f"{rule.name}: {reason}")
        return flags

    def _authorize(self, state: ComplaintView | None, command: Command, stamp: Stamp) -> None:
        """Refuse, record and raise when the policy does not allow the command."""
        if self._policy is None:
            return
        denial = self._policy.decide(state, command)
        if denial is None:
            return
        self._record_denial(denial, command, stamp)
        raise NotAuthorizedError(
            denial.actor,
            denial.roles,
            denial.command,
            denial.rule,
            denial.detail,
            command.complaint_id,
        )

    def _seal(
        self,
        complaint_id: UUID,
        customer: Customer,
        personal: dict[str, str],
        texts: dict[str, str | None],
        personal_fields: tuple[str, ...],
    ) -> tuple[Customer, dict[str, str | None], Any]:
        """The stored forms of the customer and the texts, and their sealed values."""
        values = {f"customer.{name}": value for name, value in personal.items()}
        for name in personal_fields:
            text = texts[name]
            if text is not None:
                values[name] = text
        if not values:
            return customer, texts, None
        key = self._sealing_key(customer.id)
        sealed = self._keys.seal(key, complaint_id, values, customer)
        stored_texts = {name: SEALED if name in values else text for name, text in texts.items()}
        return customer.without_personal_data(), stored_texts, sealed

    # -- commands --------------------------------------------------------------------------

    @validated
    def receive(
        self,
        *,
        customer: CustomerArg,
        channel: ChannelArg,
        subject: Label,
        description: Text,
        category: CategoryArg | None = None,
        severity: SeverityArg = Severity.NORMAL,
        desired_outcome: Text | None = None,
        external_ref: Label | None = None,
        attributes: Annotated[
            Mapping[Label, Annotated[str, StringConstraints(max_length=LONGEST_TEXT, strict=True)]],
            Field(max_length=MAX_ATTRIBUTES),
        ]
        | None = None,
        personal_fields: tuple[PersonalField, ...] = (),
        tenant: Tenant = DEFAULT_TENANT,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> UUID:
        """Record a new complaint and return its id. A complaint is never refused.

        The customer's name, e-mail, phone and address are always stored encrypted with
        the customer's key; ``personal_fields`` names the texts that are too (``subject``,
        ``description``, ``desired_outcome``), and the free texts of later steps that will
        be (``"inform.message"``, ``"resolve.summary"``..., or ``"later_texts"`` for all).
        ``attributes`` are stored in plain. ``tenant`` is the brand or legal entity the
        complaint belongs to: the views measure it under that tenant's SLA policy and
        filter by it.
        """
        arguments = dict(locals())
        person = cast(Customer, customer)
        if person.erased:
            msg = "erased is set when personal data is erased, not by callers"
            raise InvalidValueError("customer.erased", True, msg)
        texts: dict[str, str | None] = {
            "subject": subject,
            "description": description,
            "desired_outcome": desired_outcome,
        }
        personal = person.personal_fields
        later = tuple(sorted(f for f in personal_fields if f not in texts))
        personal_fields = tuple(f for f in personal_fields if f in texts)
        sealing = bool(personal) or any(texts[f] for f in personal_fields)
        fingerprinted = (
            fingerprint_arguments(arguments) if sealing and idempotency_key else arguments
        )
        stamp = self._stamp("receive", fingerprinted, at, actor, idempotency_key)
        if stamp.idempotency is not None:
            existing = self._existing(Complaint.id_for_idempotency_key(stamp.idempotency.key))
            if existing is not None:
                try:
                    _, result = existing.earlier_result(stamp.idempotency)
                except IdempotencyKeyReusedError:
                    if fingerprinted is arguments:
                        raise
                    # recorded by 0.1.0, whose fingerprint covered the personal data too
                    legacy = stamp.idempotency.model_copy(update={"digest": digest(arguments)})
                    _, result = existing.earlier_result(legacy)
                return cast(UUID, result)
        # the policy and the rules may flag a new complaint, never turn it away
        attributes = with_flags(attributes, self._flags_for_new(arguments, stamp))
        complaint_id = (
            Complaint.id_for_idempotency_key(stamp.idempotency.key)
            if stamp.idempotency is not None
            else uuid4()
        )
        stored_customer, stored, sealed = (
            self._seal(complaint_id, person, personal, texts, personal_fields)
            if sealing
            else (person, texts, None)
        )
        complaint = Complaint.receive(
            stamp,
            customer=stored_customer,
            channel=cast(Channel, channel),
            subject=cast(str, stored["subject"]),
            description=cast(str, stored["description"]),
            category=cast(Category | None, category),
            severity=cast(Severity, severity),
            desired_outcome=stored["desired_outcome"],
            external_ref=external_ref,
            attributes=tuple(sorted((attributes or {}).items())),
            complaint_id=complaint_id,
            personal=sealed,
            tenant=tenant,
            personal_later=later,
        )
        index = (
            ExternalReference.register(external_ref, complaint.id, stamp.recorded_at)
            if external_ref is not None
            else None
        )
        return self._create(complaint, index)

    @validated
    def acknowledge(
        self,
        complaint_id: ComplaintId,
        *,
        message: Text | None = None,
        regret: bool | None = None,
        thanks: bool | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Tell the customer the complaint is accepted (at most once).

        ``regret`` and ``thanks`` record whether the acknowledgement expressed regret and
        thanked the customer for the complaint (seeds 000 and 003), so statistics count them.
        """
        self._run(
            "acknowledge",
            dict(locals()),
            lambda c, s: c.acknowledge(s, message=message, regret=regret, thanks=thanks),
        )

    @validated
    def assign(
        self,
        complaint_id: ComplaintId,
        *,
        assignee: Label,
        team: Label | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Forward the complaint to the person or team responsible."""
        self._run("assign", dict(locals()), lambda c, s: c.assign(s, assignee=assignee, team=team))

    @validated
    def escalate(
        self,
        complaint_id: ComplaintId,
        *,
        level: LevelArg,
        reason: Text,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Escalate to the same or a higher level, with a reason."""
        self._run(
            "escalate",
            dict(locals()),
            lambda c, s: c.escalate(s, level=cast(EscalationLevel, level), reason=reason),
        )

    @validated
    def make_promise(
        self,
        complaint_id: ComplaintId,
        *,
        promise: Text,
        due: Moment,
        alongside: bool = False,
        delay_reason: Text | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> UUID:
        """Promise the customer something by ``due``; returns the promise's id.

        A new promise supersedes the open ones; ``alongside=True`` keeps them open beside it
        (a call-back and a written answer), each with its own due time. With
        ``delay_reason`` the promise is a *holding reply* (PSD2 art. 101(2)): it tells the
        customer why the final reply is late and that it comes by ``due``; a target with a
        ``holding_reply_limit`` (the ``psd2`` preset's ``reply``) is then due at ``due``.
        """
        arguments = dict(locals(), due=due.astimezone(UTC))  # rules see what is recorded
        if arguments["due"] - (at or self._clock()) > LONGEST_PROMISE:
            rule = f"a promise falls due within {LONGEST_PROMISE.days} days of being made"
            raise InvalidValueError("due", due, rule)
        promise_id = uuid4()
        return cast(
            UUID,
            self._run(
                "make_promise",
                arguments,
                lambda c, s: c.make_promise(
                    s,
                    promise=promise,
                    due=arguments["due"],
                    promise_id=promise_id,
                    alongside=alongside,
                    delay_reason=delay_reason,
                ),
            ),
        )

    @validated
    def inform(
        self,
        complaint_id: ComplaintId,
        *,
        message: Text,
        promise_id: UUID | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Give the customer a progress update; keeps the open promises not yet due (or
        only ``promise_id``: one broken promise is then kept late on the SLA clocks)."""
        self._run(
            "inform",
            dict(locals()),
            lambda c, s: c.inform(s, message=message, promise_id=promise_id),
        )

    @validated
    def reclassify(
        self,
        complaint_id: ComplaintId,
        *,
        reason: Text,
        category: CategoryArg | None = None,
        severity: SeverityArg | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Change the category and/or severity after assessment."""
        self._run(
            "reclassify",
            dict(locals()),
            lambda c, s: c.reclassify(
                s,
                reason=reason,
                category=cast(Category | None, category),
                severity=cast(Severity | None, severity),
            ),
        )

    @validated
    def pause(
        self,
        complaint_id: ComplaintId,
        *,
        reason: Text,
        waiting_for: WaitingForArg = WaitingFor.CUSTOMER,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Wait on the customer, a third party or another team (``waiting_for``).

        Regulators usually stop the clock only while the company waits for the customer;
        ``waiting_for`` records which wait this is so SLA clocks can tell.
        """
        arguments = dict(locals())
        wait = cast(WaitingFor, waiting_for)
        self._run("pause", arguments, lambda c, s: c.pause(s, reason=reason, waiting_for=wait))

    @validated
    def resume(
        self,
        complaint_id: ComplaintId,
        *,
        note: Text | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        self._run("resume", dict(locals()), lambda c, s: c.resume(s, note=note))

    @validated
    def resolve(
        self,
        complaint_id: ComplaintId,
        *,
        remedy: RemedyArg,
        summary: Text,
        compensation: MoneyArg | None = None,
        accepted: bool | None = None,
        first_contact: bool = False,
        upheld: UpheldArg | None = None,
        options_offered: tuple[RemedyArg, ...] = (),
        chosen: RemedyArg | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Resolve the current cycle with a remedy.

        The complaint must have been acknowledged; ``first_contact=True`` records the
        acknowledgement and the resolution together, in that order, in one save.
        ``upheld`` (fully, partly or not) is what regulators' returns count; leave it out
        when it is not known.
        ``options_offered`` are the remedies the customer was offered and ``chosen`` the one
        they chose (seed 004), which must be among them.
        """
        offered = tuple(cast(Remedy, option) for option in options_offered)
        if chosen is not None and chosen not in offered:
            rule = f"the chosen remedy must be one of options_offered {[*offered]}"
            raise InvalidValueError("chosen", chosen, rule)
        self._run(
            "resolve",
            dict(locals()),
            lambda c, s: c.resolve(
                s,
                remedy=cast(Remedy, remedy),
                summary=summary,
                compensation=cast(Money | None, compensation),
                accepted=accepted,
                first_contact=first_contact,
                upheld=cast(Upheld | None, upheld),
                options_offered=offered,
                chosen=cast(Remedy | None, chosen),
            ),
        )

    @validated
    def reopen(
        self,
        complaint_id: ComplaintId,
        *,
        reason: ReopenReasonArg,
        note: Text | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Start a new cycle on a resolved complaint."""
        self._run(
            "reopen",
            dict(locals()),
            lambda c, s: c.reopen(s, reason=cast(ReopenReason, reason), note=note),
        )

    @validated
    def follow_up(
        self,
        complaint_id: ComplaintId,
        *,
        solved: bool,
        note: Text | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Ask whether the problem is really solved; ``solved=False`` reopens it."""
        self._run(
            "follow_up", dict(locals()), lambda c, s: c.follow_up(s, solved=solved, note=note)
        )

    @validated
    def record_survey(
        self,
        complaint_id: ComplaintId,
        *,
        score: Score,
        comment: Text | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Record the satisfaction survey (1 to 5) of the resolved cycle."""
        self._run(
            "record_survey",
            dict(locals()),
            lambda c, s: c.record_survey(s, score=score, comment=comment),
        )

    @validated
    def withdraw(
        self,
        complaint_id: ComplaintId,
        *,
        reason: Text | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """The customer withdrew the complaint; nothing may happen to it afterwards."""
        self._run("withdraw", dict(locals()), lambda c, s: c.withdraw(s, reason=reason))

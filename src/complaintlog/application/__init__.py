"""``ComplaintLog``: the unit of work CRM code calls.

Methods take plain values (strings, datetimes, dicts) and return ids or immutable views.
Arguments are validated by pydantic before anything touches a complaint; bad input raises
:class:`~complaintlog.errors.InvalidValueError` naming the field, the value and the rule,
and nothing is recorded. Retries are safe with ``idempotency_key``; races between writers
are retried transparently while the command is still valid, and reported as
:class:`~complaintlog.errors.ConcurrencyError` when it is not.

Personal data (the customer's name, e-mail, phone and address, and texts marked with
``personal_fields=``) is sealed with the customer's key before the event exists, so the
hash chain covers exactly the stored ciphertext; ``erase_personal_data`` destroys the keys.
An optional authorisation ``Policy`` is checked before the company's own rules.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, Literal, ParamSpec, TypeVar, cast
from uuid import UUID, uuid4

import attrs
import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    Recorder,
)
from eventsourcing.utils import get_topic
from pydantic import AwareDatetime, Field, StringConstraints, ValidationError, validate_call

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
)
from complaintlog.application.authorization import Denial, Policy
from complaintlog.application.history import DeniedAttempt, HistoryEntry, Step
from complaintlog.application.personal_data import (
    CustomerKey,
    Erasure,
    KeyRing,
    key_store_for,
    reveal_state,
)
from complaintlog.domain.access import DENIED_TOPIC, AccessAttempt
from complaintlog.domain.complaint import Complaint, Idempotency, Stamp
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.personal import SEALED
from complaintlog.domain.rules import Command, ProcessRule, check_rules
from complaintlog.domain.values import (
    PERSONAL_CUSTOMER_FIELDS,
    Category,
    Channel,
    Customer,
    EscalationLevel,
    Label,
    Money,
    Remedy,
    ReopenReason,
    Severity,
    Text,
    WaitingFor,
)
from complaintlog.errors import (
    ComplaintLogError,
    ComplaintNotFoundError,
    ComplaintRuleError,
    ConcurrencyError,
    DuplicateExternalReferenceError,
    IdempotencyKeyReusedError,
    InvalidValueError,
    NotAuthorizedError,
    PersonalDataError,
    StoreConfigurationError,
    StoreUnavailableError,
)
from complaintlog.persistence.collector import collector_paused
from complaintlog.persistence.mapper import OrjsonTranscoder, PydanticMapper, encode_state
from complaintlog.persistence.settings import StoreSettings, one_creator_at_a_time, parse_store_url

__all__ = ["Batch", "Clock", "ComplaintLog"]

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Injected so tests and replays control time."""

IdempotencyKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Score = Annotated[int, Field(ge=1, le=5, strict=True)]
PersonalField = Literal["subject", "description", "desired_outcome"]
if TYPE_CHECKING:
    WaitingForArg = WaitingFor | str
else:
    WaitingForArg = WaitingFor

_NEW_DEFAULTS: dict[str, object] = {"waiting_for": WaitingFor.CUSTOMER, "personal_fields": ()}
"""Arguments added after 0.1.0: left out of retry fingerprints while at their default, so a
retry of a command recorded by 0.1.0 still matches its first attempt."""

_MAX_ATTEMPTS = 12

EARLIEST_BUSINESS_TIME = datetime(1900, 1, 1, tzinfo=UTC)
"""Business time before this is a typing or import error, not a complaint."""
LONGEST_PROMISE = timedelta(days=3653)
"""A promise due more than ten years after it is made is not a promise to a customer."""
_STAMP_FIELDS = frozenset({"self", "complaint_id", "at", "actor", "idempotency_key"})

P = ParamSpec("P")
R = TypeVar("R")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    """An aware moment in UTC (as it is, when it already is)."""
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _invalid(error: ValidationError, parameters: list[str]) -> InvalidValueError:
    first = error.errors()[0]
    loc = list(first["loc"])
    if loc and isinstance(loc[0], int) and loc[0] < len(parameters):
        loc[0] = parameters[loc[0]]  # a positional argument: name it
    field = ".".join(str(part) for part in loc) or "value"
    rule = first["msg"]
    if error.error_count() > 1:
        rule += f" (and {error.error_count() - 1} more problems)"
    return InvalidValueError(field, first.get("input"), rule)


def _validated(method: Callable[P, R]) -> Callable[P, R]:
    """Validate a command's arguments with pydantic and translate its errors into ours."""
    checked = validate_call(method)
    parameters = list(inspect.signature(method).parameters)

    @functools.wraps(method)
    def command(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return checked(*args, **kwargs)
        except ValidationError as error:
            raise _invalid(error, parameters) from None

    return command


def _digest(arguments: Mapping[str, Any]) -> str:
    """A fingerprint of a command's arguments, to tell a retry from a reused key."""
    payload = {
        k: v
        for k, v in arguments.items()
        if k not in _STAMP_FIELDS and not (k in _NEW_DEFAULTS and v == _NEW_DEFAULTS[k])
    }
    encoded = orjson.dumps(
        payload, default=_json_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )
    return hashlib.sha256(encoded).hexdigest()[:32]


def _fingerprinted(arguments: dict[str, Any]) -> dict[str, Any]:
    """The ``receive`` arguments a retry fingerprint covers: nothing personal.

    The fingerprint is stored in plain, and a hash of an e-mail address can be guessed:
    it covers the customer's id and the texts not marked personal only.
    """
    public = dict(arguments)
    public["customer"] = cast(Customer, arguments["customer"]).without_personal_data()
    for name in arguments["personal_fields"]:
        if public.get(name) is not None:
            public[name] = SEALED
    return public


def _json_default(value: object) -> object:
    if isinstance(value, Category | Customer | Money):
        return value.model_dump(mode="json")
    return str(value)


_RECEIVED_TOPIC = get_topic(Complaint.Received)
_PAGE = 1000


class _ComplaintApplication(Application[UUID]):
    """The eventsourcing application underneath: store, mapper, repository, log."""

    name = "ComplaintLog"
    store_url = ""
    """The store's URL without its password, for error messages."""

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Write the objects' new events in one transaction; a lost store is reported as
        :class:`StoreUnavailableError`.

        Leaner than ``Application.save``, which also makes a ``Recording`` and a
        ``Notification`` of every event for followers in this process and snapshots (we
        have neither) and checks every object against two runtime protocols: together a
        sixth of the cost of a bulk import.
        """
        events = [event for obj in objs if obj is not None for event in obj.collect_events()]
        if not events:
            return []
        stored = list(map(self.mapper.to_stored_event, events))
        with store_errors(self.store_url, "save"):
            self.recorder.insert_events(stored, **kwargs)
        return []

    def construct_mapper(self) -> PydanticMapper:
        return PydanticMapper(
            transcoder=OrjsonTranscoder(),
            cipher=self.factory.cipher(),
            compressor=self.factory.compressor(),
        )


Action = Callable[[Complaint, Stamp], Any]


@contextmanager
def store_errors(store: str, operation: str) -> Iterator[None]:
    """Translate the driver's "store gone" errors (after its own retries) into ours.

    Integrity errors are not translated: they mean a concurrent writer won, and the
    callers retry or explain them.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        raise StoreUnavailableError(store, operation, error) from error


class _Commands:
    """The command methods, shared by :class:`ComplaintLog` and :class:`Batch`.

    Subclasses decide how a complaint is loaded and when changes are saved.
    """

    _clock: Clock
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
        recorded_at = _utc(recorded_at)
        occurred_at = recorded_at if at is None else _utc(at)
        if occurred_at < EARLIEST_BUSINESS_TIME:
            rule = f"business time before {EARLIEST_BUSINESS_TIME:%Y-%m-%d} is not plausible"
            raise InvalidValueError("at", at, rule)
        idempotency = (
            Idempotency(key=idempotency_key, command=command, digest=_digest(arguments))
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

    def _command(self, name: str, arguments: Mapping[str, Any], stamp: Stamp) -> Command:
        return Command(
            name=name,
            complaint_id=arguments.get("complaint_id"),
            arguments={k: v for k, v in arguments.items() if k not in _STAMP_FIELDS},
            occurred_at=stamp.occurred_at,
            actor=stamp.actor,
        )

    def _check_rules(
        self,
        complaint: Complaint | None,
        name: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
    ) -> None:
        """Apply the authorisation policy, then the company's own rules, to the command."""
        if self._rules or self._policy is not None:
            command = self._command(name, arguments, stamp)
            state = ComplaintView.of(complaint, command.occurred_at) if complaint else None
            self._authorize(state, command, stamp)
            if self._rules:
                check_rules(self._rules, state, command)

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

    @_validated
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
        attributes: Mapping[Label, Annotated[str, StringConstraints(max_length=20_000)]]
        | None = None,
        personal_fields: tuple[PersonalField, ...] = (),
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> UUID:
        """Record a new complaint and return its id. A complaint is never refused.

        The customer's name, e-mail, phone and address are always stored encrypted with
        the customer's key; ``personal_fields`` names the texts that are too (``subject``,
        ``description``, ``desired_outcome``). ``attributes`` are stored in plain.
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
        sealing = bool(personal) or any(texts[f] for f in personal_fields)
        fingerprinted = _fingerprinted(arguments) if sealing and idempotency_key else arguments
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
                    legacy = stamp.idempotency.model_copy(update={"digest": _digest(arguments)})
                    _, result = existing.earlier_result(legacy)
                return cast(UUID, result)
        self._check_rules(None, "receive", arguments, stamp)
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
        )
        index = (
            ExternalReference.register(external_ref, complaint.id, stamp.recorded_at)
            if external_ref is not None
            else None
        )
        return self._create(complaint, index)

    @_validated
    def acknowledge(
        self,
        complaint_id: ComplaintId,
        *,
        message: Text | None = None,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Tell the customer the complaint is accepted (at most once)."""
        self._run("acknowledge", dict(locals()), lambda c, s: c.acknowledge(s, message=message))

    @_validated
    def assign(
        self,
        complaint_id: ComplaintId,
        *,
        assignee: Label,
        team: Label | None = None,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Forward the complaint to the person or team responsible."""
        self._run("assign", dict(locals()), lambda c, s: c.assign(s, assignee=assignee, team=team))

    @_validated
    def escalate(
        self,
        complaint_id: ComplaintId,
        *,
        level: LevelArg,
        reason: Text,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Escalate to the same or a higher level, with a reason."""
        self._run(
            "escalate",
            dict(locals()),
            lambda c, s: c.escalate(s, level=cast(EscalationLevel, level), reason=reason),
        )

    @_validated
    def make_promise(
        self,
        complaint_id: ComplaintId,
        *,
        promise: Text,
        due: AwareDatetime,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> UUID:
        """Promise the customer something by ``due``; returns the promise's id."""
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
                    s, promise=promise, due=arguments["due"], promise_id=promise_id
                ),
            ),
        )

    @_validated
    def inform(
        self,
        complaint_id: ComplaintId,
        *,
        message: Text,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Give the customer a progress update; keeps an open promise that is not yet due."""
        self._run("inform", dict(locals()), lambda c, s: c.inform(s, message=message))

    @_validated
    def reclassify(
        self,
        complaint_id: ComplaintId,
        *,
        reason: Text,
        category: CategoryArg | None = None,
        severity: SeverityArg | None = None,
        at: AwareDatetime | None = None,
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

    @_validated
    def pause(
        self,
        complaint_id: ComplaintId,
        *,
        reason: Text,
        waiting_for: WaitingForArg = WaitingFor.CUSTOMER,
        at: AwareDatetime | None = None,
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

    @_validated
    def resume(
        self,
        complaint_id: ComplaintId,
        *,
        note: Text | None = None,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        self._run("resume", dict(locals()), lambda c, s: c.resume(s, note=note))

    @_validated
    def resolve(
        self,
        complaint_id: ComplaintId,
        *,
        remedy: RemedyArg,
        summary: Text,
        compensation: MoneyArg | None = None,
        accepted: bool | None = None,
        first_contact: bool = False,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Resolve the current cycle with a remedy.

        The complaint must have been acknowledged; ``first_contact=True`` records the
        acknowledgement and the resolution together, in that order, in one save.
        """
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
            ),
        )

    @_validated
    def reopen(
        self,
        complaint_id: ComplaintId,
        *,
        reason: ReopenReasonArg,
        note: Text | None = None,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Start a new cycle on a resolved complaint."""
        self._run(
            "reopen",
            dict(locals()),
            lambda c, s: c.reopen(s, reason=cast(ReopenReason, reason), note=note),
        )

    @_validated
    def follow_up(
        self,
        complaint_id: ComplaintId,
        *,
        solved: bool,
        note: Text | None = None,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Ask whether the problem is really solved; ``solved=False`` reopens it."""
        self._run(
            "follow_up", dict(locals()), lambda c, s: c.follow_up(s, solved=solved, note=note)
        )

    @_validated
    def record_survey(
        self,
        complaint_id: ComplaintId,
        *,
        score: Score,
        comment: Text | None = None,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Record the satisfaction survey (1 to 5) of the resolved cycle."""
        self._run(
            "record_survey",
            dict(locals()),
            lambda c, s: c.record_survey(s, score=score, comment=comment),
        )

    @_validated
    def withdraw(
        self,
        complaint_id: ComplaintId,
        *,
        reason: Text | None = None,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """The customer withdrew the complaint; nothing may happen to it afterwards."""
        self._run("withdraw", dict(locals()), lambda c, s: c.withdraw(s, reason=reason))


class ComplaintLog(_Commands):
    """Record, query and replay complaints.

    >>> log = ComplaintLog()                              # in memory
    >>> log = ComplaintLog("sqlite:///complaints.db")     # doctest: +SKIP
    >>> log = ComplaintLog("postgresql://me@db:5432/crm") # doctest: +SKIP

    Without a URL the store comes from ``$COMPLAINTLOG_STORE``, else memory.
    """

    def __init__(
        self,
        store: str | None = None,
        *,
        clock: Clock | None = None,
        max_clock_skew: timedelta = timedelta(minutes=5),
        rules: Iterable[ProcessRule] = (),
        authorization: Policy | None = None,
        env: Mapping[str, str] | None = None,
        key_cache_seconds: float = 60.0,
    ) -> None:
        self.settings: StoreSettings = parse_store_url(store)
        self._clock = clock or _utc_now
        self._max_clock_skew = max_clock_skew
        self._rules = tuple(rules)
        for rule in self._rules:
            if not isinstance(rule, ProcessRule):
                msg = "a rule is a callable (state, command) -> reason | None with a name"
                raise InvalidValueError("rules", rule, msg)
        if authorization is not None and not isinstance(authorization, Policy):
            msg = "an authorisation policy is a complaintlog.Policy"
            raise InvalidValueError("authorization", authorization, msg)
        self._policy = authorization
        app_env = {**self.settings.env, **(env or {})}
        try:
            with one_creator_at_a_time(self.settings, app_env):
                self._app = _ComplaintApplication(env=app_env)
            self._app.store_url = self.settings.redacted_url
        except Exception as error:  # the drivers raise many kinds; all mean "cannot open"
            msg = f"cannot open store {self.settings.redacted_url}: {error}"
            raise StoreConfigurationError(msg) from error
        self._keys = KeyRing(key_store_for(self.settings, app_env), cache_seconds=key_cache_seconds)
        self.mapper.opener = self._keys

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._app.close()
        self._keys.close()

    def __enter__(self) -> ComplaintLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def recorder(self) -> Recorder:
        """The store's application recorder, for projections that follow the log."""
        return self._app.recorder

    @property
    def mapper(self) -> PydanticMapper:
        mapper = self._app.mapper
        assert isinstance(mapper, PydanticMapper)
        return mapper

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def authorization(self) -> Policy | None:
        """The authorisation policy in force (``None``: everything is allowed)."""
        return self._policy

    def batch(self) -> Batch:
        """A unit of work for bulk loads: every command in it is saved in one transaction."""
        return Batch(self)

    # -- loading and saving ----------------------------------------------------------------

    def _load(self, complaint_id: UUID) -> Complaint:
        complaint = self._existing(complaint_id)
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)
        return complaint

    def _existing(self, complaint_id: UUID) -> Complaint | None:
        try:
            with store_errors(self.settings.redacted_url, "read"):
                aggregate: object = self._app.repository.get(complaint_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, Complaint) else None

    def _sealing_key(self, customer_id: str) -> CustomerKey:
        return self._keys.sealing_key(customer_id)

    def _record_denial(self, denial: Denial, command: Command, stamp: Stamp) -> None:
        attempt = AccessAttempt.deny(
            recorded_at=stamp.recorded_at,
            occurred_at=stamp.occurred_at,
            actor=denial.actor,
            roles=denial.roles,
            command=denial.command,
            complaint_id=command.complaint_id,
            rule=denial.rule,
            detail=denial.detail,
        )
        self._app.save(attempt)

    def _execute(
        self,
        complaint_id: UUID,
        command: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
        action: Action,
    ) -> Any:
        for attempt in range(_MAX_ATTEMPTS):
            complaint = self._load(complaint_id)
            done, result = complaint.earlier_result(stamp.idempotency)
            if done:
                return result
            try:
                self._check_rules(complaint, command, arguments, stamp)
                result = action(complaint, stamp)
            except ComplaintRuleError as error:
                if attempt == 0:
                    raise
                raise ConcurrencyError(complaint_id, command) from error
            try:
                self._app.save(complaint)
            except IntegrityError:
                time.sleep(random.uniform(0, 0.001 * 2 ** min(attempt, 6)))  # backoff
                continue
            return result
        raise ConcurrencyError(
            complaint_id, command, f"still conflicting after {_MAX_ATTEMPTS} attempts"
        )

    def _create(self, complaint: Complaint, index: ExternalReference | None) -> UUID:
        try:
            self._app.save(complaint, index)
        except IntegrityError:
            existing = self._existing(complaint.id)
            if existing is not None:  # a racing retry with the same idempotency key
                first = complaint.pending_events[0]
                assert isinstance(first, Complaint.Event)
                _, result = existing.earlier_result(first.idempotency)
                return cast(UUID, result)
            if index is not None:
                holder = self.find(index.external_ref)
                if holder is not None:
                    raise DuplicateExternalReferenceError(index.external_ref, holder) from None
            raise
        return complaint.id

    def save_batch(self, complaints: list[Complaint], indexes: list[ExternalReference]) -> None:
        """Save a batch's aggregates in one transaction, explaining a collision."""
        try:
            self._app.save(*complaints, *indexes)
        except IntegrityError as error:
            for index in indexes:
                holder = self.find(index.external_ref)
                if holder is not None:
                    raise DuplicateExternalReferenceError(index.external_ref, holder) from error
            complaint_id = complaints[0].id if complaints else UUID(int=0)
            raise ConcurrencyError(complaint_id, "batch") from error

    # -- queries ---------------------------------------------------------------------------

    @_validated
    def get(
        self,
        complaint_id: ComplaintId,
        *,
        as_of: AwareDatetime | None = None,
        as_known_at: AwareDatetime | None = None,
    ) -> ComplaintView:
        """The complaint's state now, or as of a past business time.

        ``as_of`` replays only events that happened (business time) by then;
        ``as_known_at`` replays only events recorded by then, which is what a screen
        showed at that moment, before any backdated or late-imported events arrived.
        """
        if as_of is None and as_known_at is None:
            return ComplaintView.of(self._load(cast(UUID, complaint_id)), self._clock())
        events, erased = self._events(cast(UUID, complaint_id))
        complaint: Complaint | None = None
        for event in events:
            if as_of is not None and event.occurred_at > as_of:
                break
            if as_known_at is not None and event.timestamp > as_known_at:
                break
            complaint = cast(Complaint, event.mutate(complaint))
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)
        if erased:
            complaint.forget_personal_data()  # erased later, but erased for every time
        reference = min(t for t in (as_of, as_known_at) if t is not None)
        return ComplaintView.of(complaint, reference)

    def _events(self, complaint_id: UUID) -> tuple[list[Complaint.Event], bool]:
        """The complaint's events, and whether its personal data was erased."""
        events = cast(list[Complaint.Event], list(self._app.events.get(complaint_id)))
        erased = any(isinstance(e, Complaint.PersonalDataErased) for e in events)
        return events, erased

    @_validated
    def history(self, complaint_id: ComplaintId) -> tuple[HistoryEntry, ...]:
        """Every recorded event of the complaint in order, with both of its times."""
        events, erased = self._events(cast(UUID, complaint_id))
        entries = tuple(_history_entry(e, erased) for e in events)
        if not entries:
            raise ComplaintNotFoundError(complaint_id)
        return entries

    @_validated
    def steps(self, complaint_id: ComplaintId) -> Iterator[Step]:
        """Replay the complaint event by event: the state before each step and the step.

        This is how a rule is checked against recorded history
        (:func:`complaintlog.testing.assert_history_satisfies`), and how an auditor sees
        what every decision was based on.
        """
        complaint: Complaint | None = None
        events, erased = self._events(cast(UUID, complaint_id))
        for event in events:
            entry = _history_entry(event, erased)
            before = ComplaintView.of(complaint, event.occurred_at) if complaint else None
            command = Command(
                name=event.command,
                complaint_id=event.originator_id,
                arguments=_payload(event, erased),
                occurred_at=event.occurred_at,
                actor=event.actor,
            )
            yield Step(state=before, command=command, entry=entry)
            complaint = cast(Complaint, event.mutate(complaint))
            if erased:
                complaint.forget_personal_data()
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)

    @_validated
    def find(self, external_ref: Label) -> UUID | None:
        """The id of the complaint the CRM knows as ``external_ref``, if there is one."""
        try:
            with store_errors(self.settings.redacted_url, "find"):
                index: object = self._app.repository.get(ExternalReference.id_for(external_ref))
        except AggregateNotFoundError:
            return None
        assert isinstance(index, ExternalReference)
        return index.complaint_id

    def notifications(
        self, start: int = 1, *, limit: int = 1000, stop: int | None = None
    ) -> Iterator[Notification]:
        """The stored events in recording order, in pages, from position ``start``."""
        recorder = self._app.recorder
        while True:
            with store_errors(self.settings.redacted_url, "read the log"):
                page = recorder.select_notifications(start, limit, stop=stop)
            yield from page
            if len(page) < limit:
                return
            start = page[-1].id + 1

    def max_position(self) -> int:
        """The position of the last recorded event (0 when the log is empty)."""
        with store_errors(self.settings.redacted_url, "read the log"):
            return self._app.recorder.max_notification_id() or 0

    def event_state(self, notification: Notification) -> dict[str, Any]:
        """A stored event's JSON state as exports should show it.

        Decrypted and decompressed when the store has a whole-event cipher; sealed personal
        data opened, or shown erased (``"[erased]"`` texts, ``customer.erased`` true) once
        its key is gone; ``personal`` lists the sealed fields' paths instead of the boxes.
        """
        state = self.mapper.decode_stored_state(notification)
        if notification.topic != _RECEIVED_TOPIC:
            return state
        originator = notification.originator_id
        complaint_id = originator if isinstance(originator, UUID) else UUID(str(originator))
        customer = state.get("customer") or {}
        if not state.get("personal") and any(customer.get(f) for f in PERSONAL_CUSTOMER_FIELDS):
            # stored in plain by 0.1.0: hide it if the complaint's personal data was erased
            complaint = self._existing(complaint_id)
            if complaint is not None and complaint.personal_data_erased_at is not None:
                state = dict(state)
                state["customer"] = {
                    **customer,
                    **dict.fromkeys(PERSONAL_CUSTOMER_FIELDS),
                    "erased": True,
                }
            return state
        return reveal_state(state, self._keys, complaint_id)

    def _notifications(self, topic: str) -> Iterator[Notification]:
        recorder = self._app.recorder
        start = 1
        while True:
            page = recorder.select_notifications(start, _PAGE, topics=(topic,))
            yield from page
            if len(page) < _PAGE:
                return
            start = page[-1].id + 1

    # -- personal data ---------------------------------------------------------------------

    @_validated
    def erase_personal_data(
        self,
        customer_id: Label,
        *,
        reason: Text,
        at: AwareDatetime | None = None,
        actor: Label | None = None,
    ) -> Erasure:
        """Crypto-shred the customer's personal data and record that it happened.

        Every key of the customer is destroyed, so the sealed fields of all their complaints
        can never be opened again; each complaint not erased before gets a
        ``PersonalDataErased`` event (in any status: it is not a handling step, and changes
        neither the status nor the statistics). The history still replays, with the fields
        shown erased, and ``complaintlog.audit.verify`` still passes: the chains cover the
        ciphertext. Running it again is harmless and erases complaints recorded since.

        The events are checked before the keys are destroyed and saved right after; if
        saving fails, the keys are gone and running the erasure again records the events.
        """
        arguments = dict(locals())
        first = self._stamp("erase_personal_data", arguments, at, actor, None)
        command = self._command("erase_personal_data", arguments, first)
        self._authorize(None, command, first)
        found = self._complaints_of(customer_id)
        pending: list[Complaint] = []
        unopened: list[UUID] = []
        for complaint_id in found:
            try:
                complaint = self._load(complaint_id)
            except PersonalDataError:
                unopened.append(complaint_id)  # an altered box: it reads once the key is gone
                continue
            if complaint.personal_data_erased_at is None:
                complaint.erase_personal_data(
                    self._erasure_stamp(first, at, complaint), reason=reason
                )
                pending.append(complaint)
        destroyed = self._keys.destroy(customer_id)
        for complaint_id in unopened:
            complaint = self._load(complaint_id)
            if complaint.personal_data_erased_at is None:
                complaint.erase_personal_data(
                    self._erasure_stamp(first, at, complaint), reason=reason
                )
                pending.append(complaint)
        recorded = self._save_erasures(pending, first, at, reason)
        return Erasure(
            customer_id=customer_id,
            keys_destroyed=destroyed,
            complaints=tuple(found),
            recorded=tuple(recorded),
            stored_in_plain=tuple(c for c, plain in found.items() if plain),
        )

    @staticmethod
    def _erasure_stamp(first: Stamp, at: datetime | None, complaint: Complaint) -> Stamp:
        """Erasure happens now, or just after an event that lies slightly ahead of now."""
        if at is None and complaint.last_occurred_at > first.occurred_at:
            return attrs.evolve(first, occurred_at=complaint.last_occurred_at)
        return first

    def _save_erasures(
        self, pending: list[Complaint], first: Stamp, at: datetime | None, reason: str
    ) -> list[UUID]:
        """Save the erasure records, one transaction, redoing those a writer raced."""
        try:
            self._app.save(*pending)
            return [c.id for c in pending]
        except IntegrityError:
            pass
        recorded: list[UUID] = []
        for complaint_id in (c.id for c in pending):
            for attempt in range(_MAX_ATTEMPTS):
                complaint = self._load(complaint_id)
                if complaint.personal_data_erased_at is not None:
                    break
                complaint.erase_personal_data(
                    self._erasure_stamp(first, at, complaint), reason=reason
                )
                try:
                    self._app.save(complaint)
                except IntegrityError:
                    time.sleep(random.uniform(0, 0.001 * 2 ** min(attempt, 6)))  # backoff
                    continue
                recorded.append(complaint_id)
                break
            else:
                raise ConcurrencyError(
                    complaint_id,
                    "erase_personal_data",
                    "the keys are destroyed but the record is not: run the erasure again",
                )
        return recorded

    def _complaints_of(self, customer_id: str) -> dict[UUID, bool]:
        """The customer's complaints, each with whether its personal data is stored in plain.

        Scans the log's ``Received`` events (filtered in SQL): erasure is rare, and the log
        is the only index every store has.
        """
        found: dict[UUID, bool] = {}
        for notification in self._notifications(_RECEIVED_TOPIC):
            state = self.mapper.decode_stored_state(notification)
            customer = state.get("customer") or {}
            if customer.get("id") != customer_id:
                continue
            originator = notification.originator_id
            complaint_id = originator if isinstance(originator, UUID) else UUID(str(originator))
            found[complaint_id] = not state.get("personal") and any(
                customer.get(name) for name in PERSONAL_CUSTOMER_FIELDS
            )
        return found

    # -- authorisation ---------------------------------------------------------------------

    @_validated
    def denied_attempts(
        self,
        *,
        actor: Label | None = None,
        command: Label | None = None,
        complaint_id: ComplaintId | None = None,
        since: AwareDatetime | None = None,
    ) -> tuple[DeniedAttempt, ...]:
        """Commands the authorisation policy refused, in recording order, filtered.

        ``since`` compares with the recording time.
        """
        found: list[DeniedAttempt] = []
        for notification in self._notifications(DENIED_TOPIC):
            event = self.mapper.to_domain_event(notification)
            assert isinstance(event, AccessAttempt.Denied)
            if actor is not None and event.actor != actor:
                continue
            if command is not None and event.command != command:
                continue
            if complaint_id is not None and event.complaint_id != complaint_id:
                continue
            if since is not None and event.timestamp < since:
                continue
            found.append(
                DeniedAttempt(
                    position=notification.id,
                    attempt_id=event.originator_id,
                    recorded_at=event.timestamp,
                    occurred_at=event.occurred_at,
                    actor=event.actor,
                    roles=event.roles,
                    command=event.command,
                    complaint_id=event.complaint_id,
                    rule=event.rule,
                    detail=event.detail,
                )
            )
        return tuple(found)


_ENVELOPE = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "occurred_at",
        "actor",
        "idempotency",
        "chain",
    }
)


def _payload(event: Complaint.Event, erased: bool = False) -> dict[str, Any]:
    """The event's own fields, typed, without the envelope every event shares.

    Personal data is shown as :meth:`Complaint.Received.revealed` gives it, or erased when
    the complaint's personal data was (``erased``), and ``personal`` lists the sealed
    fields' paths rather than the boxes.
    """
    payload = {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
    if isinstance(event, Complaint.Received):
        payload.update(event.erased() if erased else event.revealed())
        payload["personal"] = event.personal.fields if event.personal is not None else ()
    return payload


def _history_entry(event: object, erased: bool = False) -> HistoryEntry:
    assert isinstance(event, Complaint.Event)
    payload = _payload(event, erased)
    shown = orjson.loads(encode_state(payload))
    customer = payload.get("customer")
    if isinstance(customer, Customer) and customer.erased:
        shown["customer"]["erased"] = True
    return HistoryEntry(
        complaint_id=event.originator_id,
        version=event.originator_version,
        event=type(event).__name__,
        occurred_at=event.occurred_at,
        recorded_at=event.timestamp,
        actor=event.actor,
        payload=shown,
        chain=event.chain,
    )


class Batch(_Commands):
    """Commands collected and saved in one transaction when the ``with`` block ends.

    A command that breaks a rule raises at once and leaves the batch as it was; an
    exception that leaves the ``with`` block discards the whole batch.
    """

    def __init__(self, log: ComplaintLog) -> None:
        self._log = log
        self._collector = ExitStack()
        self._clock = log.clock
        self._max_clock_skew = log._max_clock_skew
        self._rules = log._rules
        self._policy = log._policy
        self._keys = log._keys
        self._complaints: dict[UUID, Complaint] = {}
        self._indexes: dict[str, ExternalReference] = {}
        self._new_keys: dict[str, CustomerKey] = {}
        self.saved = False

    def __enter__(self) -> Batch:
        # Everything the batch makes lives until its commit: the collector would only
        # walk it (see complaintlog.persistence.collector).
        self._collector.enter_context(collector_paused())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._collector:
            if exc_type is None:
                self.commit()

    def __len__(self) -> int:
        return len(self._complaints)

    def commit(self) -> None:
        """Save everything collected so far in one transaction.

        Keys created for the batch's personal data are stored first, all in one write.
        """
        if self._new_keys:
            self._keys.store_keys(list(self._new_keys.values()))
            self._new_keys.clear()
        if self._complaints or self._indexes:
            self._log.save_batch(list(self._complaints.values()), list(self._indexes.values()))
        self._complaints.clear()
        self._indexes.clear()
        self.saved = True

    def _sealing_key(self, customer_id: str) -> CustomerKey:
        key = self._new_keys.get(customer_id) or self._keys.cached_sealing_key(customer_id)
        if key is None:
            key = self._new_keys[customer_id] = CustomerKey.new(customer_id)
        return key

    def _record_denial(self, denial: Denial, command: Command, stamp: Stamp) -> None:
        """Recorded at once, outside the batch: a discarded batch keeps its refusals."""
        self._log._record_denial(denial, command, stamp)

    def _existing(self, complaint_id: UUID) -> Complaint | None:
        pending = self._complaints.get(complaint_id)
        return pending if pending is not None else self._log._existing(complaint_id)

    def _execute(
        self,
        complaint_id: UUID,
        command: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
        action: Action,
    ) -> Any:
        complaint = self._existing(complaint_id)
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)
        done, result = complaint.earlier_result(stamp.idempotency)
        if done:
            return result
        self._check_rules(complaint, command, arguments, stamp)
        result = action(complaint, stamp)
        self._complaints[complaint_id] = complaint
        return result

    def _create(self, complaint: Complaint, index: ExternalReference | None) -> UUID:
        if index is not None:
            holder = self._indexes.get(index.external_ref)
            if holder is not None:
                raise DuplicateExternalReferenceError(index.external_ref, holder.complaint_id)
            self._indexes[index.external_ref] = index
        self._complaints[complaint.id] = complaint
        return complaint.id

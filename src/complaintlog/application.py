"""``ComplaintLog``: the unit of work CRM code calls.

Methods take plain values (strings, datetimes, dicts) and return ids or immutable views.
Arguments are validated by pydantic before anything touches a complaint; bad input raises
:class:`~complaintlog.errors.InvalidValueError` naming the field, the value and the rule,
and nothing is recorded. Retries are safe with ``idempotency_key``; races between writers
are retried transparently while the command is still valid, and reported as
:class:`~complaintlog.errors.ConcurrencyError` when it is not.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Annotated, Any, ParamSpec, TypeVar, cast
from uuid import UUID, uuid4

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Notification, Recorder
from pydantic import AwareDatetime, Field, StringConstraints, ValidationError, validate_call

from complaintlog._arguments import (
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
from complaintlog._mapper import OrjsonTranscoder, PydanticMapper, encode_state
from complaintlog.domain.complaint import Complaint, Idempotency, Stamp
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.values import (
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
)
from complaintlog.errors import (
    ComplaintLogError,
    ComplaintNotFoundError,
    ComplaintRuleError,
    ConcurrencyError,
    DuplicateExternalReferenceError,
    InvalidValueError,
)
from complaintlog.rules import Command, ProcessRule, check_rules
from complaintlog.store import StoreSettings, parse_store_url
from complaintlog.views import ComplaintView, HistoryEntry, Step

__all__ = ["Batch", "Clock", "ComplaintLog"]

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Injected so tests and replays control time."""

IdempotencyKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Score = Annotated[int, Field(ge=1, le=5, strict=True)]

_MAX_ATTEMPTS = 12
_STAMP_FIELDS = frozenset({"self", "complaint_id", "at", "actor", "idempotency_key"})

P = ParamSpec("P")
R = TypeVar("R")


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
    payload = {k: v for k, v in arguments.items() if k not in _STAMP_FIELDS}
    encoded = orjson.dumps(
        payload, default=_json_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )
    return hashlib.sha256(encoded).hexdigest()[:32]


def _json_default(value: object) -> object:
    if isinstance(value, Category | Customer | Money):
        return value.model_dump(mode="json")
    return str(value)


class _ComplaintApplication(Application[UUID]):
    """The eventsourcing application underneath: store, mapper, repository, log."""

    name = "ComplaintLog"

    def construct_mapper(self) -> PydanticMapper:
        return PydanticMapper(
            transcoder=OrjsonTranscoder(),
            cipher=self.factory.cipher(),
            compressor=self.factory.compressor(),
        )


Action = Callable[[Complaint, Stamp], Any]


class _Commands:
    """The command methods, shared by :class:`ComplaintLog` and :class:`Batch`.

    Subclasses decide how a complaint is loaded and when changes are saved.
    """

    _clock: Clock
    _max_clock_skew: timedelta
    _rules: tuple[ProcessRule, ...]

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
        occurred_at = (at or recorded_at).astimezone(UTC)
        idempotency = (
            Idempotency(key=idempotency_key, command=command, digest=_digest(arguments))
            if idempotency_key is not None
            else None
        )
        return Stamp(
            occurred_at=occurred_at,
            recorded_at=recorded_at.astimezone(UTC),
            latest_allowed=recorded_at.astimezone(UTC) + self._max_clock_skew,
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
        """Apply the company's own rules to the command about to run."""
        if self._rules:
            command = self._command(name, arguments, stamp)
            state = ComplaintView.of(complaint, command.occurred_at) if complaint else None
            check_rules(self._rules, state, command)

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
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> UUID:
        """Record a new complaint and return its id. A complaint is never refused."""
        arguments = dict(locals())
        stamp = self._stamp("receive", arguments, at, actor, idempotency_key)
        if stamp.idempotency is not None:
            existing = self._existing(Complaint.id_for_idempotency_key(stamp.idempotency.key))
            if existing is not None:
                _, result = existing.earlier_result(stamp.idempotency)
                return cast(UUID, result)
        self._check_rules(None, "receive", arguments, stamp)
        complaint = Complaint.receive(
            stamp,
            customer=cast(Customer, customer),
            channel=cast(Channel, channel),
            subject=subject,
            description=description,
            category=cast(Category | None, category),
            severity=cast(Severity, severity),
            desired_outcome=desired_outcome,
            external_ref=external_ref,
            attributes=tuple(sorted((attributes or {}).items())),
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
        due_utc = due.astimezone(UTC)
        promise_id = uuid4()
        return cast(
            UUID,
            self._run(
                "make_promise",
                dict(locals(), promise_id=None),
                lambda c, s: c.make_promise(s, promise=promise, due=due_utc, promise_id=promise_id),
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
        at: AwareDatetime | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Wait on the customer or a third party; SLA clocks may skip this time."""
        self._run("pause", dict(locals()), lambda c, s: c.pause(s, reason=reason))

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
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings: StoreSettings = parse_store_url(store)
        self._clock = clock or _utc_now
        self._max_clock_skew = max_clock_skew
        self._rules = tuple(rules)
        for rule in self._rules:
            if not isinstance(rule, ProcessRule):
                msg = "a rule is a callable (state, command) -> reason | None with a name"
                raise InvalidValueError("rules", rule, msg)
        app_env = {**self.settings.env, **(env or {})}
        try:
            self._app = _ComplaintApplication(env=app_env)
        except Exception as error:  # the drivers raise many kinds; all mean "cannot open"
            from complaintlog.errors import StoreConfigurationError

            msg = f"cannot open store {self.settings.redacted_url}: {error}"
            raise StoreConfigurationError(msg) from error

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._app.close()

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
            aggregate: object = self._app.repository.get(complaint_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, Complaint) else None

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
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
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
        complaint: Complaint | None = None
        for event in self._app.events.get(cast(UUID, complaint_id)):
            assert isinstance(event, Complaint.Event)
            if as_of is not None and event.occurred_at > as_of:
                break
            if as_known_at is not None and event.timestamp > as_known_at:
                break
            complaint = cast(Complaint, event.mutate(complaint))
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)
        reference = min(t for t in (as_of, as_known_at) if t is not None)
        return ComplaintView.of(complaint, reference)

    @_validated
    def history(self, complaint_id: ComplaintId) -> tuple[HistoryEntry, ...]:
        """Every recorded event of the complaint in order, with both of its times."""
        events = self._app.events.get(cast(UUID, complaint_id))
        entries = tuple(_history_entry(e) for e in events)
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
        for event in self._app.events.get(cast(UUID, complaint_id)):
            entry = _history_entry(event)
            assert isinstance(event, Complaint.Event)
            before = ComplaintView.of(complaint, event.occurred_at) if complaint else None
            command = Command(
                name=event.command,
                complaint_id=event.originator_id,
                arguments=_payload(event),
                occurred_at=event.occurred_at,
                actor=event.actor,
            )
            yield Step(state=before, command=command, entry=entry)
            complaint = cast(Complaint, event.mutate(complaint))
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)

    @_validated
    def find(self, external_ref: Label) -> UUID | None:
        """The id of the complaint the CRM knows as ``external_ref``, if there is one."""
        try:
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
            page = recorder.select_notifications(start, limit, stop=stop)
            yield from page
            if len(page) < limit:
                return
            start = page[-1].id + 1

    def max_position(self) -> int:
        """The position of the last recorded event (0 when the log is empty)."""
        return self._app.recorder.max_notification_id() or 0


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


def _payload(event: Complaint.Event) -> dict[str, Any]:
    """The event's own fields, typed, without the envelope every event shares."""
    return {k: v for k, v in vars(event).items() if k not in _ENVELOPE}


def _history_entry(event: object) -> HistoryEntry:
    assert isinstance(event, Complaint.Event)
    return HistoryEntry(
        complaint_id=event.originator_id,
        version=event.originator_version,
        event=type(event).__name__,
        occurred_at=event.occurred_at,
        recorded_at=event.timestamp,
        actor=event.actor,
        payload=orjson.loads(encode_state(_payload(event))),
        chain=event.chain,
    )


class Batch(_Commands):
    """Commands collected and saved in one transaction when the ``with`` block ends.

    A command that breaks a rule raises at once and leaves the batch as it was; an
    exception that leaves the ``with`` block discards the whole batch.
    """

    def __init__(self, log: ComplaintLog) -> None:
        self._log = log
        self._clock = log.clock
        self._max_clock_skew = log._max_clock_skew
        self._rules = log._rules
        self._complaints: dict[UUID, Complaint] = {}
        self._indexes: dict[str, ExternalReference] = {}
        self.saved = False

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()

    def __len__(self) -> int:
        return len(self._complaints)

    def commit(self) -> None:
        """Save everything collected so far in one transaction."""
        if self._complaints or self._indexes:
            self._log.save_batch(list(self._complaints.values()), list(self._indexes.values()))
        self._complaints.clear()
        self._indexes.clear()
        self.saved = True

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

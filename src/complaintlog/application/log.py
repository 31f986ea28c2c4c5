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

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, cast
from uuid import UUID

import attrs
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    Recorder,
)

from complaintlog.application.arguments import (
    ComplaintId,
)
from complaintlog.application.authorization import Policy
from complaintlog.application.authorization.reading import EVERYTHING
from complaintlog.application.batch import Batch
from complaintlog.application.denied import DeniedAttempts
from complaintlog.application.erasure import ErasureCommands
from complaintlog.application.event_store import (
    RECEIVED_TOPIC,
    ComplaintApplication,
    notifications_of,
    store_errors,
)
from complaintlog.application.follow import follow
from complaintlog.application.history import (
    HistoryEntry,
    Step,
    history_entry,
    recorded_commands,
)
from complaintlog.application.personal_data import (
    CustomerKey,
    KeyRing,
    reveal_state,
)
from complaintlog.application.reader import Reader
from complaintlog.application.review import ReviewCommands
from complaintlog.application.saving import SavingCommands
from complaintlog.application.transactions import TransactionMethods
from complaintlog.application.validation import (
    ClockFunction,
    Moment,
    utc_now,
    validated,
)
from complaintlog.domain.complaint import Complaint
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.rules import Command, ProcessRule
from complaintlog.domain.values import (
    PERSONAL_CUSTOMER_FIELDS,
    Label,
)
from complaintlog.errors import (
    ComplaintNotFoundError,
    ConcurrencyError,
    DuplicateExternalReferenceError,
    InvalidValueError,
    StoreConfigurationError,
    UnreadableRecordError,
)
from complaintlog.persistence.key_wrapping import wrapped_key_store
from complaintlog.persistence.mapper import PydanticMapper
from complaintlog.persistence.pools import POOL_ENV, register_pool
from complaintlog.persistence.positions import position_of
from complaintlog.persistence.seal import AuditKey, AuditKeyProvider, audit_key_from_env
from complaintlog.persistence.settings import StoreSettings, one_creator_at_a_time, parse_store_url

__all__ = ["ComplaintLog"]


class ComplaintLog(
    ErasureCommands, ReviewCommands, SavingCommands, TransactionMethods, DeniedAttempts
):
    """Record, query and replay complaints.

    >>> log = ComplaintLog()                              # in memory
    >>> log = ComplaintLog("sqlite:///complaints.db")     # doctest: +SKIP
    >>> log = ComplaintLog("postgresql://me@db:5432/crm") # doctest: +SKIP

    Without a URL the store comes from ``$COMPLAINTLOG_STORE``, else memory.

    On PostgreSQL every log, view set and key store of a process borrows from one shared
    connection pool per server, database and user (at most 4 connections, or
    ``?pool_size=N`` in the URL), or from ``pool=``, a ``psycopg_pool.ConnectionPool`` the
    application already has. A log is safe to share between threads: one per process is
    the intended use (see docs/howto-production.md).
    """

    def __init__(
        self,
        store: str | None = None,
        *,
        clock: ClockFunction | None = None,
        max_clock_skew: timedelta = timedelta(minutes=5),
        rules: Iterable[ProcessRule] = (),
        authorization: Policy | None = None,
        env: Mapping[str, str] | None = None,
        key_cache_seconds: float = 60.0,
        audit_key: bytes | AuditKeyProvider | None = None,
        pool: Any = None,
    ) -> None:
        self.settings: StoreSettings = parse_store_url(store)
        if pool is not None:
            if self.settings.kind != "postgres":
                only = "a connection pool is for a postgresql:// store"
                raise InvalidValueError("pool", type(pool).__name__, only)
            token = register_pool(pool)
            self.settings = attrs.evolve(self.settings, env={**self.settings.env, POOL_ENV: token})
        self._clock = clock or utc_now
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
        sealing = audit_key_from_env(app_env, audit_key)
        key_store = wrapped_key_store(self.settings, app_env)  # a bad KEK refused first
        try:
            with one_creator_at_a_time(self.settings, app_env):
                self._app = ComplaintApplication(env=app_env)
            self._app.store_url = self.settings.redacted_url
        except Exception as error:  # the drivers raise many kinds; all mean "cannot open"
            msg = f"cannot open store {self.settings.redacted_url}: {error}"
            raise StoreConfigurationError(msg) from error
        self._app.index_earlier_complaints()
        self._keys = KeyRing(key_store, cache_seconds=key_cache_seconds)
        self.mapper.opener = self._keys
        self.mapper.audit_key = sealing

    # -- lifecycle -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the personal-data key table now instead of on first use (deploys)."""
        self._keys.prepare()

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
    def audit_key(self) -> AuditKey | None:
        """The key that seals every record written (``None``: records are not sealed)."""
        return self.mapper.audit_key

    def stored_key_ids(self, key_ids: Collection[str]) -> set[str]:
        """Which of these personal-data keys still exist (for ``audit.verify``)."""
        return set(self._keys.existing(key_ids))

    @property
    def clock(self) -> ClockFunction:
        return self._clock

    @property
    def authorization(self) -> Policy | None:
        """The authorisation policy in force (``None``: everything is allowed)."""
        return self._policy

    def reading_as(self, actor: str | None) -> Reader:
        """The queries as ``actor`` may see them under the policy (everything without one):
        only readable complaints, personal data masked unless the actor may see it."""
        access = self._policy.read_access(actor) if self._policy is not None else EVERYTHING
        return Reader(self, access)

    def batch(self) -> Batch:
        """A unit of work for bulk loads: every command in it is saved in one transaction."""
        return Batch(self)

    # -- loading and saving ----------------------------------------------------------------

    def _load(self, complaint_id: UUID) -> Complaint:
        complaint = self._existing(complaint_id)
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)
        return complaint

    @contextmanager
    def _named_positions(self) -> Iterator[None]:
        """An unreadable stored record, named by its position in the log."""
        try:
            yield
        except UnreadableRecordError as error:
            if error.position is not None or error.complaint_id is None:
                raise
            position = position_of(self._app.recorder, error.complaint_id, error.version or 0)
            raise UnreadableRecordError(
                error.complaint_id, error.version, position, error.detail
            ) from error.__cause__

    def _existing(self, complaint_id: UUID) -> Complaint | None:
        try:
            with self._named_positions(), store_errors(self.settings.redacted_url, "read"):
                aggregate: object = self._app.repository.get(complaint_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, Complaint) else None

    def _stored(self, complaint_ids: Collection[UUID]) -> set[UUID]:
        return self._app.stored_ids(complaint_ids)

    def _sealing_key(self, customer_id: str) -> CustomerKey:
        return self._keys.sealing_key(customer_id)

    def _save_now(self, *aggregates: Any) -> None:
        self._app.save(*aggregates)

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

    @validated
    def get(
        self,
        complaint_id: ComplaintId,
        *,
        as_of: Moment | None = None,
        as_known_at: Moment | None = None,
    ) -> ComplaintView:
        """The complaint's state now, or as of a past business time.

        ``as_of`` replays only events that happened (business time) by then;
        ``as_known_at`` replays only events recorded by then, which is what a screen
        showed at that moment, before any backdated or late-imported events arrived.
        """
        if as_of is None and as_known_at is None:
            return ComplaintView.of(self._load(cast(UUID, complaint_id)), self._clock())
        events, erased = self._events(cast(UUID, complaint_id))
        return view_as_of(events, erased, cast(UUID, complaint_id), as_of, as_known_at)

    def _events(self, complaint_id: UUID) -> tuple[list[Complaint.Event], bool]:
        """The complaint's events, and whether its personal data was erased."""
        with self._named_positions():
            events = cast(list[Complaint.Event], list(self._app.events.get(complaint_id)))
        erased = any(isinstance(e, Complaint.PersonalDataErased) for e in events)
        return events, erased

    @validated
    def history(self, complaint_id: ComplaintId) -> tuple[HistoryEntry, ...]:
        """Every recorded event of the complaint in order, with both of its times."""
        events, erased = self._events(cast(UUID, complaint_id))
        return history_of(events, erased, cast(UUID, complaint_id))

    @validated
    def steps(self, complaint_id: ComplaintId) -> Iterator[Step]:
        """Replay the complaint event by event: the state before each step and the step.

        This is how a rule is checked against recorded history
        (:func:`complaintlog.testing.assert_history_satisfies`), and how an auditor sees
        what every decision was based on.
        """
        complaint: Complaint | None = None
        events, erased = self._events(cast(UUID, complaint_id))
        for event, command in zip(events, recorded_commands(events, erased), strict=True):
            entry = history_entry(event, erased)
            before = ComplaintView.of(complaint, event.occurred_at) if complaint else None
            yield Step(state=before, command=command, entry=entry)
            complaint = cast(Complaint, event.mutate(complaint))
            if erased:
                complaint.forget_personal_data()
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)

    def complaint_ids(self) -> Iterator[UUID]:
        """Every complaint's id, in the order the complaints were recorded."""
        for notification in notifications_of(self._app.recorder, RECEIVED_TOPIC):
            originator = notification.originator_id
            yield originator if isinstance(originator, UUID) else UUID(str(originator))

    def _stored_events(self, complaint_id: UUID) -> tuple[list[Complaint.Event], bool]:
        """The stored events of a complaint (none if it is not stored yet)."""
        return self._events(complaint_id)

    def _prior_commands(self, complaint: Complaint) -> Callable[[], Sequence[Command]]:
        def read() -> Sequence[Command]:
            events, erased = self._events(complaint.id)
            return recorded_commands(events[: complaint.version], erased)

        return read

    @validated
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

    def follow(
        self, after: int = 0, *, stop_when_idle: bool = False, page_size: int = 1000
    ) -> Iterator[Notification]:
        """The events recorded after position ``after``, then each new one as it is committed.

        Waits by ``LISTEN``/``NOTIFY`` on PostgreSQL and by watching ``PRAGMA data_version``
        on SQLite (:mod:`complaintlog.application.follow`); ``stop_when_idle`` ends at the
        log's end instead of waiting.
        """
        return follow(self, after, stop_when_idle=stop_when_idle, page_size=page_size)

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
        state = self.mapper.decode_stored_state(notification)  # names its position
        if notification.topic != RECEIVED_TOPIC:
            if not state.get("personal"):
                return state
            originator = notification.originator_id
            owner = originator if isinstance(originator, UUID) else UUID(str(originator))
            return reveal_state(state, self._keys, owner)  # a later step's sealed texts
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


def view_as_of(
    events: Sequence[Complaint.Event],
    erased: bool,
    complaint_id: UUID,
    as_of: datetime | None,
    as_known_at: datetime | None,
) -> ComplaintView:
    """The complaint as of a past business time and/or as known at a past recording time,
    from its events (``erased``: its personal data was erased since, so for every time)."""
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
        complaint.forget_personal_data()
    reference = min(t for t in (as_of, as_known_at) if t is not None)
    return ComplaintView.of(complaint, reference)


def history_of(
    events: Sequence[Complaint.Event], erased: bool, complaint_id: UUID
) -> tuple[HistoryEntry, ...]:
    """The history entries of a complaint's events (none: it does not exist)."""
    entries = tuple(history_entry(e, erased) for e in events)
    if not entries:
        raise ComplaintNotFoundError(complaint_id)
    return entries

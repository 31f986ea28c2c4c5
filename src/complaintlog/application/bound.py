"""``log.using(connection)``: the log's commands inside the caller's own transaction.

A CRM marks an order disputed and records the complaint's ``Received`` in one transaction
of its database: both commit, or neither. The bound log reads and writes through the
caller's connection (:mod:`complaintlog.persistence.bound`) and never commits or rolls
back; every save is a savepoint, so a save that lost a race to another writer is undone
alone, the complaint reloaded and the command run again while it is still valid, exactly
as on the log itself. Events are chained and sealed by the same code as the log's.

On PostgreSQL a save takes the events table's insert lock (what keeps positions in commit
order) and holds it until the caller commits: keep the transaction short after it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from complaintlog.application.arguments import ComplaintId
from complaintlog.application.dry_run import dry_run
from complaintlog.application.event_store import customers_of
from complaintlog.application.history import recorded_commands
from complaintlog.application.personal_data import CustomerKey, KeyRing
from complaintlog.application.saving import SavingCommands
from complaintlog.application.validation import validated
from complaintlog.domain.complaint import Complaint
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.rules import Command
from complaintlog.domain.values import Label
from complaintlog.errors import (
    ComplaintNotFoundError,
)
from complaintlog.persistence.bound import Binding, BoundKeyStore
from complaintlog.persistence.key_wrapping import WrappingKeyStore
from complaintlog.persistence.mapper import PydanticMapper

if TYPE_CHECKING:
    from complaintlog.application.log import ComplaintLog

__all__ = ["BoundLog"]


class BoundLog(SavingCommands):
    """The log's commands and reads through a caller's connection, in its transaction.

    Made by :meth:`ComplaintLog.using`. Cheap to make: one per request or transaction.
    """

    def __init__(self, log: ComplaintLog, binding: Binding) -> None:
        self._log = log
        self._binding = binding
        self._clock = log.clock
        self._max_clock_skew = log._max_clock_skew
        self._rules = log._rules
        self._policy = log._policy
        store: Any = BoundKeyStore(binding)
        outer = log._keys.store
        if isinstance(outer, WrappingKeyStore):  # keys wrapped by the same KEK as the log's
            store = WrappingKeyStore(store, outer.keks)
        self._keys = KeyRing(store, cache_seconds=log._keys.cache_seconds)
        mapper = copy.copy(log.mapper)
        mapper.opener = self._keys  # keys this transaction created open before its commit
        self._mapper: PydanticMapper = mapper

    @property
    def connection_kind(self) -> str:
        """``postgres`` or ``sqlite``."""
        return self._binding.kind

    # -- loading and saving ----------------------------------------------------------------

    def _existing(self, complaint_id: UUID) -> Complaint | None:
        aggregate: Any = None
        for stored in self._binding.select_events(complaint_id):
            aggregate = cast(Any, self._mapper.to_domain_event(stored)).mutate(aggregate)
        return aggregate if isinstance(aggregate, Complaint) else None

    def _load(self, complaint_id: UUID) -> Complaint:
        complaint = self._existing(complaint_id)
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)
        return complaint

    def _save_now(self, *objects: Any) -> None:
        events = [e for obj in objects if obj is not None for e in obj.collect_events()]
        if not events:
            return
        stored = [self._mapper.to_stored_event(event) for event in events]
        with self._binding.atomic("save") as cursor:
            self._binding.insert_events(cursor, stored, customers_of(events))

    def _prior_commands(self, complaint: Complaint) -> Callable[[], Sequence[Command]]:
        """The commands recorded on ``complaint``, as this transaction sees them."""

        def read() -> Sequence[Command]:
            stored = self._binding.select_events(complaint.id)
            events = [cast(Complaint.Event, self._mapper.to_domain_event(s)) for s in stored]
            erased = any(isinstance(e, Complaint.PersonalDataErased) for e in events)
            return recorded_commands(events[: complaint.version], erased)

        return read

    def _sealing_key(self, customer_id: str) -> CustomerKey:
        committed = self._log._keys.cached_sealing_key(customer_id)
        return committed if committed is not None else self._keys.sealing_key(customer_id)

    # -- queries ---------------------------------------------------------------------------

    @validated
    def get(self, complaint_id: ComplaintId) -> ComplaintView:
        """The complaint as this transaction sees it (its own writes included)."""
        return ComplaintView.of(self._load(cast(UUID, complaint_id)), self._clock())

    @validated
    def find(self, external_ref: Label) -> UUID | None:
        """The id of the complaint known as ``external_ref``, as this transaction sees it."""
        index: Any = None
        for stored in self._binding.select_events(ExternalReference.id_for(external_ref)):
            index = cast(Any, self._mapper.to_domain_event(stored)).mutate(index)
        return index.complaint_id if isinstance(index, ExternalReference) else None

    def validate(self, command: str, /, *args: Any, **arguments: Any) -> Any:
        """Check a command as it would run in this transaction, recording nothing
        (see :meth:`ComplaintLog.validate`)."""
        return dry_run(self, command, args, arguments)

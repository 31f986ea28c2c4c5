"""The log's commands and queries with their I/O taken out, for the async log.

A :class:`Planner` runs the very command code of :class:`~complaintlog.ComplaintLog`
(validation, stamps, authorisation, rules, sealing, the aggregate's guards) on events its
caller has already read, and collects what is to be saved instead of saving it. A read it
has not been given raises :class:`NeedEvents`, a sealing key not at hand
:class:`NeedSealingKey`: the caller (:mod:`complaintlog.application.async_commands`)
fetches it with its own I/O and runs the command again. Commands are pure up to their
I/O, so running one again is cheap and decides exactly as the first run would have.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from complaintlog.application.arguments import ComplaintId
from complaintlog.application.attempts import attempt_command, first_idempotency
from complaintlog.application.authorization import Denial
from complaintlog.application.commands import Action
from complaintlog.application.dry_run import dry_run
from complaintlog.application.history import HistoryEntry, recorded_commands
from complaintlog.application.personal_data import CustomerKey, KeyRing
from complaintlog.application.review import ReviewCommands
from complaintlog.application.validation import Moment, validated
from complaintlog.domain.complaint import Complaint, Idempotency, Stamp
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.personal import Sealed
from complaintlog.domain.rules import Command
from complaintlog.domain.values import Label
from complaintlog.errors import ComplaintNotFoundError
from complaintlog.persistence.mapper import PydanticMapper

if TYPE_CHECKING:
    from complaintlog.application.log import ComplaintLog

__all__ = ["NeedEvents", "NeedSealingKey", "Planner"]


class NeedEvents(Exception):
    """The planner needs the stored events of ``originator_id`` (none: it does not exist)."""

    def __init__(self, originator_id: UUID) -> None:
        super().__init__(originator_id)
        self.originator_id = originator_id


class NeedSealingKey(Exception):
    """The planner needs a stored key of ``customer_id`` to seal personal data with."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(customer_id)
        self.customer_id = customer_id


class _KnownKeys:
    """Opens sealed values with the keys the caller read for them (``None``: destroyed)."""

    def __init__(self, ring: KeyRing, keys: Mapping[str, CustomerKey | None]) -> None:
        self._ring = ring
        self._keys = keys

    def open(self, sealed: Sealed, complaint_id: UUID) -> None:
        self._ring.open_with(sealed, complaint_id, self._keys[sealed.key_id])


class Planner(ReviewCommands):
    """One run of a command or query on events read beforehand; ``to_save`` is its writes.

    ``loaded`` maps an originator (a complaint, an external reference) to its stored
    events; ``keys`` holds every personal-data key those events were sealed with.
    ``attempt`` counts the races lost so far (a rule refusing the command after one is a
    ``ConcurrencyError``, as on the log). ``ring``: where keys read and made in a caller's
    transaction are kept (not the log's, whose keys are committed); the log's by default.
    """

    def __init__(
        self,
        log: ComplaintLog,
        loaded: Mapping[UUID, Sequence[StoredEvent]],
        keys: Mapping[str, CustomerKey | None],
        attempt: int = 0,
        ring: KeyRing | None = None,
    ) -> None:
        self._clock = log.clock
        self._max_clock_skew = log._max_clock_skew
        self._rules = log._rules
        self._policy = log._policy
        self._committed_keys = log._keys
        self._keys = ring if ring is not None else log._keys
        self._loaded = loaded
        mapper = copy.copy(log.mapper)
        mapper.opener = _KnownKeys(self._keys, keys)
        self._mapper: PydanticMapper = mapper
        self.attempt = attempt
        self.to_save: list[Any] = []
        self.created: tuple[Complaint, ExternalReference | None, Idempotency | None] | None = None
        self.denied = False

    # -- reads, from the events given ------------------------------------------------------

    def _stored(self, originator_id: UUID) -> Sequence[StoredEvent]:
        found = self._loaded.get(originator_id)
        if found is None:
            raise NeedEvents(originator_id)
        return found

    def _replay(self, originator_id: UUID) -> Any:
        aggregate: Any = None
        for stored in self._stored(originator_id):
            aggregate = cast(Any, self._mapper.to_domain_event(stored)).mutate(aggregate)
        return aggregate

    def _existing(self, complaint_id: UUID) -> Complaint | None:
        aggregate = self._replay(complaint_id)
        return aggregate if isinstance(aggregate, Complaint) else None

    def _load(self, complaint_id: UUID) -> Complaint:
        complaint = self._existing(complaint_id)
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)
        return complaint

    def _events(self, complaint_id: UUID) -> tuple[list[Complaint.Event], bool]:
        stored = self._stored(complaint_id)
        events = [cast(Complaint.Event, self._mapper.to_domain_event(s)) for s in stored]
        erased = any(isinstance(e, Complaint.PersonalDataErased) for e in events)
        return events, erased

    def _prior_commands(self, complaint: Complaint) -> Callable[[], Sequence[Command]]:
        def read() -> Sequence[Command]:
            events, erased = self._events(complaint.id)
            return recorded_commands(events[: complaint.version], erased)

        return read

    # -- writes, collected -----------------------------------------------------------------

    def _sealing_key(self, customer_id: str) -> CustomerKey:
        key = self._committed_keys.cached_sealing_key(customer_id)
        if key is None:  # a key this transaction made (a caller's transaction: its own ring)
            key = self._keys.cached_sealing_key(customer_id)
        if key is None:
            raise NeedSealingKey(customer_id)
        return key

    def _record_denial(self, denial: Denial, command: Command, stamp: Stamp) -> None:
        self.denied = True
        self.to_save.append(denial.attempt(command, stamp))

    def _execute(
        self,
        complaint_id: UUID,
        command: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
        action: Action,
    ) -> Any:
        complaint = self._load(complaint_id)
        changed, result = attempt_command(
            self, complaint, command, arguments, stamp, action, self.attempt
        )
        if changed:
            self.to_save.append(complaint)
        return result

    def _create(self, complaint: Complaint, index: ExternalReference | None) -> UUID:
        self.created = (complaint, index, first_idempotency(complaint))
        self.to_save.extend(obj for obj in (complaint, index) if obj is not None)
        return complaint.id

    # -- queries ---------------------------------------------------------------------------

    @validated
    def get(
        self,
        complaint_id: ComplaintId,
        *,
        as_of: Moment | None = None,
        as_known_at: Moment | None = None,
    ) -> ComplaintView:
        """See :meth:`ComplaintLog.get`."""
        from complaintlog.application.log import view_as_of

        cid = cast(UUID, complaint_id)
        if as_of is None and as_known_at is None:
            return ComplaintView.of(self._load(cid), self._clock())
        events, erased = self._events(cid)
        return view_as_of(events, erased, cid, as_of, as_known_at)

    @validated
    def history(self, complaint_id: ComplaintId) -> tuple[HistoryEntry, ...]:
        """See :meth:`ComplaintLog.history`."""
        from complaintlog.application.log import history_of

        events, erased = self._events(cast(UUID, complaint_id))
        return history_of(events, erased, cast(UUID, complaint_id))

    @validated
    def find(self, external_ref: Label) -> UUID | None:
        """See :meth:`ComplaintLog.find`."""
        index = self._replay(ExternalReference.id_for(external_ref))
        return index.complaint_id if isinstance(index, ExternalReference) else None

    def validate(self, command: str, /, *args: Any, **arguments: Any) -> Any:
        """See :meth:`ComplaintLog.validate`."""
        return dry_run(self, command, args, arguments)

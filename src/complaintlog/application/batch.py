"""``Batch``: commands collected and saved in one transaction (bulk loads, imports)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import ExitStack
from datetime import timedelta
from types import TracebackType
from typing import Any, Protocol
from uuid import UUID

from complaintlog.application.authorization import Denial, Policy
from complaintlog.application.commands import Action, CommandMethods
from complaintlog.application.history import recorded_commands
from complaintlog.application.personal_data import CustomerKey, KeyRing
from complaintlog.application.validation import ClockFunction
from complaintlog.domain.complaint import Complaint, Stamp
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.rules import Command, ProcessRule
from complaintlog.errors import (
    ComplaintNotFoundError,
    DuplicateExternalReferenceError,
)
from complaintlog.persistence.collector import collector_paused

__all__ = ["Batch"]


class _Log(Protocol):
    """What a batch needs of the log it belongs to (a :class:`ComplaintLog`)."""

    _max_clock_skew: timedelta
    _rules: tuple[ProcessRule, ...]
    _policy: Policy | None
    _keys: KeyRing

    @property
    def clock(self) -> ClockFunction: ...

    def save_batch(self, complaints: list[Complaint], indexes: list[ExternalReference]) -> None:
        """Save the batch's aggregates in one transaction."""

    def _record_denial(self, denial: Denial, command: Command, stamp: Stamp) -> None: ...

    def _existing(self, complaint_id: UUID) -> Complaint | None: ...

    def _stored(self, complaint_ids: Collection[UUID]) -> set[UUID]: ...

    def _stored_events(self, complaint_id: UUID) -> tuple[list[Complaint.Event], bool]: ...


class Batch(CommandMethods):
    """Commands collected and saved in one transaction when the ``with`` block ends.

    A command that breaks a rule raises at once and leaves the batch as it was; an
    exception that leaves the ``with`` block discards the whole batch.
    """

    def __init__(self, log: _Log) -> None:
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
        self._absent: set[UUID] = set()
        """Complaints looked up by :meth:`look_up_keys` and not stored (until the commit)."""
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
        self._absent.clear()
        self.saved = True

    def look_up_keys(self, idempotency_keys: Iterable[str]) -> None:
        """Find out in one query which of these ``receive`` idempotency keys were used
        before, so that receiving with the others looks nothing up.

        A ``receive`` with a key first looks for the complaint the key names (a retry
        answers with it): one read each, a round trip each on PostgreSQL, paid by a whole
        group of HTTP requests (:mod:`~complaintlog.application.group_commit`) one after
        the other. A key stored by another writer after this look-up fails the commit, as
        any race does.
        """
        ids = {Complaint.id_for_idempotency_key(key.strip()) for key in idempotency_keys}
        ids -= self._complaints.keys() | self._absent
        if ids:
            self._absent |= ids - self._log._stored(ids)

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
        if pending is not None:
            return pending
        return None if complaint_id in self._absent else self._log._existing(complaint_id)

    def _prior_commands(self, complaint: Complaint) -> Callable[[], Sequence[Command]]:
        """Stored steps and the steps pending in this batch, as they stand now."""
        pending = [e for e in complaint.pending_events if isinstance(e, Complaint.Event)]

        def read() -> Sequence[Command]:
            stored, erased = self._log._stored_events(complaint.id)
            return recorded_commands(stored + pending, erased)

        return read

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
        if self._rules:  # a refusal comes after the action: work on a copy
            complaint = copy.deepcopy(complaint)
        result = self._act(complaint, command, arguments, stamp, action)
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

"""Crypto-shredding a customer's personal data, and the record that it happened."""

from __future__ import annotations

import random
import time
from datetime import datetime
from uuid import UUID

import attrs
from eventsourcing.persistence import (
    IntegrityError,
)

from complaintlog.application.commands import CommandMethods
from complaintlog.application.event_store import (
    MAX_ATTEMPTS,
    RECEIVED_TOPIC,
    ComplaintApplication,
    notifications_of,
)
from complaintlog.application.personal_data import (
    Erasure,
)
from complaintlog.application.validation import (
    Moment,
    validated,
)
from complaintlog.domain.complaint import Complaint, Stamp
from complaintlog.domain.values import (
    PERSONAL_CUSTOMER_FIELDS,
    Label,
    Text,
)
from complaintlog.errors import (
    ConcurrencyError,
    PersonalDataError,
    StoreConfigurationError,
)
from complaintlog.persistence.key_wrapping import WrappingKeyStore
from complaintlog.persistence.mapper import PydanticMapper

__all__ = ["ErasureCommands"]


class ErasureCommands(CommandMethods):
    """``erase_personal_data``: destroy a customer's keys and record it on each complaint."""

    _app: ComplaintApplication

    @property
    def mapper(self) -> PydanticMapper:
        raise NotImplementedError

    def _load(self, complaint_id: UUID) -> Complaint:
        raise NotImplementedError

    def rotate_keys(self) -> int:
        """Re-wrap every personal-data key under the current key-encryption key.

        Set the new KEK in ``COMPLAINTLOG_KEK`` and the old in ``COMPLAINTLOG_KEK_PREVIOUS``
        first (see :mod:`complaintlog.persistence.key_wrapping`). No event is touched;
        returns how many keys were re-wrapped.
        """
        store = self._keys.store
        if not isinstance(store, WrappingKeyStore):  # pragma: no cover - always wrapped
            msg = "this key store does not wrap keys"
            raise StoreConfigurationError(msg)
        try:
            return store.rotate()
        except (PersonalDataError, StoreConfigurationError):
            raise
        except Exception as error:  # the drivers raise many kinds; all mean "not stored"
            msg = f"cannot re-wrap the personal-data keys: {error}"
            raise PersonalDataError(msg) from error

    @validated
    def erase_personal_data(
        self,
        customer_id: Label,
        *,
        reason: Text,
        at: Moment | None = None,
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
            for attempt in range(MAX_ATTEMPTS):
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

        From the store's customer index (SQLite, PostgreSQL); the in-memory store reads the
        log's ``Received`` events (filtered in SQL).
        """
        indexed = self._app.complaints_of_customer(customer_id)
        if indexed is not None:
            return {complaint_id: self._stored_in_plain(complaint_id) for complaint_id in indexed}
        found: dict[UUID, bool] = {}
        for notification in notifications_of(self._app.recorder, RECEIVED_TOPIC):
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

    def _stored_in_plain(self, complaint_id: UUID) -> bool:
        """Whether the complaint's ``Received`` holds personal data in plain (0.1.0)."""
        first = self._app.recorder.select_events(complaint_id, limit=1)
        if not first:
            return False
        state = self.mapper.decode_stored_state(first[0])
        customer = state.get("customer") or {}
        return not state.get("personal") and any(
            customer.get(name) for name in PERSONAL_CUSTOMER_FIELDS
        )

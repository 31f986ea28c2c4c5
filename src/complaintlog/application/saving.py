"""Commands that save each complaint as soon as it changes, with retries of a lost race.

The log (its own transactions) and a log bound to a caller's transaction
(:mod:`.bound`) run a command the same way: load the complaint, run it once
(:func:`~.attempts.attempt_command`), save; on a lost race back off and try again with the
complaint reloaded, up to ``MAX_ATTEMPTS`` times; a new complaint that collides is
explained from what the store holds now (:func:`~.attempts.created_meanwhile`). They differ
only in how they load and save, the hooks below.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from complaintlog.application.attempts import (
    attempt_command,
    backoff,
    created_meanwhile,
    first_idempotency,
)
from complaintlog.application.authorization import Denial
from complaintlog.application.commands import Action, CommandMethods
from complaintlog.application.event_store import MAX_ATTEMPTS
from complaintlog.domain.complaint import Complaint, Stamp
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.rules import Command
from complaintlog.errors import ConcurrencyError

__all__ = ["SavingCommands"]


class SavingCommands(CommandMethods):
    """:class:`CommandMethods` whose commands save at once; subclasses load and save."""

    # -- hooks -----------------------------------------------------------------------------

    def _load(self, complaint_id: UUID) -> Complaint:
        raise NotImplementedError

    def _save_now(self, *aggregates: Any) -> None:
        """Save in one transaction; an ``IntegrityError`` when another writer won."""
        raise NotImplementedError

    def find(self, external_ref: Any) -> UUID | None:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------

    def _record_denial(self, denial: Denial, command: Command, stamp: Stamp) -> None:
        self._save_now(denial.attempt(command, stamp))

    def _execute(
        self,
        complaint_id: UUID,
        command: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
        action: Action,
    ) -> Any:
        for attempt in range(MAX_ATTEMPTS):
            complaint = self._load(complaint_id)
            changed, result = attempt_command(
                self, complaint, command, arguments, stamp, action, attempt
            )
            if not changed:
                return result
            try:
                self._save_now(complaint)
            except IntegrityError:
                time.sleep(backoff(attempt))
                continue
            return result
        raise ConcurrencyError(
            complaint_id, command, f"still conflicting after {MAX_ATTEMPTS} attempts"
        )

    def _create(self, complaint: Complaint, index: ExternalReference | None) -> UUID:
        idempotency = first_idempotency(complaint)
        try:
            self._save_now(complaint, index)
        except IntegrityError:
            ref = index.external_ref if index is not None else None
            holder = self.find(ref) if ref is not None else None
            found = created_meanwhile(
                complaint.id, idempotency, self._existing(complaint.id), ref, holder
            )
            if found is None:
                raise ConcurrencyError(complaint.id, "receive") from None
            return found
        return complaint.id

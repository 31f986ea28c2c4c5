"""The state of a ``Complaint`` as its events build it, and what is derived from it.

``ComplaintState`` is a base of :class:`~complaintlog.domain.complaint.Complaint`: the
helpers the events call to change the state, the derived properties (status, last times,
whom it waits on) and the idempotency lookup. It lives apart so the aggregate module keeps
its events and commands; ``Complaint.__init__`` sets the attributes declared here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from complaintlog.domain.complaint_records import (
    CycleFacts,
    EvidenceRecord,
    Idempotency,
    PauseRecord,
    PromiseRecord,
    ResolutionRecord,
)
from complaintlog.domain.personal import ERASED, later_personal
from complaintlog.domain.status import OPEN_STATUSES, Status, derive_status
from complaintlog.domain.values import Category, Customer, EscalationLevel, Severity, WaitingFor
from complaintlog.errors import IdempotencyKeyReusedError

__all__ = ["ComplaintState"]


class ComplaintState:
    """State helpers and derived state of a complaint (see ``Complaint.__init__``)."""

    if TYPE_CHECKING:  # set by Complaint.__init__ and its events

        @property
        def id(self) -> UUID: ...

        customer: Customer
        personal_fields: tuple[str, ...]
        personal_later: tuple[str, ...]
        resolutions: list[ResolutionRecord]
        notes: list[tuple[datetime, str | None, str]]
        review_notes: list[tuple[datetime, str | None, str]]
        evidence: list[EvidenceRecord]
        personal_data_erased_at: datetime | None
        category: Category | None
        severity: Severity
        acknowledged_at: datetime | None
        escalation_level: EscalationLevel | None
        escalations: list[tuple[EscalationLevel, str, datetime, str | None]]
        promises: list[PromiseRecord]
        paused_since: datetime | None
        pauses: list[tuple[datetime, datetime]]
        pause_history: list[PauseRecord]
        cycle: CycleFacts
        withdrawn_at: datetime | None
        _last_occurred_at: datetime
        _last_recorded_at: datetime
        _last_activity_at: datetime
        _idempotency: dict[str, tuple[Idempotency, Any]]

    # -- state helpers used by events ------------------------------------------------------

    def keep_open_promise(self, when: datetime, promise_id: UUID | None = None) -> None:
        """Keep the open promises (or only ``promise_id``); one past due stays broken."""
        for promise in self.promises:
            if promise.is_open_at(when) and promise_id in (None, promise.promise_id):
                promise.kept_at = when

    def end_pause(self, when: datetime) -> None:
        if self.paused_since is not None:
            self.pauses.append((self.paused_since, when))
            self.paused_since = None
            self.pause_history[-1].ended_at = when

    def erase_personal_state(self, when: datetime) -> None:
        """Record the erasure and forget the personal values this object holds."""
        self.forget_personal_data()
        self.personal_data_erased_at = when

    def forget_personal_data(self) -> None:
        """Show the personal data as erased; the store's copy is already unreadable."""
        self.customer = self.customer.without_personal_data(erased=True)
        for path in self.personal_fields:
            if not path.startswith("customer."):
                setattr(self, path, ERASED)
        self._forget_later_texts()

    def _forget_later_texts(self) -> None:
        """The later steps' texts declared personal, as erased (kept in records here)."""
        declared = self.personal_later
        if not declared:
            return

        def personal(command: str, argument: str) -> bool:
            return argument in later_personal(declared, command)

        if personal("escalate", "reason"):
            self.escalations = [(lv, ERASED, at, who) for lv, _, at, who in self.escalations]
        for promise in self.promises if personal("make_promise", "promise") else ():
            promise.promise = ERASED
        for pause in self.pause_history if personal("pause", "reason") else ():
            pause.reason = ERASED
        for resolution in self.resolutions if personal("resolve", "summary") else ():
            resolution.summary = ERASED
        if personal("note", "text"):
            self.notes = [(at, who, ERASED) for at, who, _ in self.notes]
        if personal("note_review", "note"):
            self.review_notes = [(at, who, ERASED) for at, who, _ in self.review_notes]
        erase_name, erase_uri = (
            personal("attach_evidence", "name"),
            personal("attach_evidence", "uri"),
        )
        self.evidence = [
            attrs.evolve(
                e,
                name=ERASED if erase_name else e.name,
                uri=ERASED if erase_uri and e.uri is not None else e.uri,
            )
            for e in self.evidence
        ]

    # -- derived state ---------------------------------------------------------------------

    @property
    def status(self) -> Status:
        solved_after = self.cycle.solved is True or self.cycle.surveyed_at is not None
        return derive_status(
            withdrawn=self.withdrawn_at is not None,
            resolved=self.cycle.resolved_at is not None,
            after_care=solved_after,
            paused=self.paused_since is not None,
            cycle=self.cycle.number,
            handled_in_cycle=self.cycle.handled,
            escalated=self.escalation_level is not None,
            acknowledged=self.acknowledged_at is not None,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_occurred_at(self) -> datetime:
        return self._last_occurred_at

    @property
    def last_recorded_at(self) -> datetime:
        return self._last_recorded_at

    @property
    def last_activity_at(self) -> datetime:
        """Business time of the last handling step (erasure records are not handling)."""
        return self._last_activity_at

    @property
    def waiting_for(self) -> WaitingFor | None:
        """Whom the complaint waits on while paused."""
        return self.pause_history[-1].waiting_for if self.paused_since is not None else None

    def earlier_result(self, idempotency: Idempotency | None) -> tuple[bool, Any]:
        """``(True, result)`` when this key was already used for the same request."""
        if idempotency is None or idempotency.key not in self._idempotency:
            return False, None
        first, result = self._idempotency[idempotency.key]
        if (first.command, first.digest) != (idempotency.command, idempotency.digest):
            raise IdempotencyKeyReusedError(
                self.id, idempotency.key, first.command, idempotency.command
            )
        return True, result

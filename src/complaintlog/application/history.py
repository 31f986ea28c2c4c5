"""What the log hands back about the past: recorded events, replay steps, refused attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.rules import Command

__all__ = ["DeniedAttempt", "HistoryEntry", "Step"]


@attrs.frozen
class HistoryEntry:
    """One recorded event: what happened, when it happened, and when we learned it."""

    complaint_id: UUID
    version: int
    event: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    payload: dict[str, Any] = attrs.field(hash=False)
    chain: str = ""
    """The event's link in the complaint's hash chain (see ``complaintlog.audit``)."""


@attrs.frozen
class Step:
    """One step of a replay: the complaint before it, and what was done (see ``steps``)."""

    state: ComplaintView | None
    command: Command
    entry: HistoryEntry


@attrs.frozen
class DeniedAttempt:
    """A command the authorisation policy refused (see ``ComplaintLog.denied_attempts``)."""

    position: int
    """Where the refusal is in the log."""
    attempt_id: UUID
    recorded_at: datetime
    occurred_at: datetime
    actor: str | None
    roles: tuple[str, ...]
    command: str
    complaint_id: UUID | None
    rule: str
    detail: str

"""The values the ``Complaint`` aggregate carries and keeps.

A command's ``Stamp`` and ``Idempotency`` (carried by events), and the mutable records the
aggregate builds as its events apply (promises, pauses, resolutions, the current cycle). They
live apart from the aggregate so the views and the application can name them without the
aggregate's events and commands; none is stored by topic, so moving them changes no stored
event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from pydantic import BaseModel, ConfigDict

from complaintlog.domain.values import Money, Remedy, RemedyCode, Upheld, WaitingFor

__all__ = [
    "CycleFacts",
    "EvidenceRecord",
    "Idempotency",
    "PauseRecord",
    "PromiseRecord",
    "ResolutionRecord",
    "Stamp",
]


class Idempotency(BaseModel):
    """Carried by the first event of a command that was given an idempotency key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    command: str
    digest: str


@attrs.frozen
class Stamp:
    """Who did a command, when it happened, when it was recorded, and its retry key.

    ``latest_allowed`` is the recording time plus the allowed clock skew: business time may
    not lie beyond it.
    """

    occurred_at: datetime
    recorded_at: datetime
    latest_allowed: datetime
    actor: str | None = None
    idempotency: Idempotency | None = None
    sealer: Callable[[Mapping[str, str]], Any] | None = attrs.field(default=None, eq=False)
    """Seals a later step's personal texts (``{argument: text}`` -> ``Sealed``) with the
    customer's key; set by the application for a complaint that declared them personal."""


@attrs.define
class PromiseRecord:
    """A promise's life inside the aggregate; views copy it into an immutable value."""

    promise_id: UUID
    promise: str
    made_at: datetime
    due: datetime
    cycle: int
    kept_at: datetime | None = None
    superseded_at: datetime | None = None

    def is_open_at(self, when: datetime) -> bool:
        """Neither kept nor superseded, and its due time has not passed."""
        return self.kept_at is None and self.superseded_at is None and when <= self.due


@attrs.define
class PauseRecord:
    """One pause: when it started and ended, whom it waited on and why."""

    started_at: datetime
    waiting_for: WaitingFor
    reason: str
    ended_at: datetime | None = None


@attrs.define
class ResolutionRecord:
    cycle: int
    resolved_at: datetime
    remedy: RemedyCode
    summary: str
    compensation: Money | None
    accepted: bool | None
    upheld: Upheld | None = None
    options_offered: tuple[Remedy, ...] = ()
    chosen: Remedy | None = None


@attrs.frozen
class EvidenceRecord:
    """A document kept elsewhere, by name, media type, SHA-256 digest and location."""

    name: str
    media_type: str
    sha256: str
    uri: str | None
    attached_at: datetime


@attrs.define
class CycleFacts:
    """What happened in the current cycle (a cycle starts with Received or Reopened)."""

    number: int = 1
    started_at: datetime | None = None
    handled: bool = False
    resolved_at: datetime | None = None
    followed_up_at: datetime | None = None
    solved: bool | None = None
    surveyed_at: datetime | None = None
    survey_sent_at: datetime | None = None

"""What the log hands back about the past: recorded events, replay steps, refused attempts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
import orjson

from complaintlog.domain.complaint import Complaint
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.personal import ERASED, Sealed
from complaintlog.domain.rules import Command
from complaintlog.domain.values import Customer
from complaintlog.persistence.mapper import encode_state

__all__ = ["DeniedAttempt", "HistoryEntry", "Step", "known_entries", "recorded_commands"]


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


ENVELOPE = frozenset(
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


def event_payload(event: Complaint.Event, erased: bool = False) -> dict[str, Any]:
    """The event's own fields, typed, without the envelope every event shares.

    Personal data is shown as :meth:`Complaint.Received.revealed` gives it, or erased when
    the complaint's personal data was (``erased``), and ``personal`` lists the sealed
    fields' paths rather than the boxes.
    """
    payload = {k: v for k, v in vars(event).items() if k not in ENVELOPE}
    if isinstance(event, Complaint.Received):
        payload.update(event.erased() if erased else event.revealed())
        payload["personal"] = event.personal.fields if event.personal is not None else ()
        return payload
    sealed = payload.get("personal")
    if isinstance(sealed, Sealed):  # a later step's personal texts
        for name in sealed.fields:
            payload[name] = ERASED if erased else event.shown(name)
        payload["personal"] = sealed.fields
    return payload


def history_entry(event: object, erased: bool = False) -> HistoryEntry:
    assert isinstance(event, Complaint.Event)
    payload = event_payload(event, erased)
    shown = orjson.loads(encode_state(payload))
    customer = payload.get("customer")
    if isinstance(customer, Customer) and customer.erased:
        shown["customer"]["erased"] = True
    return HistoryEntry(
        complaint_id=event.originator_id,
        version=event.originator_version,
        event=type(event).__name__,
        occurred_at=event.occurred_at,
        recorded_at=event.timestamp,
        actor=event.actor,
        payload=shown,
        chain=event.chain,
    )


def known_entries(entries: Sequence[HistoryEntry], known_at: datetime | None) -> list[HistoryEntry]:
    """The entries recorded by ``known_at``: what a screen could show then.

    Cut at the first entry recorded later, as ``ComplaintLog.get(as_known_at=...)`` does,
    so a skewed clock never shows a step without the one before it.
    """
    if known_at is None:
        return list(entries)
    kept: list[HistoryEntry] = []
    for entry in entries:
        if entry.recorded_at > known_at:
            break
        kept.append(entry)
    return kept


def recorded_commands(events: Sequence[Complaint.Event], erased: bool = False) -> list[Command]:
    """The commands a replay shows for ``events``; each can list the ones before it."""
    commands: list[Command] = []
    for event in events:
        commands.append(
            Command(
                name=event.command,
                complaint_id=event.originator_id,
                arguments=event_payload(event, erased),
                occurred_at=event.occurred_at,
                actor=event.actor,
                earlier=_first(commands, len(commands)),
            )
        )
    return commands


def _first(commands: list[Command], count: int) -> Callable[[], Sequence[Command]]:
    return lambda: commands[:count]

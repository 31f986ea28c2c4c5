"""One attempt of a command, and what a lost race on a new complaint means.

The logic every unit of work shares, whatever its I/O: the log (its own transactions), a
log bound to a caller's transaction, and the async log (psycopg's async connections). Each
loads the complaint its own way, calls :func:`attempt_command`, saves its own way, and on a
lost race (another writer saved that version first) backs off for :func:`backoff` and
tries again with the complaint reloaded, up to ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from complaintlog.domain.complaint import Complaint, Idempotency, Stamp
from complaintlog.errors import (
    ComplaintRuleError,
    ConcurrencyError,
    DuplicateExternalReferenceError,
)

if TYPE_CHECKING:
    from complaintlog.application.commands import Action, CommandMethods

__all__ = ["attempt_command", "backoff", "created_meanwhile", "first_idempotency"]


def backoff(attempt: int) -> float:
    """Seconds to wait after losing race number ``attempt`` (random, up to 64 ms)."""
    return random.uniform(0, 0.001 * 2 ** min(attempt, 6))


def attempt_command(
    unit: CommandMethods,
    complaint: Complaint,
    command: str,
    arguments: Mapping[str, Any],
    stamp: Stamp,
    action: Action,
    attempt: int,
) -> tuple[bool, Any]:
    """Run the command once on the loaded ``complaint``: ``(whether it has new events to
    save, what the command returns)``.

    A command without ``at`` happens when it is recorded: stamped after the complaint was
    read, so a step another writer recorded meanwhile is never "later" than this one. A
    retry with the same idempotency key returns the first run's result and saves nothing.
    A rule that refuses the command only after a lost race is a :class:`ConcurrencyError`:
    the caller's command was valid when it was sent.
    """
    if arguments.get("at") is None:
        stamp = unit._stamp(command, arguments, None, stamp.actor, arguments.get("idempotency_key"))
    done, result = complaint.earlier_result(stamp.idempotency)
    if done:
        return False, result
    try:
        result = unit._act(complaint, command, arguments, stamp, action)
    except ComplaintRuleError as error:
        if attempt == 0:
            raise
        raise ConcurrencyError(complaint.id, command) from error
    return True, result


def first_idempotency(complaint: Complaint) -> Idempotency | None:
    """The retry key of a new complaint's ``Received`` (read before saving: a save collects
    the pending events)."""
    first = complaint.pending_events[0] if complaint.pending_events else None
    return first.idempotency if isinstance(first, Complaint.Event) else None


def created_meanwhile(
    complaint_id: UUID,
    idempotency: Idempotency | None,
    existing: Complaint | None,
    external_ref: str | None,
    holder: UUID | None,
) -> UUID | None:
    """What a lost race on a new complaint means, from what the store holds now.

    The same complaint saved by a racing retry with the same idempotency key: its id (or an
    :class:`~complaintlog.errors.IdempotencyKeyReusedError` if the key came with other
    arguments). Its external reference taken by another complaint: a
    :class:`DuplicateExternalReferenceError`. ``None``: neither, the caller decides.
    """
    if existing is not None:
        _, result = existing.earlier_result(idempotency)
        return cast(UUID, result) if result is not None else existing.id
    if external_ref is not None and holder is not None and holder != complaint_id:
        raise DuplicateExternalReferenceError(external_ref, holder)
    return None

"""The status a complaint shows, derived from a few facts about it.

The aggregate and the current-state projection both call :func:`derive_status`, so a
screen built from the projection never disagrees with the complaint itself.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OPEN_STATUSES", "Status", "derive_status"]


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    PAUSED = "paused"
    RESOLVED = "resolved"
    CLOSED = "closed"
    """Resolved, and then followed up as solved or surveyed."""
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = frozenset(
    {
        Status.RECEIVED,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.ESCALATED,
        Status.PAUSED,
        Status.REOPENED,
    }
)


def derive_status(
    *,
    withdrawn: bool,
    resolved: bool,
    after_care: bool,
    paused: bool,
    cycle: int,
    handled_in_cycle: bool,
    escalated: bool,
    acknowledged: bool,
) -> Status:
    """The status from the facts, the most decisive fact first.

    ``resolved``, ``after_care`` (followed up as solved, or surveyed) and
    ``handled_in_cycle`` (assigned, promised, informed, escalated or reclassified)
    refer to the current cycle; a cycle starts with Received or Reopened.
    """
    if withdrawn:
        return Status.WITHDRAWN
    if resolved:
        return Status.CLOSED if after_care else Status.RESOLVED
    if paused:
        return Status.PAUSED
    if cycle > 1 and not handled_in_cycle:
        return Status.REOPENED
    if escalated:
        return Status.ESCALATED
    if handled_in_cycle:
        return Status.IN_PROGRESS
    if acknowledged:
        return Status.ACKNOWLEDGED
    return Status.RECEIVED

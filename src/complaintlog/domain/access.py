"""Refused attempts, kept as their own aggregate: never a complaint event.

Each refused command is one ``AccessAttempt`` with a single ``Denied`` event, stored in the
same log as the complaints: the head digest of :mod:`complaintlog.audit` covers it, many
writers record refusals without contending on one stream, and ``ComplaintLog.
denied_attempts`` finds them by topic. Projections skip it like any non-complaint event.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

__all__ = ["DENIED_TOPIC", "AccessAttempt"]


class AccessAttempt(Aggregate):
    """A command the authorisation policy refused."""

    class Denied(Aggregate.Created):
        occurred_at: datetime
        actor: str | None
        roles: tuple[str, ...]
        command: str
        complaint_id: UUID | None
        rule: str
        detail: str

    def __init__(
        self,
        *,
        occurred_at: datetime,
        actor: str | None,
        roles: tuple[str, ...],
        command: str,
        complaint_id: UUID | None,
        rule: str,
        detail: str,
    ) -> None:
        self.occurred_at = occurred_at
        self.actor = actor
        self.roles = roles
        self.command = command
        self.complaint_id = complaint_id
        self.rule = rule
        self.detail = detail

    @classmethod
    def deny(
        cls,
        *,
        recorded_at: datetime,
        occurred_at: datetime,
        actor: str | None,
        roles: tuple[str, ...],
        command: str,
        complaint_id: UUID | None,
        rule: str,
        detail: str,
    ) -> AccessAttempt:
        return cls._create(
            cls.Denied,
            id=uuid4(),
            timestamp=recorded_at,
            occurred_at=occurred_at,
            actor=actor,
            roles=roles,
            command=command,
            complaint_id=complaint_id,
            rule=rule,
            detail=detail,
        )


DENIED_TOPIC = get_topic(AccessAttempt.Denied)

"""What a regulatory return needs to know of each complaint, read in one pass over the log.

Returns count complaints, not events: a complaint reopened and resolved twice is one
complaint, closed once in a window (at its last resolution there). The facts come from the
stored JSON directly (no aggregate replay, no personal data): receipt, tenant (the legal
entity a return is filed for), product and cause as last classified, each resolution with
its remedy, redress and upheld outcome, reopenings and withdrawal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.domain.values import DEFAULT_TENANT

__all__ = ["ComplaintFacts", "Resolution", "complaint_facts"]

_PREFIX = "complaintlog.domain.complaint:Complaint."


@attrs.define
class Resolution:
    at: datetime
    remedy: str
    upheld: str | None
    """fully, partly or not; ``None`` when the resolution did not record it (unknown)."""
    compensation: tuple[Decimal, str] | None


@attrs.define
class ComplaintFacts:
    complaint_id: str
    external_ref: str | None
    received_at: datetime
    product: str | None
    cause: str | None
    tenant: str = DEFAULT_TENANT
    resolutions: list[Resolution] = attrs.field(factory=list)
    reopened_at: list[datetime] = attrs.field(factory=list)
    withdrawn_at: datetime | None = None

    def last_resolution_in(self, since: datetime, until: datetime) -> Resolution | None:
        """The complaint's closing in the window: its last resolution there, if any."""
        inside = [r for r in self.resolutions if since <= r.at <= until]
        return inside[-1] if inside else None

    def open_at(self, moment: datetime) -> bool:
        """Received by ``moment`` and neither resolved (last) nor withdrawn by then."""
        if self.received_at > moment:
            return False
        if self.withdrawn_at is not None and self.withdrawn_at <= moment:
            return False
        resolved = sum(1 for r in self.resolutions if r.at <= moment)
        reopened = sum(1 for at in self.reopened_at if at <= moment)
        return resolved <= reopened  # every resolution by then was followed by a reopening


def _moment(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def complaint_facts(log: ComplaintLog) -> Iterator[ComplaintFacts]:
    """The facts of every complaint in the log, in the order they were received."""
    found: dict[str, ComplaintFacts] = {}
    for notification in log.notifications(limit=5000):
        topic = notification.topic
        if not topic.startswith(_PREFIX):
            continue
        kind = topic[len(_PREFIX) :]
        key = str(notification.originator_id)
        state = log.mapper.decode_stored_state(notification)
        at = _moment(state["occurred_at"])
        if kind == "Received":
            category = state.get("category") or {}
            found[key] = ComplaintFacts(
                complaint_id=key,
                external_ref=state.get("external_ref"),
                received_at=at,
                product=category.get("product"),
                cause=category.get("cause"),
                tenant=state.get("tenant") or DEFAULT_TENANT,
            )
            continue
        facts = found.get(key)
        if facts is None:  # a history that does not start with Received: audit finds it
            continue
        if kind == "Reclassified" and state.get("category"):
            facts.product = state["category"].get("product")
            facts.cause = state["category"].get("cause")
        elif kind == "Resolved":
            money = state.get("compensation")
            facts.resolutions.append(
                Resolution(
                    at=at,
                    remedy=str(state.get("remedy")),
                    upheld=state.get("upheld"),
                    compensation=(Decimal(str(money["amount"])), str(money["currency"]))
                    if money
                    else None,
                )
            )
        elif kind == "Reopened":
            facts.reopened_at.append(at)
        elif kind == "Withdrawn":
            facts.withdrawn_at = at
    yield from found.values()

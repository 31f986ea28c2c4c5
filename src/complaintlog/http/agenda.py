"""``GET /agenda``: what is due, from the agenda view (``Projections(log).agenda``).

The web form of :class:`complaintlog.projections.agenda.AgendaItem`: the same fields, as a
pydantic model so the OpenAPI document describes them.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from complaintlog.projections import Projections
from complaintlog.projections.agenda import AgendaItem as DueItem

__all__ = ["AgendaItem", "agenda_items"]


class AgendaItem(BaseModel):
    complaint_id: UUID
    external_ref: str | None
    action: str
    """acknowledge, respond, inform, resolve, send_survey or follow_up."""
    due: datetime
    """The deadline (for ``send_survey``, the close of its window)."""
    opens: datetime | None
    """When the action may first be taken (the survey window's opening), if it has a start."""
    assignee: str | None
    team: str | None
    overdue: bool
    source: str
    """``promise`` for a promise made to the customer, else ``target``."""
    target: str
    """The policy's target (for a promise, the target that measures it)."""
    promise_id: UUID | None
    cycle: int


def _item(due: DueItem) -> AgendaItem:
    return AgendaItem(
        complaint_id=due.complaint_id,
        external_ref=due.external_ref,
        action=due.action.value,
        due=due.due,
        opens=due.opens,
        assignee=due.assignee,
        team=due.team,
        overdue=due.overdue,
        source=due.source,
        target=due.target,
        promise_id=due.promise_id,
        cycle=due.cycle,
    )


def agenda_items(
    views: Projections,
    as_of: datetime,
    *,
    until: datetime | None = None,
    assignee: str | None = None,
    team: str | None = None,
    tenant: str | None = None,
) -> list[AgendaItem]:
    """What is due by ``until`` (default ``as_of``) as the agenda stood at ``as_of``, earliest
    due first, for one assignee, team or tenant if given."""
    due = views.agenda.due(as_of=as_of, until=until, assignee=assignee, team=team, tenant=tenant)
    return [_item(item) for item in due]

"""``GET /agenda`` until the agenda view (issue #15) lands: what is due, from the SLA view.

Each item is an SLA clock someone must act on: an ongoing breach (``overdue``) or a clock
past its warning threshold. Items carry the fields the agenda view defines
(``complaint_id``, ``external_ref``, ``action``, ``due``, ``assignee``, ``team``,
``overdue``, ``source``), so the agenda view can take this module's place without a
change to the API.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from complaintlog.domain.sla_policy import Metric
from complaintlog.projections import Clock, ComplaintState, Projections

__all__ = ["AgendaItem", "agenda_items"]

_ACTIONS = {
    Metric.ACKNOWLEDGE: "acknowledge",
    Metric.FIRST_RESPONSE: "respond",
    Metric.RESOLVE: "resolve",
    Metric.PROMISE: "inform",  # a promise is kept by informing the customer (or resolving)
    Metric.FOLLOW_UP: "follow_up",
    Metric.SURVEY: "send_survey",
}
"""The agenda's action for a clock of each metric, named as the agenda view names them."""


class AgendaItem(BaseModel):
    complaint_id: UUID
    external_ref: str | None
    action: str
    due: datetime
    assignee: str | None
    team: str | None
    overdue: bool
    source: str
    """What the item comes from: the SLA target's name, or ``promise``."""


def _item(clock: Clock, state: ComplaintState | None, as_of: datetime) -> AgendaItem:
    return AgendaItem(
        complaint_id=clock.complaint_id,
        external_ref=state.external_ref if state else None,
        action=_ACTIONS.get(clock.metric, clock.metric.value),
        due=clock.due,
        assignee=state.assignee if state else None,
        team=state.team if state else None,
        overdue=clock.due < as_of,
        source="promise" if clock.metric is Metric.PROMISE else clock.target,
    )


def agenda_items(
    views: Projections,
    as_of: datetime,
    *,
    until: datetime | None = None,
    assignee: str | None = None,
    team: str | None = None,
) -> list[AgendaItem]:
    """Ongoing breaches and clocks at risk at ``as_of``, due by ``until`` if given, soonest
    first, for one assignee or team if given."""
    clocks = [
        *views.sla.breaches(as_of, ongoing_only=True),
        *views.sla.at_risk(as_of),
    ]
    states: dict[UUID, ComplaintState | None] = {}
    items: list[AgendaItem] = []
    for clock in clocks:
        if until is not None and clock.due > until:
            continue
        if clock.complaint_id not in states:
            states[clock.complaint_id] = views.current_state.get(clock.complaint_id)
        item = _item(clock, states[clock.complaint_id], as_of)
        if assignee is not None and item.assignee != assignee:
            continue
        if team is not None and item.team != team:
            continue
        items.append(item)
    return sorted(items, key=lambda item: (item.due, item.complaint_id.hex, item.action))

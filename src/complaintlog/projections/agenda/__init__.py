"""The agenda: what handlers must do, by when, for whom (acknowledge, respond, inform,
resolve, send the survey, follow up).

Every running SLA clock of a complaint asks for an action by its due time: an
acknowledgement, a first response, keeping a promise (``inform``; a broken promise stays
on the agenda, overdue, until the customer is informed), the resolution of the cycle, the
survey in its window after the resolution, the follow-up. The agenda's fold is the SLA
fold (:class:`AgendaProjection` extends :class:`~complaintlog.projections.sla.SlaProjection`)
and writes, beside the clocks, who holds each complaint and the *segments* of each item:
the item as it stood over a stretch of business time, with its assignee, team and due
time. A met or cancelled clock (the step was taken, the complaint withdrawn or closed), a
pause that stops the clock, a resume that moves its due time, or a reassignment ends a
segment. So ``due(as_of=...)`` answers as the agenda stood then, from one indexed range per
person, team or everyone. Informational targets ask for nothing and are left out.
"""

from complaintlog.projections.agenda._projection import AgendaProjection
from complaintlog.projections.agenda._rows import ITEMS as ITEMS
from complaintlog.projections.agenda._rows import AgendaAction
from complaintlog.projections.agenda._view import AgendaItem, AgendaView

__all__ = ["AgendaAction", "AgendaItem", "AgendaProjection", "AgendaView"]

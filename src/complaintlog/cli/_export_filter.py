"""What ``export --as ACTOR`` leaves out and masks: the read rules of the policy applied to
stored records (complaint events, their reference index entries, refused attempts)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from complaintlog.application import ComplaintLog
from complaintlog.application.authorization.reading import EVERYTHING
from complaintlog.domain.complaint_view import ComplaintView

__all__ = ["ExportFilter"]

_COMPLAINT = "complaintlog.domain.complaint:Complaint."
_REFERENCE = "complaintlog.domain.external_reference:"


class ExportFilter:
    """``filter(notification, state)``: the state to export, masked, or ``None`` to skip."""

    def __init__(self, log: ComplaintLog, actor: str | None) -> None:
        self._log = log
        self.access = log.reading_as(actor).access if actor is not None else EVERYTHING
        self._views: dict[UUID, ComplaintView | None] = {}

    def _view(self, complaint_id: UUID) -> ComplaintView | None:
        if complaint_id not in self._views:
            if len(self._views) > 10_000:
                self._views.clear()
            view = self._log.get(complaint_id)
            self._views[complaint_id] = view if self.access.may_read(view) else None
        return self._views[complaint_id]

    def __call__(self, notification: Notification, state: dict[str, Any]) -> dict[str, Any] | None:
        if self.access is EVERYTHING:
            return state
        topic = notification.topic
        if topic.startswith(_COMPLAINT):
            originator = notification.originator_id
            view = self._view(originator if isinstance(originator, UUID) else UUID(str(originator)))
            if view is None:
                return None
            return self.access.shown_payload(state, view.personal_fields)
        if topic.startswith(_REFERENCE):
            complaint = state.get("complaint_id")
            return state if complaint is not None and self._view(UUID(str(complaint))) else None
        # refused attempts (any team's, any tenant's): for readers of every complaint only
        return state if self.access.teams is None and self.access.tenants is None else None

"""``denied_attempts``: the refusals the authorisation policy recorded, as a query."""

from __future__ import annotations

from complaintlog.application.arguments import ComplaintId
from complaintlog.application.event_store import ComplaintApplication, notifications_of
from complaintlog.application.history import DeniedAttempt
from complaintlog.application.validation import Moment, validated
from complaintlog.domain.access import DENIED_TOPIC, AccessAttempt
from complaintlog.domain.values import Label
from complaintlog.persistence.mapper import PydanticMapper

__all__ = ["DeniedAttempts"]


class DeniedAttempts:
    """The ``denied_attempts`` query of :class:`~complaintlog.ComplaintLog`."""

    _app: ComplaintApplication

    @property
    def mapper(self) -> PydanticMapper:
        raise NotImplementedError

    @validated
    def denied_attempts(
        self,
        *,
        actor: Label | None = None,
        command: Label | None = None,
        complaint_id: ComplaintId | None = None,
        since: Moment | None = None,
    ) -> tuple[DeniedAttempt, ...]:
        """Commands the authorisation policy refused, in recording order, filtered.

        ``since`` compares with the recording time.
        """
        found: list[DeniedAttempt] = []
        for notification in notifications_of(self._app.recorder, DENIED_TOPIC):
            event = self.mapper.to_domain_event(notification)
            assert isinstance(event, AccessAttempt.Denied)
            if actor is not None and event.actor != actor:
                continue
            if command is not None and event.command != command:
                continue
            if complaint_id is not None and event.complaint_id != complaint_id:
                continue
            if since is not None and event.timestamp < since:
                continue
            found.append(
                DeniedAttempt(
                    position=notification.id,
                    attempt_id=event.originator_id,
                    recorded_at=event.timestamp,
                    occurred_at=event.occurred_at,
                    actor=event.actor,
                    roles=event.roles,
                    command=event.command,
                    complaint_id=event.complaint_id,
                    rule=event.rule,
                    detail=event.detail,
                )
            )
        return tuple(found)

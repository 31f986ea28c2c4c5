"""Reading as someone: the complaints an actor may read, personal data masked if need be.

``log.reading_as("kim")`` checks every read against the policy's read rules
(:mod:`complaintlog.application.authorization.reading`); without a policy it shows
everything, like the log itself. A complaint of another team raises
:class:`~complaintlog.errors.NotAuthorizedError` (command ``read``); one of a tenant the
actor's roles do not cover is hidden: :class:`~complaintlog.errors.ComplaintNotFoundError`,
as for an id nobody used, so a brand's staff cannot even learn it exists. Refused reads are
not recorded as events (a reader could otherwise fill the log).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import attrs

from complaintlog.application.authorization.reading import ReadAccess
from complaintlog.application.history import HistoryEntry, Step
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.errors import ComplaintNotFoundError, NotAuthorizedError

if TYPE_CHECKING:
    from complaintlog.application.log import ComplaintLog

__all__ = ["Reader"]


class Reader:
    """The log's queries, as one actor may see them."""

    def __init__(self, log: ComplaintLog, access: ReadAccess) -> None:
        self._log = log
        self.access = access

    def _readable(self, complaint_id: UUID) -> ComplaintView:
        view = self._log.get(complaint_id)
        if not self.access.may_read_tenant(view.tenant):
            raise ComplaintNotFoundError(complaint_id)  # another tenant's: hidden
        if not self.access.may_read(view):
            raise NotAuthorizedError(
                self.access.actor,
                self.access.roles,
                "read",
                "team",
                self.access.why_not(view),
                complaint_id,
            )
        return view

    def may_read(self, complaint_id: UUID) -> bool:
        return self.access.may_read(self._log.get(complaint_id))

    def get(
        self,
        complaint_id: UUID,
        *,
        as_of: datetime | None = None,
        as_known_at: datetime | None = None,
    ) -> ComplaintView:
        now = self._readable(complaint_id)  # readable by the team it belongs to now
        if as_of is None and as_known_at is None:
            return self.access.shown(now)
        return self.access.shown(self._log.get(complaint_id, as_of=as_of, as_known_at=as_known_at))

    def history(self, complaint_id: UUID) -> tuple[HistoryEntry, ...]:
        view = self._readable(complaint_id)
        return tuple(
            attrs.evolve(e, payload=self.access.shown_payload(e.payload, view.personal_fields))
            for e in self._log.history(complaint_id)
        )

    def steps(self, complaint_id: UUID) -> Iterator[Step]:
        view = self._readable(complaint_id)
        for step in self._log.steps(complaint_id):
            entry = attrs.evolve(
                step.entry,
                payload=self.access.shown_payload(step.entry.payload, view.personal_fields),
            )
            state = self.access.shown(step.state) if step.state is not None else None
            yield Step(state=state, command=step.command, entry=entry)

    def find(self, external_ref: str) -> UUID | None:
        """The complaint's id, or ``None`` when there is none or it may not be read."""
        found = self._log.find(external_ref)
        return found if found is not None and self.may_read(found) else None

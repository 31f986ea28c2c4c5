"""A reviewer's records on a complaint's file: notes and the sign-off, in the chained log.

A file review (an auditor, the regulator, the firm's own quality checks) leaves its notes
and its sign-off as events of the complaint, so they are chained, sealed and exported like
every other step, but they are no handling steps: they change neither the status, the last
activity nor any SLA clock, and they are allowed in every status. The authorisation
policy decides who may record them (``note_review`` and ``sign_off``).
"""

from __future__ import annotations

from complaintlog.application.arguments import ComplaintId
from complaintlog.application.commands import CommandMethods
from complaintlog.application.validation import Moment, validated
from complaintlog.domain.values import Label, Text

__all__ = ["ReviewCommands"]


class ReviewCommands(CommandMethods):
    """``note_review`` and ``sign_off`` on a complaint."""

    @validated
    def note_review(
        self,
        complaint_id: ComplaintId,
        *,
        note: Text,
        at: Moment | None = None,
        actor: Label | None = None,
    ) -> None:
        """Record a reviewer's note on the complaint's file."""
        self._run("note_review", dict(locals()), lambda c, s: c.note_review(s, note=note))

    @validated
    def sign_off(
        self,
        complaint_id: ComplaintId,
        *,
        note: Text | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
    ) -> None:
        """Record that a reviewer signed the complaint's file off."""
        self._run("sign_off", dict(locals()), lambda c, s: c.sign_off(s, note=note))

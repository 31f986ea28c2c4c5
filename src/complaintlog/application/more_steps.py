"""The handling steps added with the agenda (#15): survey sending, the desired remedy,
evidence and internal notes.

``StepCommands`` is a base of :class:`~complaintlog.application.commands.CommandMethods`;
its methods validate and run like every other command there, and live apart only to keep
that module short.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, cast

from pydantic import AfterValidator, StringConstraints

from complaintlog.application.arguments import ChannelArg, ComplaintId, RemedyArg
from complaintlog.application.validation import IdempotencyKey, Moment, validated
from complaintlog.domain.complaint import Complaint, Stamp
from complaintlog.domain.values import Channel, Label, Remedy, Text

__all__ = ["Sha256", "StepCommands"]


def _lower(value: str) -> str:
    return value.lower()


Sha256 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Fa-f]{64}$"),
    AfterValidator(_lower),
]
"""A SHA-256 digest in hexadecimal (64 digits; stored in lower case)."""

MediaType = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=255, pattern=r"^[A-Za-z0-9][\w!#$&^.+-]*/[\w!#$&^.+-]+$"
    ),
    AfterValidator(_lower),
]
"""An IANA media type such as ``application/pdf`` (no parameters)."""


class StepCommands:
    """send_survey, record_desired_remedy, attach_evidence and note."""

    if TYPE_CHECKING:

        def _run(
            self,
            command: str,
            arguments: dict[str, Any],
            action: Callable[[Complaint, Stamp], Any],
        ) -> Any: ...

    @validated
    def send_survey(
        self,
        complaint_id: ComplaintId,
        *,
        channel: ChannelArg,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Send the satisfaction survey of the resolved cycle (once per cycle); the policy's
        ``survey`` target measures when (seed 003: 24 to 48 hours after the resolution)."""
        sent_by = cast(Channel, channel)
        self._run("send_survey", dict(locals()), lambda c, s: c.send_survey(s, channel=sent_by))

    @validated
    def record_desired_remedy(
        self,
        complaint_id: ComplaintId,
        *,
        remedy: RemedyArg,
        note: Text | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Record or change the remedy the customer asks for, after intake."""
        wanted = cast(Remedy, remedy)
        self._run(
            "record_desired_remedy",
            dict(locals()),
            lambda c, s: c.record_desired_remedy(s, remedy=wanted, note=note),
        )

    @validated
    def attach_evidence(
        self,
        complaint_id: ComplaintId,
        *,
        name: Label,
        media_type: MediaType,
        sha256: Sha256,
        uri: Label | None = None,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """Record a reference to a document (receipt, letter) kept where the CRM keeps it,
        with its SHA-256 digest; internal, never sent to the customer."""
        self._run(
            "attach_evidence",
            dict(locals()),
            lambda c, s: c.attach_evidence(
                s, name=name, media_type=media_type, sha256=sha256, uri=uri
            ),
        )

    @validated
    def note(
        self,
        complaint_id: ComplaintId,
        *,
        text: Text,
        at: Moment | None = None,
        actor: Label | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> None:
        """An internal note for colleagues; never sent to the customer."""
        self._run("note", dict(locals()), lambda c, s: c.note(s, text=text))

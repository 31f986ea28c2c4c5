"""A complaint's lifecycle as read from one source row, before anything is recorded.

A format turns a row into a :class:`ComplaintPlan`: the ``receive`` arguments and the later
steps in lifecycle order, each with its business time, its actor and the ``source`` text
that explains where the time came from. :meth:`ComplaintPlan.checked` then enforces the
one rule a source can break on its own, time running backwards: such a step is moved to
the previous step's time and the move is written into the complaint's ``correction``
attribute, so the stored history is right and says what was changed. The importer (and the
simulation) only ever run checked plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from complaintlog.application import Batch
from complaintlog.domain.rules import STEP_COMMANDS
from complaintlog.domain.sla_policy import STEPS_NOT_RECORDED
from complaintlog.importing.errors import RowRejectedError

__all__ = ["ComplaintPlan", "Step"]

COMMANDS = frozenset(STEP_COMMANDS)


@attrs.frozen
class Step:
    """One command to run on the complaint after ``receive``.

    ``source`` names where ``at`` came from (``"Date sent to company = 2016-01-05"``);
    ``assumed`` marks a step whose time the source does not give, so a simulation may
    re-time it; its event text already says what was assumed. ``fact`` is the part of
    that text the source does give, and ``text_argument`` the argument holding the text,
    so a re-timed step can say what is real and what is simulated.
    """

    command: str
    at: datetime
    actor: str
    arguments: Mapping[str, Any] = attrs.field(factory=dict)
    source: str = ""
    assumed: bool = False
    fact: str = ""
    text_argument: str = ""

    def __attrs_post_init__(self) -> None:
        if self.command not in COMMANDS:
            msg = f"unknown command {self.command!r}"
            raise ValueError(msg)
        if self.at.tzinfo is None:
            msg = f"{self.command}: naive time {self.at!r}"
            raise ValueError(msg)


@attrs.frozen
class ComplaintPlan:
    """Everything one row says about one complaint."""

    line: int
    external_ref: str
    received_at: datetime
    actor: str
    receive: Mapping[str, Any]
    steps: tuple[Step, ...] = ()
    corrections: tuple[str, ...] = ()
    received_source: str = ""
    day_precision: bool = False
    """The source gives dates only, placed at a time of day: a date of today placed
    after the recording clock (noon US/Eastern before 17:00 UTC) is today, not the
    future, and is recorded at the clock instead."""
    not_recorded: tuple[str, ...] = ()
    """Metrics whose steps this source never records (or only at an assumed time): written
    to the ``steps_not_recorded`` attribute, so their SLA targets do not apply."""
    channel_source: str | None = None
    """A channel value the format did not know, recorded as ``other`` (the raw value stays
    in its column's attribute)."""

    def with_steps(self, steps: tuple[Step, ...]) -> ComplaintPlan:
        return attrs.evolve(self, steps=steps)

    def checked(self, now: datetime) -> ComplaintPlan:
        """The plan with backward times moved forward and explained, or rejected.

        A time after ``now`` (the recording clock) is refused: an import records the past;
        with ``day_precision``, a date of today is recorded at ``now``.
        """
        if self.day_precision:
            return self._today_at_most(now)._checked(now)
        return self._checked(now)

    def _today_at_most(self, now: datetime) -> ComplaintPlan:
        def clamp(at: datetime) -> datetime:
            zone = at.tzinfo
            return now if at > now and at.date() <= now.astimezone(zone).date() else at

        steps = tuple(attrs.evolve(step, at=clamp(step.at)) for step in self.steps)
        return attrs.evolve(self, received_at=clamp(self.received_at), steps=steps)

    def _checked(self, now: datetime) -> ComplaintPlan:
        if self.received_at > now:
            where = f" ({self.received_source})" if self.received_source else ""
            msg = f"received {self.received_at.isoformat()}{where} lies in the future"
            raise RowRejectedError(msg)
        moved: dict[tuple[str, datetime], tuple[str, datetime, list[str]]] = {}
        previous, previous_name = self.received_at, "received"
        steps: list[Step] = []
        for step in self.steps:
            if step.at > now:
                where = f" ({step.source})" if step.source else ""
                msg = f"{step.command} at {step.at.isoformat()}{where} lies in the future"
                raise RowRejectedError(msg)
            if step.at < previous:
                key = (step.source or step.command, step.at)
                moved.setdefault(key, (previous_name, previous, []))[2].append(step.command)
                step = attrs.evolve(step, at=previous)
            steps.append(step)
            previous, previous_name = step.at, step.command
        corrections = [*self.corrections]
        for (source, original), (before, clamped, commands) in moved.items():
            corrections.append(
                f"{source} ({original.isoformat()}) is before {before} "
                f"({clamped.isoformat()}): {', '.join(commands)} recorded at {clamped.isoformat()}"
            )
        if not corrections:
            return attrs.evolve(self, steps=tuple(steps))
        attributes = dict(self.receive.get("attributes") or {})
        attributes["correction"] = "; ".join(corrections)
        receive = {**self.receive, "attributes": attributes}
        return attrs.evolve(
            self, steps=tuple(steps), corrections=tuple(corrections), receive=receive
        )

    @property
    def corrected(self) -> bool:
        return bool(self.corrections)

    def apply(self, batch: Batch) -> UUID:
        """Record the complaint and its steps in ``batch``; returns the complaint's id."""
        receive = dict(self.receive)
        if self.not_recorded:
            attributes = dict(receive.get("attributes") or {})
            attributes[STEPS_NOT_RECORDED] = " ".join(self.not_recorded)
            receive["attributes"] = attributes
        complaint_id = batch.receive(
            **receive,
            external_ref=self.external_ref,
            at=self.received_at,
            actor=self.actor,
        )
        for step in self.steps:
            command = getattr(batch, step.command)
            command(complaint_id, at=step.at, actor=step.actor, **step.arguments)
        return complaint_id

"""The runner: a log with your rules beside a shadow log without them, judged by your spec.

Checking a log that enforces rule R against R itself finds nothing: the same mistake is on
both sides. The runner asks an independent question instead. You write the *spec*: a
plain function saying whether the last of some recorded steps breaks your policy, written
from the policy's text, not from the rules. For every command of a lifecycle the runner
runs it on the shadow log (no rules), asks the spec about the steps it recorded, and runs
it on the ruled log:

- the rules refused it, but the spec finds no breach: an **over-refusal**;
- the rules let it through, but the spec finds a breach: a **breach got through**.

A refused command is left out of both logs, and the lifecycle goes on; commands the
built-in rules then refuse are skipped in both. ``receive`` is never refused: the rules
flag a new complaint instead (its ``rule_flags`` attribute), so there a flag is the
rules' "refusal": flagged without a breach is an over-refusal, a breach not flagged got
through; the complaint is recorded either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.application.commands import RULE_FLAGS
from complaintlog.application.history import Step
from complaintlog.domain.rules import ProcessRule
from complaintlog.errors import ComplaintRuleError, RuleViolationError
from complaintlog.testing.coverage import report, watched
from complaintlog.testing.lifecycle import Lifecycle, PlannedCommand
from complaintlog.testing.model import SteppingClock

__all__ = ["RuleDisagreement", "RunReport", "Spec", "check_rules_against_spec"]

Spec = Callable[[Sequence[Step]], str | None]
"""Why the last of these recorded steps (oldest first) breaks the policy, or ``None``."""


class RuleDisagreement(AssertionError):
    """The rules and the spec disagree about a command."""


@attrs.frozen
class RunReport:
    """What happened to a lifecycle under the rules."""

    recorded: tuple[PlannedCommand, ...]
    refused: tuple[tuple[PlannedCommand, str, str], ...]
    """Each refused command with the refusing rule and its reason."""
    coverage: tuple[str, ...]
    """One line per rule: refused, applied or not reached in this lifecycle."""


def check_rules_against_spec(
    rules: Iterable[ProcessRule],
    spec: Spec,
    lifecycle: Lifecycle,
    *,
    log_options: dict[str, Any] | None = None,
) -> RunReport:
    """Drive ``lifecycle`` through a log with ``rules`` and a shadow log without them.

    Raises :class:`RuleDisagreement` at the first command where the rules and ``spec``
    disagree. In a hypothesis test it also records each rule's coverage
    (``hypothesis.event``) and closest margin (``hypothesis.target``).
    ``log_options`` go to both logs (e.g. an authorisation ``policy``).
    """
    options = dict(log_options or {})
    options.setdefault("clock", SteppingClock(lifecycle.ends_at + timedelta(days=1)))
    rules_watched, watches = watched(rules)
    with ComplaintLog("memory://", rules=rules_watched, **options) as ruled:
        run = _Run(ruled, options, spec)
        for index, planned in enumerate(lifecycle.commands):
            run.step(index, planned)
        run.close()
    return RunReport(tuple(run.recorded), tuple(run.refused), tuple(report(watches)))


class _Run:
    def __init__(self, ruled: ComplaintLog, options: dict[str, Any], spec: Spec) -> None:
        self.ruled, self.options, self.spec = ruled, options, spec
        self.shadow = ComplaintLog("memory://", **options)
        self.ids: tuple[UUID, UUID] | None = None
        self.recorded: list[PlannedCommand] = []
        self.refused: list[tuple[PlannedCommand, str, str]] = []

    def close(self) -> None:
        self.shadow.close()

    def step(self, index: int, planned: PlannedCommand) -> None:
        if planned.name != "receive" and self.ids is None:
            return  # the complaint was never received
        shadow_steps = self.shadow.get(self.ids[1]).version if self.ids else 0
        try:
            shadow_id = _apply(self.shadow, self.ids[1] if self.ids else None, planned)
        except ComplaintRuleError as built_in:  # skipped in both logs
            self._expect_refusal_too(index, planned, built_in)
            return
        steps = list(self.shadow.steps(shadow_id))
        breach = next(
            (r for k in range(shadow_steps, len(steps)) if (r := self.spec(steps[: k + 1]))),
            None,
        )
        try:
            ruled_id = _apply(self.ruled, self.ids[0] if self.ids else None, planned)
        except RuleViolationError as refusal:
            if breach is None:
                msg = (
                    f"over-refusal at command {index} {planned!r}: rule {refusal.rule!r} "
                    f"refused it ({refusal.detail}), but the spec finds no breach"
                )
                raise RuleDisagreement(msg) from None
            self.refused.append((planned, refusal.rule, refusal.detail))
            self._rebuild_shadow()
            return
        flag = self._rules_flag(ruled_id, shadow_id) if planned.name == "receive" else None
        if flag is not None and breach is None:
            msg = (
                f"over-refusal at command {index} {planned!r}: the rules flagged the new "
                f"complaint ({flag}), but the spec finds no breach"
            )
            raise RuleDisagreement(msg)
        if breach is not None and flag is None:
            msg = (
                f"breach got through at command {index} {planned!r}: the rules let it "
                f"through, but the spec says: {breach}"
            )
            raise RuleDisagreement(msg)
        self.recorded.append(planned)
        self.ids = self.ids or (ruled_id, shadow_id)

    def _rules_flag(self, ruled_id: UUID, shadow_id: UUID) -> str | None:
        """The flags the rules put on a new complaint (beyond the shadow's: a policy in
        both logs flags alike)."""
        ruled = dict(self.ruled.get(ruled_id).attributes).get(RULE_FLAGS, "")
        shadow = dict(self.shadow.get(shadow_id).attributes).get(RULE_FLAGS, "")
        return ruled.removeprefix(shadow).removeprefix("; ") or None

    def _expect_refusal_too(
        self, index: int, planned: PlannedCommand, built_in: ComplaintRuleError
    ) -> None:
        try:
            _apply(self.ruled, self.ids[0] if self.ids else None, planned)
        except ComplaintRuleError as refusal:
            if type(refusal) is type(built_in):
                return
            msg = (
                f"command {index} {planned!r}: the shadow log says {built_in}, "
                f"the ruled log {refusal}"
            )
            raise RuleDisagreement(msg) from None
        msg = (
            f"command {index} {planned!r}: the ruled log recorded what the shadow "
            f"refused: {built_in}"
        )
        raise RuleDisagreement(msg)

    def _rebuild_shadow(self) -> None:
        """The shadow recorded a command the rules refused: replay the accepted ones."""
        self.shadow.close()
        self.shadow = ComplaintLog("memory://", **self.options)
        shadow_id: UUID | None = None
        for planned in self.recorded:
            shadow_id = _apply(self.shadow, shadow_id, planned)
        if self.ids is not None and shadow_id is not None:
            self.ids = (self.ids[0], shadow_id)


def _apply(log: ComplaintLog, cid: UUID | None, planned: PlannedCommand) -> UUID:
    if planned.name == "receive":
        return log.receive(at=planned.at, **planned.arguments)
    if cid is None:
        msg = f"{planned.name} before the complaint was received"
        raise RuleDisagreement(msg)
    getattr(log, planned.name)(cid, at=planned.at, **planned.arguments)
    return cid

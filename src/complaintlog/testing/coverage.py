"""Which rules a property test reached: watched rules, hypothesis events and targets.

Each rule is wrapped so the runner learns, per example, whether it refused a command,
judged one it is about (it let it through, and gave a margin if it measures one), or was
never reached. ``hypothesis.event()`` reports that per rule, so the pytest summary
(``--hypothesis-show-statistics``) shows a rule reached in 0% of examples; the smallest
margin of each rule goes to ``hypothesis.target()``, so the search moves to the edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

import attrs
from hypothesis import event, target
from hypothesis.control import currently_in_test_context

from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.rules import Command, ProcessRule, RuleGroup, margin_of, measures_margin

__all__ = ["Outcome", "RuleWatch", "watched"]

Outcome = Literal["refused", "applied", "not reached"]


@attrs.define
class RuleWatch:
    """What one rule did over one example."""

    name: str
    refused: int = 0
    applied: int = 0
    closest: float | None = None
    """The smallest ``abs(margin)`` the rule reported."""

    @property
    def outcome(self) -> Outcome:
        if self.refused:
            return "refused"
        return "applied" if self.applied else "not reached"


@attrs.frozen
class _Watched:
    rule: ProcessRule
    watch: RuleWatch

    @property
    def name(self) -> str:
        return self.rule.name

    def __call__(self, state: ComplaintView | None, command: Command) -> str | None:
        reason = self.rule(state, command)
        margin = margin_of(self.rule, state, command)
        if margin is not None:
            closest = self.watch.closest
            self.watch.closest = abs(margin) if closest is None else min(closest, abs(margin))
        if reason is not None:
            self.watch.refused += 1
        elif margin is not None or not measures_margin(self.rule):
            self.watch.applied += 1
        return reason


def watched(rules: Iterable[ProcessRule]) -> tuple[list[ProcessRule], list[RuleWatch]]:
    """The rules wrapped for watching (groups kept, their members wrapped), and the watches."""
    watches: list[RuleWatch] = []

    def wrap(rule: ProcessRule) -> ProcessRule:
        if isinstance(rule, RuleGroup):
            return RuleGroup(rule.name, tuple(wrap(member) for member in rule.rules))
        watch = RuleWatch(rule.name)
        watches.append(watch)
        return _Watched(rule, watch)

    return [wrap(rule) for rule in rules], watches


def report(watches: Iterable[RuleWatch]) -> Iterator[str]:
    """Tell hypothesis each rule's outcome and closest margin (in a test); yield the lines."""
    in_test = currently_in_test_context()
    for watch in watches:
        line = f"rule {watch.name!r}: {watch.outcome}"
        if in_test:
            event(line)
            if watch.closest is not None:
                target(-watch.closest, label=f"closeness to the edge of {watch.name!r}")
        yield line

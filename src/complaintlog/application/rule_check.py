"""Rules against recorded history: every breach in a store, not only the first.

Used by ``complaintlog.testing.check_store`` and ``complaintlog rules check``; needs no
test libraries, so it runs on a production store too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from uuid import UUID

import attrs

from complaintlog.application.history import Step
from complaintlog.application.log import ComplaintLog
from complaintlog.domain.rules import ProcessRule, RuleGroup

__all__ = ["Breach", "breaches_in", "check_store"]


@attrs.frozen
class Breach:
    """One recorded step that a rule would have refused."""

    complaint_id: UUID
    version: int
    event: str
    occurred_at: datetime
    rule: str
    reason: str
    group: str | None = None

    def __str__(self) -> str:
        rule = self.rule if self.group is None else f"{self.rule} (in {self.group})"
        return (
            f"complaint {self.complaint_id} v{self.version} {self.event} at "
            f"{self.occurred_at.isoformat()} breaks {rule!r}: {self.reason}"
        )


def _leaves(
    rules: Iterable[ProcessRule], group: str | None = None
) -> Iterator[tuple[ProcessRule, str | None]]:
    for rule in rules:
        if isinstance(rule, RuleGroup):
            yield from _leaves(rule.rules, rule.name)
        else:
            yield rule, group


def breaches_in(steps: Iterable[Step], rules: Iterable[ProcessRule]) -> Iterator[Breach]:
    """Every (step, rule) pair of a replay where the rule refuses the recorded command."""
    leaves = list(_leaves(rules))
    for step in steps:
        for rule, group in leaves:
            reason = rule(step.state, step.command)
            if reason is not None:
                entry = step.entry
                yield Breach(
                    entry.complaint_id,
                    entry.version,
                    entry.event,
                    entry.occurred_at,
                    rule.name,
                    reason,
                    group,
                )


def check_store(log: ComplaintLog, rules: ProcessRule | Iterable[ProcessRule]) -> list[Breach]:
    """Replay every complaint of the log's store and list every breach of ``rules``.

    Each breach names the complaint, the step (version, event, business time), the rule
    (and its ``all_of`` group) and the rule's reason. An empty list: the history keeps
    the rules.
    """
    chosen = [rules] if isinstance(rules, ProcessRule) else list(rules)
    found: list[Breach] = []
    for complaint_id in log.complaint_ids():
        found.extend(breaches_in(log.steps(complaint_id), chosen))
    return found

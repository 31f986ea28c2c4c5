"""Assertions for tests of complaint handling: recorded history against a rule."""

from __future__ import annotations

from collections.abc import Iterable

from complaintlog.rules import ProcessRule
from complaintlog.views import Step

__all__ = ["assert_history_satisfies"]


def assert_history_satisfies(steps: Iterable[Step], rule: ProcessRule) -> None:
    """Fail with the step and the reason where recorded history breaks ``rule``.

    ``steps`` comes from ``log.steps(complaint_id)``: each step pairs the complaint as it
    stood with the command recorded next, so a rule is judged on what was known then.
    """
    for step in steps:
        reason = rule(step.state, step.command)
        if reason is not None:
            entry = step.entry
            msg = (
                f"complaint {entry.complaint_id} v{entry.version} {entry.event} at "
                f"{entry.occurred_at.isoformat()} breaks {rule.name!r}: {reason}"
            )
            raise AssertionError(msg)

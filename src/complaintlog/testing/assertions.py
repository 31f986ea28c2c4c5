"""Assertions for tests of complaint handling: recorded history against a rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from complaintlog.application import ComplaintLog
from complaintlog.application.history import Step
from complaintlog.domain.rules import ProcessRule
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import Projections
from complaintlog.projections._store import SqliteViewStore

__all__ = ["assert_history_satisfies", "assert_no_breach"]


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


def assert_no_breach(
    log: ComplaintLog,
    policy: SlaPolicy,
    as_of: datetime,
    *,
    include_informational: bool = False,
) -> None:
    """Fail, listing the breaching clocks, if any SLA target of ``policy`` is breached.

    The views are built in memory from the log (the stored views are not touched), so the
    assertion works on any store and under any policy.
    """
    store = SqliteViewStore(":memory:")
    try:
        with Projections(log, policy=policy, store=store) as views:
            views.catch_up()
            breaches = views.sla.breaches(as_of, include_informational=include_informational)
    finally:
        store.close()
    if breaches:
        lines = [
            f"  complaint {c.complaint_id} {c.target} (cycle {c.cycle}): due "
            f"{c.due.isoformat()}, {'met ' + c.met_at.isoformat() if c.met_at else 'not met'}"
            for c in breaches[:20]
        ]
        more = f"\n  ... and {len(breaches) - 20} more" if len(breaches) > 20 else ""
        msg = f"{len(breaches)} breach(es) of policy {policy.name!r} as of {as_of.isoformat()}:\n"
        raise AssertionError(msg + "\n".join(lines) + more)

"""The house policy as an auditor reads it, judged on recorded events alone.

This is the independent side of the property tests: it does not import the rules, it
reads what the log recorded (``Step.entry``: event name, payload, actor, business time)
and says whether the last step breaks the policy. Where it and the rules disagree, one of
them is wrong, and the runner shows the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from complaintlog.application.history import Step

MANAGEMENT_LEVELS = {"management", "executive"}
FINAL_RESPONSE = timedelta(weeks=8)  # FCA DISP 1.6: final response within eight weeks


def policy_spec(steps: Sequence[Step]) -> str | None:
    """Why the last of ``steps`` breaks the house policy, or ``None``."""
    *before, last = steps
    entry = last.entry
    if entry.event == "Resolved" and entry.payload.get("compensation"):
        return _compensation(before, entry.payload["compensation"], entry.actor)
    if entry.event == "PromiseMade":
        due = datetime.fromisoformat(entry.payload["due"])
        cycle_start = max(
            s.entry.occurred_at for s in steps if s.entry.event in {"Received", "Reopened"}
        )
        if due > cycle_start + FINAL_RESPONSE:
            return f"promise due {due} is after the final response deadline"
    if entry.event == "Resolved":
        return _third_resolution(before)
    return None


def _compensation(
    before: Sequence[Step], money: dict[str, str], resolver: str | None
) -> str | None:
    escalators = [
        s.entry.actor
        for s in before
        if s.entry.event == "Escalated" and s.entry.payload["level"] in MANAGEMENT_LEVELS
    ]
    product = None
    for s in before:  # the category as last recorded
        category = (
            s.entry.payload.get("category")
            if s.entry.event in {"Received", "Reclassified"}
            else None
        )
        if category:
            product = category.get("product")
    if product == "Mortgage" and not escalators:
        return "mortgage compensation without an escalation to management"
    if money["currency"] == "EUR" and Decimal(money["amount"]) > 500:
        if not escalators:
            return f"{money['amount']} EUR without an escalation to management"
        if resolver is None or all(e is None or e == resolver for e in escalators):
            return f"{money['amount']} EUR approved by {resolver!r}, who escalated it: no four eyes"
    return _third_resolution(before)


def _third_resolution(before: Sequence[Step]) -> str | None:
    resolutions = [i for i, s in enumerate(before) if s.entry.event == "Resolved"]
    if len(resolutions) >= 2 and not any(
        s.entry.event == "Escalated" for s in before[resolutions[1] + 1 :]
    ):
        return "a third resolution without an escalation after the second"
    return None

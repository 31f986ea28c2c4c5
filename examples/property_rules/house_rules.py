"""A company's own complaint-handling rules, written as plain complaintlog rules.

``ACKNOWLEDGE_BEFORE_PROMISING`` is the rule as first written: "never promise anything
before the customer has been acknowledged". The property test in ``test_house_rules.py``
finds that the first version lets a promise slip through on a complaint that was assigned
but never acknowledged (its status is then ``in_progress``, not ``received``), because it
looked at the status instead of the acknowledgement. The fixed version is
``acknowledge_before_promising``.
"""

from __future__ import annotations

from decimal import Decimal

from complaintlog import ComplaintView
from complaintlog.rules import Command, process_rule

COMPENSATION_LIMIT = Decimal(500)


@process_rule("compensation above 500 EUR needs management")
def big_compensation_needs_management(state: ComplaintView | None, command: Command) -> str | None:
    """Larger payouts are decided by management, after an escalation."""
    if command.name != "resolve" or state is None:
        return None
    money = command.arguments.get("compensation")
    if money is None or money.currency != "EUR" or money.amount <= COMPENSATION_LIMIT:
        return None
    if state.escalation_level is not None and state.escalation_level.rank >= 3:
        return None
    return f"{money} is above {COMPENSATION_LIMIT} EUR: escalate to management first"


@process_rule("promise only after acknowledging (first version)")
def acknowledge_before_promising_v1(state: ComplaintView | None, command: Command) -> str | None:
    """First version: looks at the status, which moves on without an acknowledgement."""
    if command.name == "make_promise" and state is not None and state.status == "received":
        return "acknowledge the complaint before promising anything"
    return None


@process_rule("promise only after acknowledging")
def acknowledge_before_promising(state: ComplaintView | None, command: Command) -> str | None:
    """Fixed: the acknowledgement is a fact of the complaint, not of its current status."""
    if command.name == "make_promise" and state is not None and state.acknowledged_at is None:
        return "acknowledge the complaint before promising anything"
    return None


HOUSE_RULES = (big_compensation_needs_management, acknowledge_before_promising)

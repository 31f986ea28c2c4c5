"""A company's own process rules: the public face of :mod:`complaintlog.domain.rules`.

A rule is any callable ``rule(state, command) -> str | None`` with a ``name``; see
:mod:`complaintlog.domain.rules` for the protocol and :func:`process_rule` to write one.
"""

from complaintlog.domain.rules import (
    STEP_COMMANDS,
    Command,
    Margin,
    ProcessRule,
    Refusal,
    RuleGroup,
    RuleViolationError,
    all_of,
    check_rules,
    first_refusal,
    leaf_rules,
    margin_of,
    measures_margin,
    process_rule,
)

__all__ = [
    "STEP_COMMANDS",
    "Command",
    "Margin",
    "ProcessRule",
    "Refusal",
    "RuleGroup",
    "RuleViolationError",
    "all_of",
    "check_rules",
    "first_refusal",
    "leaf_rules",
    "margin_of",
    "measures_margin",
    "process_rule",
]

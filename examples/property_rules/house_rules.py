"""A bank's four house rules for complaint handling, written with complaintlog's public API.

1. Compensation on a mortgage complaint only after an escalation to management.
2. No compensation above 500 EUR without an escalation to management and four eyes: the
   person who resolves is not the person who escalated (and both are known).
3. No promise due after the regulatory deadline (the FCA's final response, 8 weeks from
   the start of the current cycle).
4. Escalate before a third resolution: a complaint resolved twice is escalated after its
   second resolution before it is resolved again.

``policy_spec`` in ``spec.py`` says the same in other words, from the recorded events, and
the property tests check the rules against it.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from complaintlog import ComplaintView, EscalationLevel, SlaPolicy
from complaintlog.rules import Command, all_of, process_rule

MANAGEMENT = EscalationLevel.MANAGEMENT
LIMIT = Decimal(500)
REGULATOR = SlaPolicy.preset("fca")
DEADLINE = "final_response"


def _is_management(level: EscalationLevel) -> bool:
    """Management decides inside the company: an ombudsman or a court is no approval.

    The first version read ``level.rank >= MANAGEMENT.rank``; the property test against
    the spec found a mortgage paid out after an escalation to the ombudsman only.
    """
    return level in {MANAGEMENT, EscalationLevel.EXECUTIVE}


def _mortgage_compensation(state: ComplaintView | None, command: Command) -> float | None:
    """Reached (margin 0) for a compensation on a mortgage complaint."""
    if command.name != "resolve" or state is None or command.arguments.get("compensation") is None:
        return None
    if state.category is None or state.category.product != "Mortgage":
        return None
    return 0.0


@process_rule(
    "mortgage compensation only after escalation to management", margin=_mortgage_compensation
)
def mortgage_compensation_needs_management(
    state: ComplaintView | None, command: Command
) -> str | None:
    if _mortgage_compensation(state, command) is None:
        return None
    if not any(_is_management(e.level) for e in state.escalations):  # type: ignore[union-attr]
        return "compensation on a mortgage complaint needs an escalation to management first"
    return None


@attrs.frozen
class CompensationLimit:
    """Compensation above ``limit`` needs a management escalation and a second person."""

    limit: Decimal = LIMIT
    currency: str = "EUR"
    four_eyes: bool = True

    @property
    def name(self) -> str:
        return f"compensation above {self.limit} {self.currency} needs escalation and four eyes"

    def margin(self, state: ComplaintView | None, command: Command) -> float | None:
        money = command.arguments.get("compensation") if command.name == "resolve" else None
        if money is None or money.currency != self.currency:
            return None
        return float(money.amount - self.limit)

    def within_limit(self, over: float) -> bool:
        return over <= 0

    def __call__(self, state: ComplaintView | None, command: Command) -> str | None:
        over = self.margin(state, command)
        if state is None or over is None or self.within_limit(over):
            return None
        escalations = [e for e in state.escalations if _is_management(e.level)]
        if not escalations:
            return f"{over:.2f} {self.currency} over the limit: escalate to management first"
        others = {e.actor for e in escalations if e.actor not in (None, command.actor)}
        if self.four_eyes and (command.actor is None or not others):
            return (
                f"four eyes: the payout needs a known approver other than whoever escalated "
                f"(resolver {command.actor!r})"
            )
        return None


@attrs.frozen
class PromiseWithinDeadline:
    """A promise falls due by the regulator's deadline for the current cycle."""

    policy: SlaPolicy = REGULATOR
    target: str = DEADLINE

    @property
    def name(self) -> str:
        return f"no promise due after the {self.policy.name} {self.target} deadline"

    def margin(self, state: ComplaintView | None, command: Command) -> float | None:
        if command.name != "make_promise" or state is None:
            return None
        deadline = self.policy.target(self.target).due(state.cycle_started_at, self.policy.calendar)
        return (deadline - command.arguments["due"]).total_seconds()

    def __call__(self, state: ComplaintView | None, command: Command) -> str | None:
        left = self.margin(state, command)
        if left is not None and left < 0:
            return f"due {-left:.0f} s after the regulatory deadline of this cycle"
        return None


def _third_resolution(state: ComplaintView | None, command: Command) -> float | None:
    if command.name != "resolve" or state is None or len(state.resolutions) < 2:
        return None
    return 0.0


@process_rule("escalate before a third resolution", margin=_third_resolution)
def escalate_before_third_resolution(state: ComplaintView | None, command: Command) -> str | None:
    if _third_resolution(state, command) is None:
        return None
    steps = [step.name for step in command.prior_steps()]
    resolved = [i for i, name in enumerate(steps) if name == "resolve"]
    if "escalate" not in steps[resolved[1] + 1 :]:
        return "resolved twice already: escalate before resolving again"
    return None


HOUSE_RULES = all_of(
    "house rules",
    [
        mortgage_compensation_needs_management,
        CompensationLimit(),
        PromiseWithinDeadline(),
        escalate_before_third_resolution,
    ],
)

"""Property tests of the house rules with complaintlog's toolkit.

Run with ``pytest examples/property_rules``. The suite's own test of this example checks
that the property finds the flaw of the first version and passes for the fixed one.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from house_rules import (
    HOUSE_RULES,
    acknowledge_before_promising,
    acknowledge_before_promising_v1,
    big_compensation_needs_management,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from complaintlog import ComplaintLog, RuleViolationError
from complaintlog.rules import ProcessRule
from complaintlog.testing import (
    ComplaintLifecycleMachine,
    Lifecycle,
    SteppingClock,
    apply_lifecycle,
    assert_history_satisfies,
    lifecycles,
)

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def history_keeps(rule: ProcessRule, lifecycle: Lifecycle) -> None:
    """Record the lifecycle with no rules, then judge the recorded history by ``rule``.

    This is the question an auditor asks of old data: did we keep our rule?
    """
    with ComplaintLog(clock=SteppingClock(lifecycle.ends_at + timedelta(days=1))) as log:
        cid = apply_lifecycle(log, lifecycle)
        assert_history_satisfies(log.steps(cid), rule)


def enforced_rule_is_never_broken(rule: ProcessRule, lifecycle: Lifecycle) -> None:
    """With the rule enforced, whatever gets recorded satisfies it."""
    clock = SteppingClock(lifecycle.ends_at + timedelta(days=1))
    with ComplaintLog(clock=clock, rules=[rule]) as log:
        try:
            cid = apply_lifecycle(log, lifecycle)
        except RuleViolationError:
            return  # refused, and refusing is what the rule is for
        assert_history_satisfies(log.steps(cid), acknowledge_before_promising)


@SETTINGS
@given(lifecycle=lifecycles(max_steps=12))
def test_enforcing_the_fixed_rule_keeps_every_history_clean(lifecycle: Lifecycle) -> None:
    enforced_rule_is_never_broken(acknowledge_before_promising, lifecycle)


def test_the_first_version_lets_an_unacknowledged_promise_through() -> None:
    """Hypothesis finds the flaw: enforcing v1 still records a promise before any ack.

    Searching only (no shrinking) and derandomized, so the demonstration is quick and stable;
    run ``property_under_v1`` with default settings to see the shrunk counterexample.
    """

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(lifecycle=lifecycles(max_steps=12))
    def property_under_v1(lifecycle: Lifecycle) -> None:
        enforced_rule_is_never_broken(acknowledge_before_promising_v1, lifecycle)

    with pytest.raises(AssertionError, match="acknowledge the complaint before promising"):
        property_under_v1()


@SETTINGS
@given(amount=st.integers(501, 5000))
def test_large_compensation_needs_management(amount: int) -> None:
    with ComplaintLog(rules=HOUSE_RULES) as log:
        cid = log.receive(customer={"id": "c"}, channel="web", subject="s", description="d")
        payout = {"amount": str(amount), "currency": "EUR"}
        with pytest.raises(RuleViolationError, match="escalate to management"):
            log.resolve(
                cid, remedy="compensation", summary="x", compensation=payout, first_contact=True
            )
        log.escalate(cid, level="management", reason="large payout")
        log.resolve(
            cid, remedy="compensation", summary="x", compensation=payout, first_contact=True
        )
        assert_history_satisfies(log.steps(cid), big_compensation_needs_management)


class HouseRulesMachine(ComplaintLifecycleMachine):
    """The built-in lifecycle machine, on a log that enforces the house rules."""

    def make_log(self, clock: SteppingClock) -> ComplaintLog:
        return ComplaintLog("memory://", clock=clock, rules=HOUSE_RULES)


TestHouseRulesMachine = HouseRulesMachine.TestCase
TestHouseRulesMachine.settings = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

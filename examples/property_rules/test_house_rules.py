"""Property tests of the house rules with complaintlog's toolkit: the documented pattern.

Run with ``pytest examples/property_rules --hypothesis-show-statistics`` to see how often
each rule was reached, refused or applied.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from house_rules import HOUSE_RULES, LIMIT, REGULATOR, CompensationLimit
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from planted_bugs import PLANTED
from spec import policy_spec

from complaintlog import ComplaintLog, RuleViolationError
from complaintlog.rules import ProcessRule
from complaintlog.testing import (
    ComplaintLifecycleMachine,
    Lifecycle,
    RuleDisagreement,
    SteppingClock,
    check_rules_against_spec,
    check_store,
    deadline_edges,
    lifecycles,
    money,
    policy_times,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def house_lifecycles() -> st.SearchStrategy[Lifecycle]:
    """Lifecycles aimed at the house rules: the knobs put examples where the rules act."""
    return lifecycles(
        start=policy_times(REGULATOR),  # around London's DST changes and bank holidays
        min_steps=2,
        max_steps=16,
        actors=["ana", "ivo"],  # few people, so the escalator often resolves too
        products=st.sampled_from(["Mortgage", "Current account", None]),
        amounts=money(["EUR"], near=[LIMIT], max_amount=1000),
        promise_due=deadline_edges(REGULATOR, "final_response"),
        levels=["management", "executive", "ombudsman"],  # the levels the rules turn on
        weights={"withdraw": 0, "resolve": 6, "reopen": 6, "escalate": 10},
    )


def runs_against_the_spec(rules: ProcessRule, lifecycle: Lifecycle) -> None:
    check_rules_against_spec([rules], policy_spec, lifecycle)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lifecycle=house_lifecycles())
def test_the_house_rules_refuse_exactly_what_the_policy_forbids(lifecycle: Lifecycle) -> None:
    runs_against_the_spec(HOUSE_RULES, lifecycle)


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_the_property_catches_a_planted_bug(bug: str) -> None:
    """Searching only, derandomized: the same few hundred examples every run."""

    @settings(
        max_examples=1000,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(lifecycle=house_lifecycles())
    def property_with_the_bug(lifecycle: Lifecycle) -> None:
        runs_against_the_spec(PLANTED[bug], lifecycle)

    with pytest.raises(RuleDisagreement):
        property_with_the_bug()


def test_four_eyes_refuses_the_escalator_and_lets_a_colleague_pay() -> None:
    with ComplaintLog(rules=[HOUSE_RULES], clock=SteppingClock(T0 + timedelta(days=1))) as log:
        cid = log.receive(customer={"id": "c"}, channel="web", subject="s", description="d", at=T0)
        log.acknowledge(cid, at=T0)
        payout = {"amount": "500.01", "currency": "EUR"}
        with pytest.raises(RuleViolationError) as raised:
            log.resolve(cid, remedy="compensation", summary="x", compensation=payout, at=T0)
        assert (raised.value.rule, raised.value.group) == (CompensationLimit().name, "house rules")
        log.escalate(cid, level="management", reason="payout", actor="ivo", at=T0)
        with pytest.raises(RuleViolationError, match="four eyes"):
            log.resolve(
                cid, remedy="compensation", summary="x", compensation=payout, actor="ivo", at=T0
            )
        log.resolve(
            cid, remedy="compensation", summary="x", compensation=payout, actor="ana", at=T0
        )
        assert log.get(cid).resolutions[-1].compensation.amount == Decimal("500.01")


def test_exactly_the_limit_needs_no_escalation() -> None:
    with ComplaintLog(rules=[HOUSE_RULES], clock=SteppingClock(T0 + timedelta(days=1))) as log:
        cid = log.receive(customer={"id": "c"}, channel="web", subject="s", description="d", at=T0)
        payout = {"amount": "500.00", "currency": "EUR"}
        log.resolve(
            cid, remedy="compensation", summary="x", compensation=payout, first_contact=True
        )


def test_a_store_recorded_without_the_rules_lists_every_breach() -> None:
    with ComplaintLog(clock=SteppingClock(T0 + timedelta(weeks=20))) as log:
        cid = log.receive(
            customer={"id": "c"},
            channel="web",
            subject="s",
            description="d",
            category={"product": "Mortgage"},
            at=T0,
        )
        log.make_promise(cid, promise="final answer", due=T0 + timedelta(weeks=9), at=T0)
        payout = {"amount": "900", "currency": "EUR"}
        log.resolve(
            cid, remedy="compensation", summary="x", compensation=payout, first_contact=True
        )
        breaches = check_store(log, [HOUSE_RULES])
    assert [(b.version, b.event, b.rule) for b in breaches] == [
        (2, "PromiseMade", "no promise due after the fca final_response deadline"),
        (4, "Resolved", "mortgage compensation only after escalation to management"),
        (4, "Resolved", CompensationLimit().name),
    ]


class HouseRulesMachine(ComplaintLifecycleMachine):
    """The lifecycle machine on a log with the house rules: refusals record nothing."""

    def make_log(self, clock: SteppingClock) -> ComplaintLog:
        return ComplaintLog("memory://", clock=clock, rules=[HOUSE_RULES])


TestHouseRulesMachine = HouseRulesMachine.TestCase
TestHouseRulesMachine.settings = settings(
    max_examples=15,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

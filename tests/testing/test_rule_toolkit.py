"""What rules can see, the spec runner, coverage, check_store and plain counterexamples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintlog import ComplaintLog, ComplaintView, EscalationLevel, SlaPolicy
from complaintlog.application.history import Step
from complaintlog.rules import Command, all_of, process_rule
from complaintlog.testing import (
    Lifecycle,
    PlannedCommand,
    RuleDisagreement,
    SteppingClock,
    apply_lifecycle,
    check_rules_against_spec,
    check_store,
    deadline_edges,
    dst_changes,
    lifecycles,
    money,
    policy_times,
)
from complaintlog.testing.model import ModelComplaint

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new(log: ComplaintLog) -> object:
    return log.receive(customer={"id": "c"}, channel="web", subject="s", description="d", at=T0)


# -- what a rule sees ----------------------------------------------------------------------


def test_the_view_lists_escalations_with_actor_and_the_cycle_start() -> None:
    with ComplaintLog(clock=SteppingClock(at(600))) as log:
        cid = new(log)
        log.escalate(cid, level="supervisor", reason="slow", actor="ana", at=at(1))
        log.escalate(cid, level="management", reason="payout", actor="ivo", at=at(2))
        log.resolve(cid, remedy="apology", summary="x", first_contact=True, at=at(3))
        assert log.get(cid).cycle_started_at == T0
        log.reopen(cid, reason="dispute", at=at(50))
        view = log.get(cid)
    assert [(e.level, e.reason, e.actor, e.at) for e in view.escalations] == [
        (EscalationLevel.SUPERVISOR, "slow", "ana", at(1)),
        (EscalationLevel.MANAGEMENT, "payout", "ivo", at(2)),
    ]
    assert view.cycle_started_at == at(50)


def test_prior_steps_are_the_same_live_in_a_batch_and_in_a_replay() -> None:
    seen: list[tuple[str, ...]] = []

    @process_rule("watch")
    def watch(state: ComplaintView | None, command: Command) -> str | None:
        if command.name == "resolve":
            seen.append(tuple(step.name for step in command.prior_steps()))
        return None

    expected = ("receive", "escalate", "acknowledge")
    with ComplaintLog(rules=[watch], clock=SteppingClock(at(600))) as log:
        live = new(log)
        log.escalate(live, level="supervisor", reason="slow", at=at(1))
        log.acknowledge(live, at=at(2))
        log.resolve(live, remedy="apology", summary="x", at=at(3))
        with log.batch() as batch:  # a complaint that is not stored yet
            pending = new(batch)  # type: ignore[arg-type]
            batch.escalate(pending, level="supervisor", reason="slow", at=at(1))
            batch.acknowledge(pending, at=at(2))
            batch.resolve(pending, remedy="apology", summary="x", at=at(3))
        with log.batch() as batch:  # stored steps and pending ones together
            mixed = new(log)
            log.escalate(mixed, level="supervisor", reason="slow", at=at(1))
            batch.acknowledge(mixed, at=at(2))
            batch.resolve(mixed, remedy="apology", summary="x", at=at(3))
        assert seen == [expected] * 3
        replayed = [s.command for s in log.steps(live) if s.command.name == "resolve"]
        assert [c.name for c in replayed[0].prior_steps()] == list(expected)


# -- the runner ----------------------------------------------------------------------------


def limit_rule(refuse_at_limit: bool) -> object:
    @process_rule("no compensation above 100 EUR")
    def rule(state: ComplaintView | None, command: Command) -> str | None:
        money_ = command.arguments.get("compensation") if command.name == "resolve" else None
        if money_ is None:
            return None
        over = money_.amount >= 100 if refuse_at_limit else money_.amount > 100
        return "too much" if over else None

    return rule


def spec_limit(steps: Sequence[Step]) -> str | None:
    payload = steps[-1].entry.payload
    paid = payload.get("compensation") if steps[-1].entry.event == "Resolved" else None
    return "above 100 EUR" if paid and Decimal(paid["amount"]) > 100 else None


def one_payout(amount: str) -> Lifecycle:
    return Lifecycle(
        (
            PlannedCommand("receive", T0, {"customer": {"id": "c"}, "channel": "web",
                                           "subject": "s", "description": "d"}),
            PlannedCommand("resolve", at(1), {"remedy": "compensation", "summary": "x",
                                              "first_contact": True,
                                              "compensation": {"amount": amount,
                                                               "currency": "EUR"}}),
            PlannedCommand("inform", at(2), {"message": "m"}),
        )
    )  # fmt: skip


def test_the_runner_accepts_a_correct_rule_and_reports_refusals_and_coverage() -> None:
    report = check_rules_against_spec([limit_rule(False)], spec_limit, one_payout("100.01"))
    assert [(c.name, rule) for c, rule, _ in report.refused] == [
        ("resolve", "no compensation above 100 EUR")
    ]
    assert [c.name for c in report.recorded] == ["receive", "inform"]  # the complaint stays open
    assert report.coverage == ("rule 'no compensation above 100 EUR': refused",)
    clean = check_rules_against_spec([limit_rule(False)], spec_limit, one_payout("100.00"))
    assert clean.coverage == ("rule 'no compensation above 100 EUR': applied",)


@process_rule("social complaints are public")
def flags_social(state: ComplaintView | None, command: Command) -> str | None:
    if command.name == "receive" and command.arguments.get("channel") == "social":
        return "route to the social media team"
    return None


def spec_social(steps: Sequence[Step]) -> str | None:
    entry = steps[-1].entry
    return "social" if entry.event == "Received" and entry.payload["channel"] == "social" else None


def one_receipt(channel: str) -> Lifecycle:
    arguments = {"customer": {"id": "c"}, "channel": channel, "subject": "s", "description": "d"}
    return Lifecycle((PlannedCommand("receive", T0, arguments),))


def test_the_runner_takes_a_flag_on_a_new_complaint_as_the_rules_verdict() -> None:
    """receive is never refused (#14): the rules flag it, and the runner compares the flag."""
    report = check_rules_against_spec([flags_social], spec_social, one_receipt("social"))
    assert [c.name for c in report.recorded] == ["receive"]
    assert report.refused == ()
    check_rules_against_spec([flags_social], spec_social, one_receipt("web"))
    with pytest.raises(RuleDisagreement, match=r"over-refusal at command 0 .*flagged"):
        check_rules_against_spec([flags_social], lambda steps: None, one_receipt("social"))
    with pytest.raises(RuleDisagreement, match="breach got through at command 0"):
        check_rules_against_spec([], spec_social, one_receipt("social"))


def test_the_runner_finds_an_over_refusal_and_a_breach_that_got_through() -> None:
    with pytest.raises(RuleDisagreement, match=r"over-refusal at command 1 .*'100.00'"):
        check_rules_against_spec([limit_rule(True)], spec_limit, one_payout("100.00"))

    @process_rule("lax")
    def lax(state: ComplaintView | None, command: Command) -> str | None:
        return None

    with pytest.raises(RuleDisagreement, match="breach got through at command 1"):
        check_rules_against_spec([lax], spec_limit, one_payout("100.01"))


@FAST
@given(lifecycle=lifecycles(amounts=money(["EUR"], near=[100], max_amount=200), max_steps=8))
def test_the_runner_agrees_with_the_spec_for_the_correct_rule(lifecycle: Lifecycle) -> None:
    check_rules_against_spec([all_of("house", [limit_rule(False)])], spec_limit, lifecycle)


# -- check_store ---------------------------------------------------------------------------


def test_check_store_lists_every_breach_of_every_rule_in_every_complaint() -> None:
    @process_rule("no supervisors")
    def no_supervisors(state: ComplaintView | None, command: Command) -> str | None:
        return "supervisor" if command.name == "escalate" else None

    with ComplaintLog(clock=SteppingClock(at(600))) as log:
        first, second = new(log), new(log)
        for cid in (first, second):
            log.escalate(cid, level="supervisor", reason="a", at=at(1))
        log.resolve(second, remedy="compensation", summary="x", first_contact=True,
                    compensation={"amount": "150", "currency": "EUR"}, at=at(2))  # fmt: skip
        breaches = check_store(log, [no_supervisors, all_of("g", [limit_rule(False)])])
    assert [(b.complaint_id, b.version, b.event, b.rule, b.group) for b in breaches] == [
        (first, 2, "Escalated", "no supervisors", None),
        (second, 2, "Escalated", "no supervisors", None),
        (second, 4, "Resolved", "no compensation above 100 EUR", "g"),
    ]
    assert "v4 Resolved" in str(breaches[-1])


# -- lifecycles: knobs, plain values, fixtures ---------------------------------------------


@FAST
@given(
    lifecycle=lifecycles(
        max_steps=12,
        actors=["ana", "ivo"],
        products=["Mortgage"],
        amounts=money(["EUR"], near=[500]),
        levels=["management"],
        weights={"withdraw": 0, "pause": 0},
    )
)
def test_the_knobs_reach_every_command(lifecycle: Lifecycle) -> None:
    receive, *rest = lifecycle.commands
    assert receive.arguments["category"] == {"product": "Mortgage"}
    assert len(rest) <= 12
    for planned in lifecycle.commands:
        assert planned.arguments["actor"] in {"ana", "ivo"}
        assert planned.name not in {"withdraw", "pause"}
        if planned.name == "escalate":
            assert planned.arguments["level"] == "management"
        if "compensation" in planned.arguments:
            assert planned.arguments["compensation"]["currency"] == "EUR"
    assert "<" not in repr(lifecycle)  # plain values, no enum or object reprs


def test_money_near_a_limit_puts_amounts_on_and_around_it() -> None:
    seen: set[Decimal] = set()

    @settings(max_examples=200, database=None)
    @given(money(["EUR"], near=[500]))
    def draw(value: object) -> None:
        seen.add(value.amount)  # type: ignore[attr-defined]

    draw()
    assert {Decimal("499.99"), Decimal("500.00"), Decimal("500.01")} <= seen


def test_dst_changes_are_the_known_london_dates() -> None:
    london = SlaPolicy.preset("fca").calendar
    assert dst_changes(london, date(2026, 1, 1), date(2026, 12, 31)) == [
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # last Sunday of March, 01:00 UTC
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # last Sunday of October, 01:00 UTC
    ]


def test_policy_times_reach_the_dst_change_and_the_holidays() -> None:
    seen: list[datetime] = []

    @settings(max_examples=1000, database=None)
    @given(policy_times(SlaPolicy.preset("fca")))
    def draw(moment: datetime) -> None:
        seen.append(moment)

    draw()
    assert any(abs(m - datetime(2026, 3, 29, 1, tzinfo=UTC)) <= timedelta(hours=3) for m in seen)
    assert any(m.date() in {date(2026, 12, 25), date(2026, 12, 24)} for m in seen)


def test_deadline_edges_land_on_the_deadline_of_the_current_cycle() -> None:
    seen: set[datetime] = set()
    model = ModelComplaint(last_at=T0)
    model.cycle_started_at = T0

    @settings(max_examples=100, database=None)
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        seen.add(data.draw(deadline_edges(SlaPolicy.preset("fca"), "final_response")(model)))

    draw()
    deadline = T0 + timedelta(weeks=8)  # FCA final response: eight weeks, calendar time
    assert {deadline, deadline + timedelta(seconds=1), deadline - timedelta(seconds=1)} <= seen


@FAST
@given(lifecycle=lifecycles(max_steps=10, actors=["ana"], amounts=money(["EUR"])))
def test_a_recorded_complaint_comes_back_as_a_lifecycle_that_records_it_again(
    lifecycle: Lifecycle,
) -> None:
    clock = SteppingClock(lifecycle.ends_at + timedelta(days=1))
    with ComplaintLog(clock=clock) as first, ComplaintLog(clock=clock) as second:
        original = apply_lifecycle(first, lifecycle)
        fixture = Lifecycle.from_json(Lifecycle.from_history(first, original).to_json())
        copy = apply_lifecycle(second, fixture)

        def shown(log: ComplaintLog, cid: object) -> list[tuple[object, ...]]:
            return [
                (e.event, e.occurred_at, e.actor, {k: v for k, v in e.payload.items()
                                                   if k != "promise_id"})
                for e in log.history(cid)  # type: ignore[arg-type]
            ]  # fmt: skip

        assert shown(second, copy) == shown(first, original)
    assert Lifecycle.from_json(lifecycle.to_json()) == lifecycle

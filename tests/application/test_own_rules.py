"""Companies' own rules: plain callables, composable, on every store, in batches too."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from complaintlog import (
    ComplaintLog,
    ComplaintView,
    InvalidValueError,
    NotAcknowledgedError,
    RuleViolationError,
    TimeTooFarInFutureError,
)
from complaintlog.aio import AsyncComplaintLog
from complaintlog.rules import Command, all_of, process_rule

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@process_rule("compensation above 500 EUR needs management")
def big_compensation_needs_management(state: ComplaintView | None, command: Command) -> str | None:
    if command.name != "resolve" or state is None:
        return None
    money = command.arguments.get("compensation")
    if money is None or money.currency != "EUR" or money.amount <= Decimal(500):
        return None
    if state.escalation_level is not None and state.escalation_level.rank >= 3:
        return None
    return f"{money} needs an escalation to management first"


@process_rule("no no_action on social media")
def no_silent_social_closures(state: ComplaintView | None, command: Command) -> str | None:
    social = state is not None and state.channel == "social"
    if command.name == "resolve" and social and command.arguments["remedy"] == "no_action":
        return "social complaints are public: resolve them with a remedy"
    return None


@process_rule("critical complaints are acknowledged by a supervisor")
def critical_ack_by_supervisor(state: ComplaintView | None, command: Command) -> str | None:
    critical = state is not None and state.severity == "critical"
    by_supervisor = (command.actor or "").startswith("supervisor:")
    if command.name == "acknowledge" and critical and not by_supervisor:
        return f"actor={command.actor!r} is not a supervisor"
    return None


RULES = [big_compensation_needs_management, no_silent_social_closures, critical_ack_by_supervisor]


def receive(log: ComplaintLog, **overrides: object) -> object:
    fields: dict[str, object] = {
        "customer": {"id": "c"},
        "channel": "social",
        "subject": "s",
        "description": "d",
        "at": T0,
    }
    fields.update(overrides)
    return log.receive(**fields)  # type: ignore[arg-type]


def test_a_rule_refuses_a_command_and_nothing_is_recorded(any_log: ComplaintLog) -> None:
    log = ComplaintLog(any_log.settings.url, rules=RULES, clock=any_log.clock)
    cid = receive(log)
    log.acknowledge(cid, at=T0)  # type: ignore[arg-type]
    with pytest.raises(RuleViolationError, match="needs an escalation to management") as raised:
        log.resolve(
            cid,  # type: ignore[arg-type]
            remedy="compensation",
            summary="goodwill",
            compensation={"amount": "750", "currency": "EUR"},
            at=T0 + timedelta(hours=1),
        )
    assert raised.value.rule == "compensation above 500 EUR needs management"
    assert len(log.history(cid)) == 2  # type: ignore[arg-type]
    log.escalate(cid, level="management", reason="big refund", at=T0 + timedelta(hours=2))  # type: ignore[arg-type]
    log.resolve(
        cid,  # type: ignore[arg-type]
        remedy="compensation",
        summary="goodwill",
        compensation={"amount": "750", "currency": "EUR"},
        at=T0 + timedelta(hours=3),
    )
    log.close()


def test_rules_see_the_actor_and_the_state(log: ComplaintLog) -> None:
    ruled = ComplaintLog(rules=RULES, clock=log.clock)
    cid = receive(ruled, severity="critical", channel="phone")
    with pytest.raises(RuleViolationError, match="not a supervisor"):
        ruled.acknowledge(cid, actor="agent:ana", at=T0)  # type: ignore[arg-type]
    ruled.acknowledge(cid, actor="supervisor:ivo", at=T0)  # type: ignore[arg-type]


def test_rules_apply_inside_batches(log: ComplaintLog) -> None:
    ruled = ComplaintLog(rules=RULES, clock=log.clock)
    with ruled.batch() as batch:
        cid = receive(batch)  # type: ignore[arg-type]
        with pytest.raises(RuleViolationError, match="social complaints are public"):
            batch.resolve(cid, remedy="no_action", summary="nothing", first_contact=True, at=T0)  # type: ignore[arg-type]
        batch.resolve(cid, remedy="apology", summary="sorry", first_contact=True, at=T0)  # type: ignore[arg-type]
    assert ruled.get(cid).remedy == "apology"  # type: ignore[arg-type]


def test_rules_compose_and_the_refusal_names_the_inner_rule(log: ComplaintLog) -> None:
    ruled = ComplaintLog(rules=[all_of("house rules", RULES)], clock=log.clock)
    cid = receive(ruled)
    with pytest.raises(RuleViolationError, match="no no_action on social media, in house rules"):
        ruled.resolve(cid, remedy="no_action", summary="x", first_contact=True, at=T0)  # type: ignore[arg-type]


def test_a_refusal_in_a_group_names_the_inner_rule_and_keeps_the_group_beside_it(
    log: ComplaintLog,
) -> None:
    inner = all_of("social media", [no_silent_social_closures])
    ruled = ComplaintLog(rules=[all_of("house rules", [inner])], clock=log.clock)
    cid = receive(ruled)
    with pytest.raises(RuleViolationError) as raised:
        ruled.resolve(cid, remedy="no_action", summary="x", first_contact=True, at=T0)  # type: ignore[arg-type]
    assert (raised.value.rule, raised.value.group) == (
        "no no_action on social media",
        "social media",  # the innermost group the rule belongs to
    )
    assert raised.value.detail == "social complaints are public: resolve them with a remedy"


def test_the_built_in_process_rules_are_checked_before_the_house_rules(log: ComplaintLog) -> None:
    """Resolving an unacknowledged complaint is NotAcknowledged, whatever house rules say."""

    @process_rule("refuse every resolution")
    def no_resolutions(state: ComplaintView | None, command: Command) -> str | None:
        return "no resolutions today" if command.name == "resolve" else None

    for ruled in (ComplaintLog(rules=[no_resolutions], clock=log.clock),):
        cid = receive(ruled, channel="web")
        with pytest.raises(NotAcknowledgedError):
            ruled.resolve(cid, remedy="apology", summary="x", at=T0)  # type: ignore[arg-type]
        with ruled.batch() as batch:
            with pytest.raises(NotAcknowledgedError):
                batch.resolve(cid, remedy="apology", summary="x", at=T0)  # type: ignore[arg-type]
            with pytest.raises(RuleViolationError, match="no resolutions today"):
                batch.resolve(cid, remedy="apology", summary="x", first_contact=True, at=T0)  # type: ignore[arg-type]
            batch.acknowledge(cid, at=T0)  # type: ignore[arg-type]
        # the refused first-contact resolution left nothing behind in the batch
        assert [e.event for e in ruled.history(cid)] == ["Received", "Acknowledged"]  # type: ignore[arg-type]


def test_a_rule_flags_a_new_complaint_but_never_refuses_it(log: ComplaintLog) -> None:
    """Issue #14: receiving is never refused for a business reason."""

    @process_rule("only known customers")
    def known_customers(state: ComplaintView | None, command: Command) -> str | None:
        if command.name == "receive" and not command.arguments["customer"].id.startswith("K"):
            return "unknown customer"
        return None

    ruled = ComplaintLog(rules=[known_customers], clock=log.clock)
    cid = receive(ruled)
    flags = dict(ruled.get(cid).attributes)["rule_flags"]  # type: ignore[arg-type]
    assert flags == "only known customers: unknown customer"
    with pytest.raises(InvalidValueError, match="customer"):
        ruled.receive(customer={}, channel="web", subject="s", description="d", at=T0)  # type: ignore[arg-type]


def test_no_way_of_receiving_refuses_for_a_rule_and_no_error_names_a_nil_complaint(
    tmp_path: Path,
) -> None:
    """Issue #14: the log, a batch, a caller's transaction, a dry run and the async log all
    flag what a refusing rule (in a group) says about a new complaint; an input error on
    receive names no complaint, never 00000000-..."""
    refuse_all = all_of("house", [process_rule("never")(lambda state, command: "no")])
    expected = "house: never: no"
    url = f"sqlite:///{tmp_path / 'c.db'}"
    arguments = {"customer": {"id": "c"}, "channel": "web", "subject": "s", "description": "d"}
    with ComplaintLog(url, rules=[refuse_all], clock=lambda: T0 + timedelta(days=1)) as ruled:
        ids = [ruled.receive(**arguments, at=T0)]  # type: ignore[arg-type]
        with ruled.batch() as batch:
            ids.append(batch.receive(**arguments, at=T0))  # type: ignore[arg-type]
        with sqlite3.connect(tmp_path / "c.db") as connection:
            ids.append(ruled.using(connection).receive(**arguments, at=T0))  # type: ignore[arg-type]
        ids.append(asyncio.run(AsyncComplaintLog.wrap(ruled).receive(**arguments, at=T0)))  # type: ignore[arg-type]
        assert isinstance(ruled.validate("receive", **arguments, at=T0), UUID)
        for cid in ids:
            assert dict(ruled.get(cid).attributes) == {"rule_flags": expected}
        with pytest.raises(TimeTooFarInFutureError) as caught:
            ruled.receive(**arguments, at=T0 + timedelta(days=30))  # type: ignore[arg-type]
        assert caught.value.complaint_id is None
        assert str(caught.value).startswith("a new complaint: receive refused")
        assert str(UUID(int=0)) not in str(caught.value)
        assert len(list(ruled.complaint_ids())) == 4


def test_something_that_is_not_a_rule_is_refused_at_construction() -> None:
    with pytest.raises(InvalidValueError, match="rules"):
        ComplaintLog(rules=["compensation < 500"])  # type: ignore[list-item]

"""Who may do what: a refused command records nothing in the complaint, but is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from complaintlog import (
    ComplaintLog,
    ComplaintLogError,
    InvalidValueError,
    NotAuthorizedError,
    Policy,
)
from complaintlog.application.authorization import COMMANDS
from complaintlog.audit import verify
from complaintlog.domain.access import DENIED_TOPIC

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EUR = "EUR"
STAFF = {
    "ana": ["agent"],
    "rita": ["supervisor"],
    "omar": ["manager"],
    "kim": ["auditor"],
    "two-hats": ["auditor", "agent"],
}


def money(amount: str, currency: str = EUR) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


@pytest.fixture
def policy() -> Policy:
    return Policy.example(actors=STAFF)


@pytest.fixture
def guarded(policy: Policy, store_url: str) -> Iterator[ComplaintLog]:
    with ComplaintLog(
        store_url, authorization=policy, clock=lambda: T0 + timedelta(days=30)
    ) as log:
        yield log


def open_complaint(log: ComplaintLog, actor: str = "ana") -> UUID:
    complaint_id = log.receive(
        customer={"id": "C-1"}, channel="web", subject="s", description="d", at=T0, actor=actor
    )
    log.acknowledge(complaint_id, at=T0 + timedelta(minutes=5), actor=actor)
    return complaint_id


# -- the example policy ------------------------------------------------------------------------


def test_the_example_policy_has_five_roles_that_build_on_each_other(policy: Policy) -> None:
    roles = policy.roles
    assert set(roles) == {"agent", "agent-brand-a", "supervisor", "manager", "auditor"}
    assert roles["supervisor"].commands == roles["agent"].commands
    assert roles["agent-brand-a"].commands == roles["agent"].commands  # for one tenant
    assert roles["agent-brand-a"].tenants == frozenset({"brand-a"})
    assert roles["manager"].commands == roles["agent"].commands | {"erase_personal_data"}
    assert roles["auditor"].commands == frozenset({"note_review", "sign_off"})
    assert roles["agent"].limit(EUR) == Decimal(50)
    assert roles["supervisor"].limit(EUR) == Decimal(500)
    assert roles["manager"].limit(EUR) is None
    assert roles["agent"].limit("JPY") == 0  # a currency without a limit: none may be granted


def test_the_example_file_loads_with_its_own_actors() -> None:
    path = (
        Path(__file__).parents[2] / "src/complaintlog/application/authorization/example_policy.toml"
    )
    policy = Policy.from_toml(path)
    assert policy.roles_of("lead.rita") == ("supervisor",)
    assert policy.roles_of("nobody") == ()


# -- decisions ----------------------------------------------------------------------------------


def test_without_a_policy_everything_is_allowed(log: ComplaintLog) -> None:
    complaint_id = open_complaint(log, actor="anyone")
    log.resolve(complaint_id, remedy="compensation", summary="ok", compensation=money("9999"))
    assert log.denied_attempts() == ()


def test_an_agent_grants_small_compensation(guarded: ComplaintLog) -> None:
    complaint_id = open_complaint(guarded)
    guarded.resolve(
        complaint_id,
        remedy="compensation",
        summary="sorry",
        compensation=money("50.00"),
        at=T0 + timedelta(hours=1),
        actor="ana",
    )
    assert guarded.get(complaint_id).resolved_at is not None


def test_a_larger_compensation_is_refused_recorded_and_leaves_the_complaint_alone(
    guarded: ComplaintLog,
) -> None:
    complaint_id = open_complaint(guarded)
    before = guarded.history(complaint_id)
    with pytest.raises(NotAuthorizedError) as refused:
        guarded.resolve(
            complaint_id,
            remedy="compensation",
            summary="generous",
            compensation=money("80.00"),
            at=T0 + timedelta(hours=1),
            actor="ana",
        )
    error = refused.value
    assert isinstance(error, ComplaintLogError)
    assert (error.actor, error.roles, error.command, error.rule) == (
        "ana",
        ("agent",),
        "resolve",
        "compensation limit",
    )
    for word in ("'ana'", "agent", "resolve", "compensation limit", "80.00 EUR", "management"):
        assert word in str(error)
    assert guarded.history(complaint_id) == before
    (attempt,) = guarded.denied_attempts()
    assert (attempt.actor, attempt.roles, attempt.command, attempt.rule) == (
        "ana",
        ("agent",),
        "resolve",
        "compensation limit",
    )
    assert attempt.complaint_id == complaint_id
    assert attempt.occurred_at == T0 + timedelta(hours=1)
    assert attempt.detail == error.detail
    assert verify(guarded).ok  # the record of the attempt is not a complaint event


def test_a_management_escalation_lifts_the_limit(guarded: ComplaintLog) -> None:
    complaint_id = open_complaint(guarded)
    guarded.escalate(complaint_id, level="supervisor", reason="large claim", actor="ana")
    with pytest.raises(NotAuthorizedError):
        guarded.resolve(
            complaint_id, remedy="refund", summary="s", compensation=money("80"), actor="ana"
        )
    guarded.escalate(complaint_id, level="management", reason="approve 80", actor="ana")
    with pytest.raises(NotAuthorizedError, match="four eyes"):  # not her own approval
        guarded.resolve(
            complaint_id, remedy="refund", summary="s", compensation=money("80"), actor="ana"
        )
    guarded.escalate(complaint_id, level="management", reason="approved: 80", actor="omar")
    guarded.resolve(
        complaint_id, remedy="refund", summary="s", compensation=money("80"), actor="ana"
    )


def test_limits_grow_with_the_role(guarded: ComplaintLog) -> None:
    for actor, amount, allowed in [
        ("rita", "500", True),
        ("rita", "500.01", False),
        ("omar", "25000", True),
        ("two-hats", "50", True),
        ("two-hats", "51", False),
    ]:
        complaint_id = open_complaint(guarded)
        try:
            guarded.resolve(
                complaint_id, remedy="refund", summary="s", compensation=money(amount), actor=actor
            )
        except NotAuthorizedError:
            assert not allowed, (actor, amount)
        else:
            assert allowed, (actor, amount)


def test_a_currency_without_a_limit_is_refused(guarded: ComplaintLog) -> None:
    complaint_id = open_complaint(guarded)
    with pytest.raises(NotAuthorizedError, match="JPY"):
        guarded.resolve(
            complaint_id, remedy="refund", summary="s", compensation=money("1", "JPY"), actor="rita"
        )


def test_the_auditor_records_nothing_but_review_notes(guarded: ComplaintLog) -> None:
    # A complaint is never turned away (#14): the auditor's is recorded, and flagged.
    flagged = guarded.receive(
        customer={"id": "C-1"}, channel="web", subject="s", description="d", at=T0, actor="kim"
    )
    assert dict(guarded.get(flagged).attributes) == {
        "rule_flags": "authorization (command not allowed): actor 'kim' (auditor): "
        "none of the roles ['auditor'] may run receive"
    }
    assert guarded.denied_attempts(actor="kim") == ()  # nothing was denied
    with pytest.raises(NotAuthorizedError, match="command not allowed"):
        guarded.acknowledge(flagged, at=T0, actor="kim")
    assert [a.command for a in guarded.denied_attempts(actor="kim")] == ["acknowledge"]
    assert guarded.denied_attempts(actor="kim")[0].complaint_id == flagged
    complaint_id = open_complaint(guarded)
    assert "rule_flags" not in dict(guarded.get(complaint_id).attributes)
    for command, arguments in [
        ("assign", {"assignee": "x"}),
        ("inform", {"message": "m"}),
        ("withdraw", {}),
    ]:
        with pytest.raises(NotAuthorizedError):
            getattr(guarded, command)(complaint_id, actor="kim", **arguments)
    assert len(guarded.history(complaint_id)) == 2
    guarded.note_review(complaint_id, note="timeline complete", actor="kim")
    guarded.sign_off(complaint_id, actor="kim")
    assert [e.event for e in guarded.history(complaint_id)][-2:] == ["ReviewNoted", "SignedOff"]
    assert guarded.get(complaint_id).status.value == "acknowledged"


def test_an_unknown_or_missing_actor_is_flagged_on_receive_and_refused_after(
    guarded: ComplaintLog,
) -> None:
    new = {"customer": {"id": "C-1"}, "channel": "web", "subject": "s", "description": "d"}
    stranger = guarded.receive(**new, at=T0, actor="mallory")
    nobody = guarded.receive(**new, at=T0)
    flags = [dict(guarded.get(cid).attributes)["rule_flags"] for cid in (stranger, nobody)]
    assert flags == [
        "authorization (unknown actor): actor 'mallory': the actor holds no role",
        "authorization (actor required): no actor: pass actor=",
    ]
    assert [e.actor for e in guarded.history(stranger)] == ["mallory"]
    with pytest.raises(NotAuthorizedError, match="unknown actor"):
        guarded.acknowledge(stranger, at=T0, actor="mallory")
    with pytest.raises(NotAuthorizedError, match="actor required"):
        guarded.acknowledge(nobody, at=T0)
    assert [a.rule for a in guarded.denied_attempts()] == ["unknown actor", "actor required"]
    # two complaints received, two refusals: nothing else
    assert guarded.max_position() == 4


def test_a_flag_is_added_to_the_callers_own_and_malformed_input_is_still_refused(
    guarded: ComplaintLog,
) -> None:
    cid = guarded.receive(
        customer={"id": "C-1"},
        channel="web",
        subject="s",
        description="d",
        attributes={"rule_flags": "imported: checked by hand"},
        at=T0,
        actor="kim",
    )
    assert dict(guarded.get(cid).attributes)["rule_flags"] == (
        "imported: checked by hand; authorization (command not allowed): actor 'kim' "
        "(auditor): none of the roles ['auditor'] may run receive"
    )
    before = list(guarded.complaint_ids())
    for left_out in ("customer", "channel"):
        new = {"customer": {"id": "C-1"}, "channel": "web", "subject": "s", "description": "d"}
        del new[left_out]
        with pytest.raises(InvalidValueError) as caught:
            guarded.receive(**new, at=T0, actor="ana")
        assert (caught.value.field, caught.value.value) == (left_out, None)
        assert "required" in caught.value.rule
        assert "ArgsKwargs" not in str(caught.value)
    assert list(guarded.complaint_ids()) == before


def test_resolving_at_first_contact_also_needs_the_acknowledge_right() -> None:
    policy = Policy.from_mapping(
        {"roles": {"closer": {"commands": ["receive", "resolve"]}}}, actors={"c": ["closer"]}
    )
    with ComplaintLog(authorization=policy) as log:
        complaint_id = log.receive(
            customer={"id": "C-1"}, channel="web", subject="s", description="d", actor="c"
        )
        with pytest.raises(NotAuthorizedError, match="acknowledge"):
            log.resolve(complaint_id, remedy="apology", summary="s", first_contact=True, actor="c")


def test_erasure_needs_its_own_right(guarded: ComplaintLog) -> None:
    guarded.receive(
        customer={"id": "C-1", "name": "Ana"},
        channel="web",
        subject="s",
        description="d",
        actor="ana",
    )
    with pytest.raises(NotAuthorizedError, match="erase_personal_data"):
        guarded.erase_personal_data("C-1", reason="request", actor="rita")
    assert guarded.denied_attempts(command="erase_personal_data")[0].actor == "rita"
    erasure = guarded.erase_personal_data("C-1", reason="request", actor="omar")
    assert erasure.keys_destroyed == 1


def test_a_refusal_in_a_batch_is_kept_even_when_the_batch_is_discarded(
    guarded: ComplaintLog,
) -> None:
    def import_with_a_stranger() -> None:
        with guarded.batch() as batch:
            complaint_id = batch.receive(
                customer={"id": "C-1"}, channel="web", subject="s", description="d", actor="ana"
            )
            batch.assign(complaint_id, assignee="x", actor="kim")

    with pytest.raises(NotAuthorizedError):
        import_with_a_stranger()
    assert guarded.max_position() == 1
    assert [a.actor for a in guarded.denied_attempts()] == ["kim"]


def test_refusals_are_filtered_and_outlive_the_process(tmp_path: Path, policy: Policy) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with ComplaintLog(url, authorization=policy) as log:
        for actor in ("kim", "mallory", "kim"):
            with pytest.raises(NotAuthorizedError):  # recorded, flagged; then refused
                open_complaint(log, actor=actor)
        middle = log.denied_attempts()[1].recorded_at
    with ComplaintLog(url) as reader:  # no policy needed to read the refusals
        assert [a.actor for a in reader.denied_attempts()] == ["kim", "mallory", "kim"]
        assert len(reader.denied_attempts(actor="kim")) == 2
        assert len(reader.denied_attempts(since=middle)) == 2
        assert reader.denied_attempts(command="resolve") == ()
        topics = {n.topic for n in reader.notifications()}
        assert DENIED_TOPIC in topics
        assert reader.denied_attempts(command="receive") == ()


def test_a_directory_can_name_the_roles(store_url: str) -> None:
    asked: list[str] = []

    def directory(actor: str) -> list[str]:
        asked.append(actor)
        return ["agent", "not-a-role"] if actor.endswith("@agents") else []

    policy = Policy.example(actors=directory)
    with ComplaintLog(store_url, authorization=policy) as log:
        open_complaint(log, actor="ana@agents")
        with pytest.raises(NotAuthorizedError):
            open_complaint(log, actor="eve@outside")
    assert "eve@outside" in asked


def test_rules_run_after_the_policy(policy: Policy) -> None:
    from complaintlog.rules import process_rule

    @process_rule("never on Mondays")
    def never(state: Any, command: Any) -> str | None:
        return "closed on Mondays"

    with ComplaintLog(authorization=policy, rules=[never]) as log:
        with pytest.raises(NotAuthorizedError):
            open_complaint(log, actor="kim")
        with pytest.raises(ComplaintLogError, match="Mondays"):
            open_complaint(log, actor="ana")


# -- loading ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"roles": {}}, "roles"),
        ({"roles": {"a": {"commands": ["delete_everything"]}}}, "roles.a.commands"),
        ({"roles": {"a": {"inherits": ["b"]}, "b": {"inherits": ["a"]}}}, "roles.a.inherits"),
        ({"roles": {"a": {"inherits": ["missing"]}}}, "roles.missing"),
        ({"roles": {"a": {"max_compensation": {"EUR": "-1"}}}}, "roles.a.max_compensation.EUR"),
        ({"roles": {"a": {"max_compensation": {"EUR": 1.5}}}}, "roles.a.max_compensation.EUR"),
        ({"roles": {"a": {"max_compensation": {"XXY": "1"}}}}, "roles.a.max_compensation.XXY"),
        ({"roles": {"a": {"max_compensation": "lots"}}}, "roles.a.max_compensation"),
        ({"roles": {"a": {}}, "actors": {"x": ["b"]}}, "actors.x"),
        ({"roles": {"a": {}}, "compensation": {"limit_lifted_at": "boss"}}, "compensation"),
    ],
)
def test_a_malformed_policy_is_refused_with_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        Policy.from_mapping(data)
    assert refused.value.field.startswith(field)


def test_a_policy_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("roles = [", encoding="utf-8")
    with pytest.raises(InvalidValueError, match="TOML"):
        Policy.from_toml(path)


def test_every_command_of_the_log_is_known_to_policies() -> None:
    from complaintlog.application.commands import CommandMethods
    from complaintlog.application.review import ReviewCommands

    commands = {
        name
        for methods in (*CommandMethods.__mro__, ReviewCommands)
        for name in vars(methods)
        if not name.startswith("_") and methods is not object
    }
    assert commands | {"erase_personal_data"} == set(COMMANDS)


def test_a_policy_must_be_a_policy() -> None:
    with pytest.raises(InvalidValueError, match="authorization"):
        ComplaintLog(authorization={"roles": {}})  # type: ignore[arg-type]

"""Tenant scoping (issue #21): a brand's agent handles and reads that brand's complaints only.

A two-tenant policy: ``alma`` is Brand A's agent, ``bo`` Brand B's, ``ana`` an agent of every
tenant, ``rita`` a supervisor of Brand A whose limit (500 EUR) applies there only, ``kim``
an auditor of both brands. What each may do is written down here, not derived from the
policy code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from complaintlog import ComplaintLog, InvalidValueError, NotAuthorizedError, Policy
from complaintlog.errors import ComplaintNotFoundError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = """
[roles.agent]
commands = ["receive", "acknowledge", "assign", "note", "resolve"]
personal_data = true
max_compensation = { EUR = "50.00" }

[roles.agent-brand-a]
inherits = ["agent"]
tenants = ["brand-a"]

[roles.agent-brand-b]
inherits = ["agent"]
tenants = ["brand-b"]

[roles.supervisor-brand-a]
inherits = ["agent-brand-a"]
max_compensation = { EUR = "500.00" }

[roles.auditor]
commands = []
tenants = ["brand-a", "brand-b"]

[actors]
alma = ["agent-brand-a"]
bo = ["agent-brand-b"]
ana = ["agent"]
rita = ["supervisor-brand-a", "agent-brand-b"]
kim = ["auditor"]
"""


def policy() -> Policy:
    return Policy.from_mapping(tomllib.loads(POLICY))


@pytest.fixture
def guarded(store_url: str) -> Iterator[ComplaintLog]:
    with ComplaintLog(
        store_url, authorization=policy(), clock=lambda: T0 + timedelta(days=1)
    ) as log:
        yield log


def receive(log: ComplaintLog, tenant: str, actor: str, ref: str) -> UUID:
    return log.receive(
        customer={"id": f"C-{ref}", "name": "Ana Lima"},
        channel="web",
        subject="Double charge",
        description="Charged twice",
        external_ref=ref,
        tenant=tenant,
        at=T0,
        actor=actor,
    )


def test_a_brands_agent_handles_that_brands_complaints(guarded: ComplaintLog) -> None:
    mine = receive(guarded, "brand-a", "alma", "A-1")
    guarded.acknowledge(mine, at=T0 + timedelta(hours=1), actor="alma")
    guarded.assign(mine, assignee="alma", team="billing", at=T0 + timedelta(hours=2), actor="alma")
    assert [e.actor for e in guarded.history(mine)] == ["alma", "alma", "alma"]
    assert "rule_flags" not in dict(guarded.get(mine).attributes)  # nothing flagged
    other = receive(guarded, "brand-b", "ana", "B-1")  # an agent of every tenant
    guarded.acknowledge(other, at=T0 + timedelta(hours=1), actor="ana")
    assert not guarded.denied_attempts()


def test_a_command_on_another_tenants_complaint_is_refused_and_recorded(
    guarded: ComplaintLog,
) -> None:
    theirs = receive(guarded, "brand-b", "bo", "B-1")
    with pytest.raises(NotAuthorizedError) as refused:
        guarded.acknowledge(theirs, at=T0 + timedelta(hours=1), actor="alma")
    error = refused.value
    assert (error.actor, error.rule, error.command) == ("alma", "tenant not allowed", "acknowledge")
    assert "'brand-b'" in str(error)
    assert "alma" in str(error)
    assert "cover tenants 'brand-a'" in error.detail
    assert len(guarded.history(theirs)) == 1  # nothing recorded in the complaint
    (attempt,) = guarded.denied_attempts(actor="alma")
    assert (attempt.rule, attempt.command, attempt.complaint_id) == (
        "tenant not allowed",
        "acknowledge",
        theirs,
    )
    # the default tenant is a tenant too: Brand A's agent may not touch it either
    plain = receive(guarded, "default", "ana", "D-1")
    with pytest.raises(NotAuthorizedError, match="tenant 'default'"):
        guarded.note(plain, text="looked at it", actor="alma")


def test_compensation_limits_count_the_roles_of_the_complaints_tenant(
    guarded: ComplaintLog,
) -> None:
    money = {"remedy": "refund", "summary": "Refunded"}
    a = receive(guarded, "brand-a", "rita", "A-1")
    b = receive(guarded, "brand-b", "rita", "B-1")
    for cid in (a, b):
        guarded.acknowledge(cid, at=T0 + timedelta(hours=1), actor="rita")
    # 200 EUR: within rita's Brand A supervisor limit (500), above her Brand B agent one (50)
    guarded.resolve(
        a,
        **money,
        compensation={"amount": "200", "currency": "EUR"},
        at=T0 + timedelta(hours=2),
        actor="rita",
    )
    with pytest.raises(NotAuthorizedError) as refused:
        guarded.resolve(
            b,
            **money,
            compensation={"amount": "200", "currency": "EUR"},
            at=T0 + timedelta(hours=2),
            actor="rita",
        )
    assert refused.value.rule == "compensation limit"
    assert "limit of 50.00 EUR" in refused.value.detail


def test_a_new_complaint_of_another_tenant_is_recorded_and_flagged(
    guarded: ComplaintLog,
) -> None:
    theirs = receive(guarded, "brand-b", "alma", "B-1")  # never turned away
    flags = dict(guarded.get(theirs).attributes)["rule_flags"]
    assert "authorization (tenant not allowed): actor 'alma' (agent-brand-a)" in flags
    assert "tenant 'brand-b'" in flags
    assert not guarded.denied_attempts()  # nothing was denied
    mine = receive(guarded, "brand-a", "alma", "A-1")
    assert "rule_flags" not in dict(guarded.get(mine).attributes)


def test_reads_hide_other_tenants_complaints(guarded: ComplaintLog) -> None:
    a = receive(guarded, "brand-a", "alma", "A-1")
    b = receive(guarded, "brand-b", "bo", "B-1")
    d = receive(guarded, "default", "ana", "D-1")
    alma = guarded.reading_as("alma")
    assert alma.get(a).external_ref == "A-1"
    assert len(alma.history(a)) == 1
    for hidden in (b, d):
        for read in (alma.get, alma.history, lambda cid: list(alma.steps(cid))):
            with pytest.raises(ComplaintNotFoundError):  # as if it did not exist
                read(hidden)
        assert not alma.may_read(hidden)
    assert alma.find("A-1") == a
    assert alma.find("B-1") is None
    assert alma.find("D-1") is None
    kim = guarded.reading_as("kim")  # both brands, not the default tenant
    assert kim.get(a).customer.name == "[masked]"
    assert kim.get(b).external_ref == "B-1"
    with pytest.raises(ComplaintNotFoundError):
        kim.get(d)
    ana = guarded.reading_as("ana")  # every tenant
    assert {ana.get(cid).tenant for cid in (a, b, d)} == {"brand-a", "brand-b", "default"}
    rita = guarded.reading_as("rita")  # roles add up: Brand A and Brand B
    assert rita.access.tenants == frozenset({"brand-a", "brand-b"})


def test_the_tenants_setting_is_checked() -> None:
    for bad in (["Brand-A"], [], "brand-a", [7], "every"):
        text = POLICY.replace('tenants = ["brand-a"]', f"tenants = {_toml(bad)}", 1)
        with pytest.raises(InvalidValueError, match=r"roles\.agent-brand-a\.tenants"):
            Policy.from_mapping(tomllib.loads(text))
    every = Policy.from_mapping(tomllib.loads(POLICY.replace('["brand-a"]', '"all"', 1)))
    assert every.roles["agent-brand-a"].tenants is None


def test_the_shipped_example_has_a_brands_agent() -> None:
    example = Policy.example()
    assert example.roles["agent-brand-a"].tenants == frozenset({"brand-a"})
    assert example.roles["agent"].tenants is None
    assert example.roles["agent-brand-a"].commands == example.roles["agent"].commands
    with ComplaintLog(authorization=example) as log:
        cid = log.receive(
            customer={"id": "C-1"},
            channel="web",
            subject="S",
            description="D",
            tenant="brand-b",
            actor="agent.ana",
        )
        with pytest.raises(NotAuthorizedError, match="tenant not allowed"):
            log.acknowledge(cid, actor="agent.alma")


def _toml(value: object) -> str:
    import json

    return json.dumps(value)

"""Who may do what over HTTP: ``authenticate(request)`` says who, the ``Policy`` decides."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from http_support import MONDAY, NEW

from complaintlog import ComplaintLog, Policy
from complaintlog.http import Identity, create_app

POLICY = Policy.example()  # agent, supervisor (inherits agent), manager, auditor


def from_header(request: Request) -> Identity | str | None:
    """A CRM's hook: ``X-User: name[:role,role]`` (roles from the CRM's own directory)."""
    user = request.headers.get("X-User")
    if user is None:
        return None
    name, _, roles = user.partition(":")
    return Identity(name, tuple(roles.split(","))) if roles else name


@pytest.fixture
def guarded(log: ComplaintLog) -> Iterator[TestClient]:
    with TestClient(create_app(log, policy=POLICY, authenticate=from_header)) as client:
        yield client


def as_user(user: str) -> dict[str, str]:
    return {"X-User": user}


def test_an_unauthenticated_request_is_a_401(guarded: TestClient) -> None:
    answer = guarded.get("/complaints")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_roles_from_the_hook_decide_and_the_actor_is_recorded(
    guarded: TestClient, log: ComplaintLog
) -> None:
    created = guarded.post("/complaints", json=NEW, headers=as_user("zoe:agent"))
    assert created.status_code == 201
    cid = created.json()["id"]
    refused = guarded.post(f"/complaints/{cid}/acknowledge", headers=as_user("kim:auditor"))
    assert refused.status_code == 403
    assert refused.json()["rule"] == "command not allowed"
    assert guarded.get(f"/complaints/{cid}", headers=as_user("kim:auditor")).status_code == 200
    assert len(log.history(cid)) == 1
    assert [e.actor for e in log.history(cid)] == ["zoe"]


def test_roles_from_the_policys_actor_table(guarded: TestClient) -> None:
    assert guarded.post("/complaints", json=NEW, headers=as_user("agent.ana")).status_code == 201
    stranger = guarded.get("/complaints", headers=as_user("mallory"))
    assert stranger.status_code == 403
    assert stranger.json()["rule"] == "unknown actor"


def test_a_compensation_above_the_roles_limit_is_a_403(guarded: TestClient) -> None:
    cid = guarded.post("/complaints", json=NEW, headers=as_user("agent.ana")).json()["id"]
    body = {
        "remedy": "refund",
        "summary": "money back",
        "first_contact": True,
        "compensation": {"amount": "80.00", "currency": "EUR"},
    }
    agent = guarded.post(f"/complaints/{cid}/resolve", json=body, headers=as_user("agent.ana"))
    assert agent.status_code == 403
    assert agent.json()["rule"] == "compensation limit"
    lead = guarded.post(f"/complaints/{cid}/resolve", json=body, headers=as_user("lead.rita"))
    assert lead.status_code == 200


def test_without_a_hook_everyone_is_anonymous_with_the_policys_anonymous_role(
    log: ComplaintLog,
) -> None:
    reader = Policy.from_mapping(
        {
            "roles": {"agent": {"commands": ["receive"]}, "auditor": {"commands": []}},
            "access": {"anonymous_role": "auditor"},
        }
    )
    with TestClient(create_app(log, policy=reader)) as client:
        assert client.get("/complaints").status_code == 200
        # a complaint is never turned away (#14): recorded, flagged; the next step is refused
        created = client.post("/complaints", json=NEW)
        assert created.status_code == 201
        cid = created.json()["id"]
        assert dict(log.get(cid).attributes) == {
            "rule_flags": "authorization (command not allowed): actor 'anonymous' (auditor): "
            "none of the roles ['auditor'] may run receive"
        }
        assert client.post(f"/complaints/{cid}/acknowledge").status_code == 403
    nobody = Policy.from_mapping({"roles": {"agent": {"commands": ["receive"]}}})
    with TestClient(create_app(log, policy=nobody)) as client:
        assert client.get("/complaints").status_code == 403


def test_a_policy_requiring_authentication_refuses_requests_without_a_hook(
    log: ComplaintLog,
) -> None:
    locked = Policy.from_mapping(
        {"roles": {"agent": {"commands": ["receive"]}}, "access": {"authentication": "required"}}
    )
    with TestClient(create_app(log, policy=locked)) as client:
        assert client.get("/complaints").status_code == 401
        assert client.get("/health").status_code == 200


def test_the_logs_own_policy_decides_and_records_the_refusal(moving_clock: object) -> None:
    with ComplaintLog(authorization=POLICY) as log:
        with TestClient(create_app(log, authenticate=from_header)) as client:
            created = client.post("/complaints", json=NEW, headers=as_user("audit.kim"))
            assert created.status_code == 201  # never turned away: flagged by the log
            cid = created.json()["id"]
            refused = client.post(f"/complaints/{cid}/acknowledge", headers=as_user("audit.kim"))
            assert refused.status_code == 403
        assert [(a.actor, a.command) for a in log.denied_attempts()] == [
            ("audit.kim", "acknowledge")
        ]
        flags = dict(log.get(cid).attributes)["rule_flags"]
        assert flags.startswith("authorization (command not allowed): actor 'audit.kim'")


def test_roles_from_the_hook_flag_a_new_complaint_the_policy_would_refuse(
    guarded: TestClient, log: ComplaintLog
) -> None:
    """The web layer asks the policy with the hook's roles (the log has none): a denial of
    receive becomes a flag, after any the caller sent, and the complaint is recorded."""
    body = {**NEW, "attributes": {"rule_flags": "from the CRM"}}
    created = guarded.post("/complaints", json=body, headers=as_user("kim:auditor"))
    assert created.status_code == 201
    assert dict(log.get(created.json()["id"]).attributes) == {
        "rule_flags": "from the CRM; authorization (command not allowed): actor 'kim' "
        "(auditor): none of the roles ['auditor'] may run receive"
    }
    assert log.denied_attempts() == ()
    missing = guarded.post(
        "/complaints",
        json={k: v for k, v in NEW.items() if k != "channel"},
        headers=as_user("kim:auditor"),
    )
    assert missing.status_code == 422  # malformed input is still refused


READERS = Policy.from_mapping(
    {
        "roles": {
            "lead": {"commands": ["receive", "assign"], "personal_data": True},
            "billing": {"commands": [], "read_teams": ["billing"]},
        }
    }
)


def test_reads_show_only_readable_teams_and_mask_personal_data(log: ComplaintLog) -> None:
    app = create_app(log, policy=READERS, authenticate=from_header)
    lead, clerk = as_user("rita:lead"), as_user("bo:billing")
    with TestClient(app) as client:
        ids = {}
        for ref, team in (("B-1", "billing"), ("N-1", "network")):
            body = {**NEW, "external_ref": ref}
            ids[ref] = client.post("/complaints", json=body, headers=lead).json()["id"]
            client.post(
                f"/complaints/{ids[ref]}/assign", json={"assignee": "x", "team": team}, headers=lead
            )
        assert (
            client.get(f"/complaints/{ids['B-1']}", headers=lead).json()["customer"]["name"]
            == "Ana Horvat"
        )
        mine = client.get(f"/complaints/{ids['B-1']}", headers=clerk).json()
        assert (mine["customer"]["name"], mine["customer"]["email"]) == ("[masked]", "[masked]")
        other = client.get(f"/complaints/{ids['N-1']}", headers=clerk)
        assert other.status_code == 403
        assert other.json()["rule"] == "team not readable"
        assert client.get(f"/complaints/{ids['N-1']}/history", headers=clerk).status_code == 403
        listed = client.get("/complaints", headers=clerk).json()["items"]
        assert [item["external_ref"] for item in listed] == ["B-1"]
        history = client.get(f"/complaints/{ids['B-1']}/history", headers=clerk).json()["items"]
        assert history[0]["payload"]["customer"]["name"] == "[masked]"
        page = client.get(f"/ui/complaints/{ids['B-1']}", headers=clerk).text
        assert "Ana Horvat" not in page
        assert "ana@example.org" not in page
        assert client.get(f"/ui/complaints/{ids['N-1']}", headers=clerk).status_code == 403


def test_the_dashboards_list_fills_its_page_past_complaints_the_reader_may_not_see(
    log: ComplaintLog,
) -> None:
    """60 complaints of another team come first: the billing clerk's page still lists the
    billing ones (it showed none when the page was cut before the unreadable rows were
    left out)."""
    with log.batch() as batch:
        for n in range(62):
            at = MONDAY - timedelta(days=1) + timedelta(minutes=n)  # received in this order
            cid = batch.receive(**{**NEW, "external_ref": f"R-{n}"}, at=at)
            team = "billing" if n >= 60 else "network"
            batch.assign(cid, assignee="x", team=team, at=at)
    app = create_app(log, policy=READERS, authenticate=from_header)
    with TestClient(app) as client:
        page = client.get("/ui/complaints", headers=as_user("bo:billing")).text
    assert "R-60" in page
    assert "R-61" in page
    assert "R-0<" not in page
    assert "R-59" not in page

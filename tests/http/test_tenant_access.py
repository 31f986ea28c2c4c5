"""Tenant scoping over HTTP (issue #21): a brand's agent sees and handles only that brand's
complaints. Another tenant's complaint answers 404 like an unknown one (its existence is not
told), lists leave it out, statistics are of a readable tenant only, and a command on it is a
403 naming the rule. ``alma`` is Brand A's agent, ``kim`` an auditor of both brands (not of
the default tenant), ``ana`` an agent of every tenant."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from http_support import MONDAY, NEW, MovingClock

from complaintlog import ComplaintLog, Policy
from complaintlog.http import create_app
from complaintlog.projections import Projections

POLICY = Policy.from_mapping(
    tomllib.loads(
        """
[roles.agent]
commands = ["receive", "acknowledge", "assign", "note"]
personal_data = true

[roles.agent-brand-a]
inherits = ["agent"]
tenants = ["brand-a"]

[roles.auditor]
commands = []
tenants = ["brand-a", "brand-b"]

[actors]
alma = ["agent-brand-a"]
kim = ["auditor"]
ana = ["agent"]
"""
    )
)


def from_header(request: Request) -> str | None:
    return request.headers.get("X-User")


@pytest.fixture
def scoped(log: ComplaintLog) -> Iterator[tuple[TestClient, dict[str, str]]]:
    views = Projections(log, policy="default")
    with TestClient(
        create_app(log, policy=POLICY, authenticate=from_header, projections=views)
    ) as client:
        made = {}
        for tenant, ref in (("brand-a", "A-1"), ("brand-b", "B-1"), ("default", "D-1")):
            body = {**NEW, "external_ref": ref, "tenant": tenant}
            answer = client.post("/complaints", json=body, headers=as_user("ana"))
            assert answer.status_code == 201, answer.text
            made[ref] = answer.json()["id"]
        yield client, made


def as_user(user: str) -> dict[str, str]:
    return {"X-User": user}


def refs(client: TestClient, path: str, user: str, **params: str) -> list[str]:
    answer = client.get(path, params=params, headers=as_user(user))
    assert answer.status_code == 200, answer.text
    return sorted(item["external_ref"] for item in answer.json()["items"])


def test_one_complaint_of_another_tenant_is_not_found(
    scoped: tuple[TestClient, dict[str, str]],
) -> None:
    client, made = scoped
    assert client.get(f"/complaints/{made['A-1']}", headers=as_user("alma")).status_code == 200
    for ref in ("B-1", "D-1"):
        cid = made[ref]
        for path in (
            f"/complaints/{cid}",
            f"/complaints/{cid}/history",
            f"/complaints/{cid}/clocks",
        ):
            answer = client.get(path, headers=as_user("alma"))
            assert answer.status_code == 404, path
            unknown = client.get(path.replace(cid, "0" * 32), headers=as_user("alma"))
            assert answer.json()["title"] == unknown.json()["title"]  # told apart by nothing
        by_ref = client.get(f"/complaints/by-ref/{ref}", headers=as_user("alma"))
        assert by_ref.status_code == 404
        assert cid not in by_ref.text  # the id behind the reference is not told either
    assert client.get(f"/complaints/{made['B-1']}", headers=as_user("kim")).status_code == 200
    assert client.get(f"/complaints/{made['D-1']}", headers=as_user("kim")).status_code == 404


def test_lists_agenda_and_breaches_leave_other_tenants_out(
    scoped: tuple[TestClient, dict[str, str]], moving_clock: MovingClock
) -> None:
    client, made = scoped
    assert refs(client, "/complaints", "alma") == ["A-1"]
    assert refs(client, "/complaints", "alma", tenant="brand-b") == []
    assert refs(client, "/complaints", "kim") == ["A-1", "B-1"]
    assert refs(client, "/complaints", "kim", tenant="brand-b") == ["B-1"]
    assert refs(client, "/complaints", "ana") == ["A-1", "B-1", "D-1"]
    later = (MONDAY + timedelta(weeks=10)).isoformat()
    moving_clock.advance(timedelta(weeks=10))

    def ids(path: str, user: str, **params: str) -> set[str]:
        answer = client.get(path, params=params, headers=as_user(user))
        assert answer.status_code == 200, answer.text
        return {item["complaint_id"] for item in answer.json()["items"]}

    by_id = {cid: ref for ref, cid in made.items()}
    assert {by_id[c] for c in ids("/agenda", "alma", until=later)} == {"A-1"}
    assert {by_id[c] for c in ids("/agenda", "kim", until=later)} == {"A-1", "B-1"}
    assert ids("/agenda", "alma", until=later, tenant="default") == set()
    assert {by_id[c] for c in ids("/agenda", "ana", until=later)} == {"A-1", "B-1", "D-1"}
    assert {by_id[c] for c in ids("/breaches", "alma", as_of=later)} == {"A-1"}
    assert {by_id[c] for c in ids("/breaches", "kim", as_of=later)} == {"A-1", "B-1"}
    assert ids("/breaches", "alma", as_of=later, tenant="brand-b") == set()


def test_statistics_are_of_one_readable_tenant(
    scoped: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = scoped

    def received(user: str, **params: str) -> int | str:
        answer = client.get(
            "/statistics",
            params={
                "period": "month",
                "start": MONDAY.isoformat(),
                "end": (MONDAY + timedelta(days=30)).isoformat(),
                **params,
            },
            headers=as_user(user),
        )
        if answer.status_code != 200:
            return f"{answer.status_code} {answer.json().get('rule')}"
        return sum(row["received"] for row in answer.json()["items"])

    assert received("ana") == 3
    assert received("alma") == 1  # Brand A's, the only tenant alma reads
    assert received("alma", tenant="brand-b") == "403 tenant not readable"
    assert received("kim") == "403 tenant not readable"  # two brands: name one
    assert received("kim", tenant="brand-b") == 1


def test_commands_on_another_tenants_complaint_are_refused(
    scoped: tuple[TestClient, dict[str, str]], log: ComplaintLog
) -> None:
    client, made = scoped
    mine = client.post(f"/complaints/{made['A-1']}/acknowledge", headers=as_user("alma"))
    assert mine.status_code == 200, mine.text
    theirs = client.post(f"/complaints/{made['B-1']}/acknowledge", headers=as_user("alma"))
    assert theirs.status_code == 403
    assert theirs.json()["rule"] == "tenant not allowed"
    assert len(log.history(made["B-1"])) == 1
    created = client.post(
        "/complaints",
        json={**NEW, "external_ref": "B-2", "tenant": "brand-b"},
        headers=as_user("alma"),
    )
    assert created.status_code == 201  # a complaint is never turned away: flagged
    flags = dict(log.get(created.json()["id"]).attributes)["rule_flags"]
    assert flags.startswith("authorization (tenant not allowed): actor 'alma'")


def test_the_dashboard_shows_a_reader_their_tenants_only(
    scoped: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = scoped

    def page(path: str, user: str, **params: str) -> tuple[int, str]:
        answer = client.get(path, params=params, headers=as_user(user))
        return answer.status_code, answer.text

    status, text = page("/", "alma")  # Brand A's only: the page is brand-a's
    assert status == 200
    assert "Today: brand-a" in text
    assert "B-1" not in text
    assert page("/", "alma", tenant="brand-b")[0] == 403
    assert page("/ui/agenda", "alma", tenant="brand-b")[0] == 403
    assert page("/", "kim")[0] == 403  # two tenants' figures: kim names one
    assert page("/", "kim", tenant="brand-b")[0] == 200
    listed = page("/ui/complaints", "kim")[1]
    assert "A-1" in listed
    assert "B-1" in listed
    assert "D-1" not in listed
    assert "A-1" not in page("/ui/complaints", "alma", tenant="brand-b")[1]
    every = page("/ui/complaints", "ana")[1]
    assert all(ref in every for ref in ("A-1", "B-1", "D-1"))


def test_the_dashboards_search_does_not_lead_to_another_tenants_complaint(
    scoped: tuple[TestClient, dict[str, str]],
) -> None:
    client, made = scoped
    own = client.get("/ui/search", params={"ref": "A-1"}, headers=as_user("alma"),
                     follow_redirects=False)  # fmt: skip
    assert own.status_code == 303
    assert own.headers["location"].endswith(f"/ui/complaints/{made['A-1']}")
    other = client.get("/ui/search", params={"ref": "B-1"}, headers=as_user("alma"),
                       follow_redirects=False)  # fmt: skip
    assert other.status_code == 404
    assert made["B-1"] not in other.text

"""The CRM's endpoints, called as the CRM's front end would, over HTTP (ASGI)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service import make_app

from complaintlog import ComplaintLog

NEW = {
    "customer": {"id": "C-1", "name": "Ana Horvat"},
    "channel": "phone",
    "subject": "Router",
    "description": "No connection since Monday",
    "external_ref": "CRM-5",
}
API = "/complaintlog"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with ComplaintLog() as log, TestClient(make_app(log)) as opened:
        yield opened


def post(client: TestClient, path: str, body: Any = None, **headers: str) -> Any:
    return client.post(API + path, json=body, headers=headers)


def test_a_complaint_is_received_acknowledged_and_found_by_reference(client: TestClient) -> None:
    created = post(client, "/complaints", NEW, **{"X-CRM-User": "ana"})
    assert created.status_code == 201
    cid = created.json()["id"]
    assert post(client, f"/complaints/{cid}/acknowledge", {"message": "Sorry!"}).status_code == 200
    assert post(client, f"/complaints/{cid}/assign", {"assignee": "Ivo"}).status_code == 200
    state = client.get(f"{API}/complaints/{cid}").json()
    assert (state["status"], state["assignee"]) == ("in_progress", "Ivo")
    assert client.get(f"{API}/complaints/by-ref/CRM-5").json() == {"id": cid}
    history = client.get(f"{API}/complaints/{cid}/history").json()["items"]
    assert [(e["event"], e["actor"]) for e in history] == [
        ("Received", "ana"),
        ("Acknowledged", "crm-service"),
        ("Assigned", "crm-service"),
    ]


def test_the_crms_own_route_beside_the_mounted_app(client: TestClient) -> None:
    cid = post(client, "/complaints", NEW).json()["id"]
    post(client, f"/complaints/{cid}/assign", {"assignee": "Ivo"})
    assert client.get("/tickets/CRM-5/complaint").json() == {
        "ticket": "CRM-5",
        "complaint": cid,
        "status": "in_progress",
        "assignee": "Ivo",
        "promise_due": None,
        "timeline": f"/complaintlog/ui/complaints/{cid}",
    }
    missing = client.get("/tickets/CRM-404/complaint")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get(f"{API}/ui/complaints/{cid}").status_code == 200  # the timeline page


def test_a_retried_post_with_the_same_idempotency_key_records_once(client: TestClient) -> None:
    first = post(client, "/complaints", NEW, **{"Idempotency-Key": "req-1"})
    again = post(client, "/complaints", NEW, **{"Idempotency-Key": "req-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert client.get(f"{API}/complaints").json()["items"][0]["id"] == first.json()["id"]
    assert len(client.get(f"{API}/complaints").json()["items"]) == 1


def test_bad_input_is_a_422_naming_the_field(client: TestClient) -> None:
    answer = post(client, "/complaints", {**NEW, "channel": "pigeon"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "channel"
    assert answer.json()["value"] == "'pigeon'"


def test_a_refused_step_is_a_409_and_an_unknown_complaint_a_404(client: TestClient) -> None:
    cid = post(client, "/complaints", NEW).json()["id"]
    refused = post(client, f"/complaints/{cid}/resolve", {"remedy": "refund", "summary": "x"})
    assert refused.status_code == 409
    assert refused.json()["rule"] == "Resolved implies Acknowledged"
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"{API}/complaints/{unknown}").status_code == 404

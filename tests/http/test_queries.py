"""Reading over HTTP: state (now, as of, as known at), history, lists with cursor paging,
by reference, the agenda, breaches, statistics, health and readiness."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from http_support import MONDAY, NEW, MovingClock

from complaintlog import ComplaintLog
from complaintlog.http import create_app
from complaintlog.projections import Projections


def receive(client: TestClient, **changes: Any) -> str:
    response = client.post("/complaints", json={**NEW, **changes})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_state_now_as_of_a_business_time_and_as_known_at_a_recording_time(
    client: TestClient, moving_clock: MovingClock
) -> None:
    cid = receive(client)  # recorded and happened Monday 09:00
    moving_clock.advance(timedelta(hours=3))  # 12:00: the 10:00 acknowledgement is backdated
    backdated = (MONDAY + timedelta(hours=1)).isoformat()
    assert client.post(f"/complaints/{cid}/acknowledge", json={"at": backdated}).is_success
    eleven = (MONDAY + timedelta(hours=2)).isoformat()
    now = client.get(f"/complaints/{cid}").json()
    as_of = client.get(f"/complaints/{cid}", params={"as_of": eleven}).json()
    known = client.get(f"/complaints/{cid}", params={"as_known_at": eleven}).json()
    assert (now["status"], as_of["status"], known["status"]) == (
        "acknowledged",
        "acknowledged",  # it had happened by 11:00 ...
        "received",  # ... but nobody knew until 12:00
    )
    assert now["customer"] == {
        "id": "C-1",
        "name": "Ana Horvat",
        "email": "ana@example.org",
        "phone": None,
        "address": None,
        "erased": False,
    }


def test_a_naive_time_is_a_422(client: TestClient) -> None:
    cid = receive(client)
    answer = client.get(f"/complaints/{cid}", params={"as_of": "2026-06-01T10:00:00"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "as_of"


def test_history_has_both_times_of_every_event(
    client: TestClient, moving_clock: MovingClock
) -> None:
    cid = receive(client)
    moving_clock.advance(timedelta(hours=3))
    at = (MONDAY + timedelta(hours=1)).isoformat()
    client.post(f"/complaints/{cid}/assign", json={"assignee": "ivo", "at": at})
    items = client.get(f"/complaints/{cid}/history").json()["items"]
    assert [(i["event"], i["occurred_at"], i["recorded_at"]) for i in items] == [
        ("Received", "2026-06-01T09:00:00Z", "2026-06-01T09:00:00Z"),
        ("Assigned", "2026-06-01T10:00:00Z", "2026-06-01T12:00:00Z"),
    ]


def _refs(page: dict[str, Any]) -> list[str]:
    return [item["external_ref"] for item in page["items"]]


def test_lists_filter_and_page_by_cursor(client: TestClient) -> None:
    people = {"R1": ("ivo", "a"), "R2": ("eva", "b"), "R3": ("ivo", "a")}
    for minute, ref in enumerate(["R1", "R2", "R3", "R4", "R5"]):
        at = (MONDAY - timedelta(hours=1) + timedelta(minutes=minute)).isoformat()
        category = {"dimension": "reliability"} if ref in {"R2", "R5"} else None
        cid = receive(client, external_ref=ref, at=at, category=category)
        if ref in people:
            assignee, team = people[ref]
            client.post(f"/complaints/{cid}/assign", json={"assignee": assignee, "team": team})
    assert _refs(client.get("/complaints", params={"assignee": "ivo"}).json()) == ["R1", "R3"]
    assert _refs(client.get("/complaints", params={"team": "b"}).json()) == ["R2"]
    assert _refs(client.get("/complaints", params={"status": "received"}).json()) == ["R4", "R5"]
    assert _refs(client.get("/complaints", params={"category": "reliability"}).json()) == [
        "R2",
        "R5",
    ]
    pages: list[list[str]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = client.get("/complaints", params=params).json()
        pages.append(_refs(page))
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert pages == [["R1", "R2"], ["R3", "R4"], ["R5"]]
    assert client.get("/complaints", params={"cursor": "garbage!"}).status_code == 422


def test_by_reference(client: TestClient) -> None:
    cid = receive(client)
    assert client.get("/complaints/by-ref/CRM-5").json() == {"id": cid}
    assert client.get("/complaints/by-ref/CRM-404").status_code == 404


def test_the_agenda_shows_a_breach_for_its_assignee_and_team(
    client: TestClient, moving_clock: MovingClock
) -> None:
    cid = receive(client)  # by phone, Monday 09:00 UTC = 11:00 in Zagreb
    client.post(f"/complaints/{cid}/assign", json={"assignee": "ivo", "team": "a"})
    moving_clock.advance(timedelta(minutes=90))
    # The default policy's golden hour: one business hour, 11:00 to 12:00 Zagreb time.
    expected = {
        "complaint_id": cid,
        "external_ref": "CRM-5",
        "action": "acknowledge",
        "due": "2026-06-01T10:00:00Z",
        "assignee": "ivo",
        "team": "a",
        "opens": None,
        "overdue": True,
        "source": "target",
        "target": "acknowledge_golden_hour",
        "promise_id": None,
        "cycle": 1,
    }
    items = client.get("/agenda").json()["items"]
    assert [item for item in items if item["overdue"]] == [expected]
    assert expected in client.get("/agenda", params={"team": "a"}).json()["items"]
    assert client.get("/agenda", params={"assignee": "eva"}).json() == {"items": []}
    breaches = client.get("/breaches").json()["items"]
    assert [(b["target"], b["due"]) for b in breaches] == [
        ("acknowledge_golden_hour", "2026-06-01T10:00:00Z")
    ]
    client.post(f"/complaints/{cid}/acknowledge")
    assert [i for i in client.get("/agenda").json()["items"] if i["overdue"]] == []


def test_statistics_per_day(client: TestClient) -> None:
    first = receive(client, external_ref="S1")
    receive(client, external_ref="S2")
    client.post(
        f"/complaints/{first}/resolve",
        json={"remedy": "refund", "summary": "ok", "first_contact": True},
    )
    rows = client.get(
        "/statistics",
        params={
            "period": "day",
            "start": "2026-06-01T00:00:00+00:00",
            "end": "2026-06-02T00:00:00+00:00",
        },
    ).json()["items"]
    assert [(r["period"], r["received"], r["resolved"]) for r in rows] == [("2026-06-01", 2, 1)]
    wrong = client.get("/statistics", params={"period": "fortnight"})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "period"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    receive(client)
    assert client.get("/ready").json() == {"status": "ready", "position": 2}


def test_a_list_read_while_a_projection_worker_moves_the_views(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request's catch-up loses the race to a worker that commits first (the
    compare-and-set of the positions refuses it): it answers from the worker's views."""
    with (
        ComplaintLog(f"sqlite:///{tmp_path / 'race.db'}") as log,
        Projections(log) as views,
        Projections(log) as worker,
    ):
        follower = views._follower
        real = follower._process
        races: list[int] = []

        def worker_commits_first(*args: Any) -> None:
            races.append(worker.catch_up())
            real(*args)

        monkeypatch.setattr(follower, "_process", worker_commits_first)
        with TestClient(create_app(log, projections=views)) as client:
            cid = receive(client)
            answer = client.get("/complaints")
        assert answer.status_code == 200, answer.text
        assert [item["id"] for item in answer.json()["items"]] == [cid]
        assert races == [log.max_position()]  # the worker processed it, not the request

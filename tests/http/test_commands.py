"""Recording over HTTP: receive, every step, idempotency, and refusals as problems."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from http_support import MONDAY, NEW

from complaintlog import ComplaintLog
from complaintlog.application.group_commit import GroupCommit
from complaintlog.http import create_app
from complaintlog.rules import STEP_COMMANDS

# Every step of the log, with a body it accepts, in an order the process allows.
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("acknowledge", {"message": "Sorry!"}),
    ("record_desired_remedy", {"remedy": "refund"}),
    (
        "attach_evidence",
        {"name": "receipt.pdf", "media_type": "application/pdf", "sha256": "a" * 64},
    ),
    ("note", {"text": "Called twice, no answer"}),
    ("assign", {"assignee": "ivo", "team": "network"}),
    ("reclassify", {"reason": "assessed", "severity": "high"}),
    ("escalate", {"level": "supervisor", "reason": "angry"}),
    ("make_promise", {"promise": "Technician visit", "due": "2026-06-02T09:00:00+00:00"}),
    ("inform", {"message": "On the way"}),
    ("pause", {"reason": "waiting for the router's serial number"}),
    ("resume", {}),
    ("resolve", {"remedy": "repair", "summary": "Router replaced"}),
    ("follow_up", {"solved": False, "note": "still drops"}),
    ("resolve", {"remedy": "replacement", "summary": "New line"}),
    ("send_survey", {"channel": "email"}),
    ("record_survey", {"score": 4}),
    ("reopen", {"reason": "customer_returned"}),
    ("withdraw", {"reason": "moved away"}),
]


def receive(client: TestClient, body: dict[str, Any] | None = None, **headers: str) -> str:
    response = client.post("/complaints", json=body or NEW, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_every_step_of_the_log_has_a_route_and_records_its_event(
    client: TestClient, log: ComplaintLog
) -> None:
    assert {step for step, _ in STEPS} == set(STEP_COMMANDS)
    cid = receive(client)
    for step, body in STEPS:
        response = client.post(f"/complaints/{cid}/{step}", json=body)
        assert response.status_code == 200, (step, response.text)
        assert response.json()["step"] == step
    events = [entry.event for entry in log.history(cid)]
    # receive, each step, and the reopening that follow_up(solved=False) records with it
    assert len(events) == 1 + len(STEPS) + 1
    assert events.count("Reopened") == 2
    view = log.get(cid)
    assert (view.status.value, view.assignee, view.team) == ("withdrawn", "ivo", "network")
    assert [p.promise for p in view.promises] == ["Technician visit"]


def test_a_step_without_required_fields_may_leave_the_body_out(client: TestClient) -> None:
    cid = receive(client)
    assert client.post(f"/complaints/{cid}/acknowledge").status_code == 200


def test_make_promise_answers_the_promise_id(client: TestClient, log: ComplaintLog) -> None:
    cid = receive(client)
    due = (MONDAY + timedelta(days=1)).isoformat()
    answer = client.post(f"/complaints/{cid}/make_promise", json={"promise": "Call", "due": due})
    assert answer.json()["result"] == str(log.get(cid).promises[0].promise_id)


def test_the_actor_is_the_authenticated_one_never_the_body(
    client: TestClient, log: ComplaintLog
) -> None:
    cid = receive(client)
    forged = client.post(f"/complaints/{cid}/acknowledge", json={"actor": "boss"})
    assert forged.status_code == 422
    assert forged.json()["field"] == "actor"
    assert client.post(f"/complaints/{cid}/acknowledge").status_code == 200
    assert [e.actor for e in log.history(cid)] == ["anonymous", "anonymous"]


def test_a_retried_receive_returns_the_first_answer_and_records_once(
    client: TestClient, log: ComplaintLog
) -> None:
    first = client.post("/complaints", json=NEW, headers={"Idempotency-Key": "req-1"})
    again = client.post("/complaints", json=NEW, headers={"Idempotency-Key": "req-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert log.max_position() == 2  # the complaint and its external reference, once


def test_a_retried_step_records_once(client: TestClient, log: ComplaintLog) -> None:
    cid = receive(client)
    body = {"assignee": "ivo"}
    for _ in range(3):
        answer = client.post(
            f"/complaints/{cid}/assign", json=body, headers={"Idempotency-Key": "a"}
        )
        assert answer.status_code == 200
    assert [e.event for e in log.history(cid)] == ["Received", "Assigned"]


def test_the_same_key_with_another_body_is_a_422(client: TestClient, log: ComplaintLog) -> None:
    cid = receive(client)
    key = {"Idempotency-Key": "a"}
    assert client.post(
        f"/complaints/{cid}/assign", json={"assignee": "ivo"}, headers=key
    ).is_success
    other = client.post(f"/complaints/{cid}/assign", json={"assignee": "eva"}, headers=key)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["field"] == "Idempotency-Key"
    assert log.get(cid).assignee == "ivo"


def test_invalid_input_is_a_422_naming_field_value_and_rule(
    client: TestClient, log: ComplaintLog
) -> None:
    answer = client.post("/complaints", json={**NEW, "channel": "pigeon"})
    assert answer.status_code == 422
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert (problem["status"], problem["field"], problem["value"]) == (422, "channel", "'pigeon'")
    assert "phone" in problem["rule"]  # the rule lists the channels there are
    assert log.max_position() == 0


def test_the_logs_own_validation_is_a_422_too(client: TestClient) -> None:
    cid = receive(client)
    far = (MONDAY + timedelta(days=4000)).isoformat()
    answer = client.post(f"/complaints/{cid}/make_promise", json={"promise": "x", "due": far})
    assert answer.status_code == 422
    assert answer.json()["field"] == "due"
    assert "days of being made" in answer.json()["rule"]


def test_a_refused_step_is_a_409_with_the_rule_and_records_nothing(
    client: TestClient, log: ComplaintLog
) -> None:
    cid = receive(client)
    answer = client.post(f"/complaints/{cid}/resolve", json={"remedy": "refund", "summary": "x"})
    assert answer.status_code == 409
    assert answer.json()["rule"] == "Resolved implies Acknowledged"
    assert len(log.history(cid)) == 1


def test_an_unknown_complaint_is_a_404_and_an_unknown_step_too(client: TestClient) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    answer = client.post(f"/complaints/{unknown}/acknowledge")
    assert answer.status_code == 404
    assert answer.json()["title"] == "No such complaint"
    cid = receive(client)
    assert client.post(f"/complaints/{cid}/teleport").status_code == 404


def test_a_duplicate_external_reference_is_a_409(client: TestClient) -> None:
    receive(client)
    again = client.post("/complaints", json=NEW)
    assert again.status_code == 409
    assert again.json()["field"] == "external_ref"


def test_read_only_serves_no_recording_route(log: ComplaintLog) -> None:
    with TestClient(create_app(log, read_only=True)) as client:
        assert client.post("/complaints", json=NEW).status_code == 405
        assert client.get("/complaints").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert all("post" not in operations for operations in paths.values())
    assert log.max_position() == 0


def test_a_time_out_of_any_sane_range_is_a_422_not_a_crash(client: TestClient) -> None:
    """Found by schemathesis: year 1 cannot be converted to UTC (OverflowError)."""
    cid = receive(client)
    due = "0001-01-01T00:00:01+01:01"
    answer = client.post(f"/complaints/{cid}/make_promise", json={"promise": "x", "due": due})
    assert answer.status_code == 422
    assert answer.json()["field"] == "due"


def test_requests_that_arrive_together_share_a_commit_and_keep_their_answers(
    app: Any, log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six receives queued behind one commit (the test holds the leader's lock until all
    six wait, some perhaps taken already by the commands thread): retries answer the first
    id, refusals are theirs alone, one complaint per key or reference is recorded. The same
    answers as one after the other."""
    earlier = log.receive(**{**NEW, "external_ref": "OLD"})
    requests = [
        ({**NEW, "external_ref": "T-1"}, "same"),
        ({**NEW, "external_ref": "T-1"}, "same"),  # a retry
        ({**NEW, "external_ref": "T-2"}, "same"),  # the key with another body
        ({**NEW, "external_ref": "T-3"}, None),
        ({**NEW, "external_ref": "OLD"}, None),  # taken: the commit fails, each runs alone
        ({**NEW, "external_ref": "T-4"}, None),
    ]
    answers: list[httpx.Response] = []

    async def send_all() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers.extend(
                await asyncio.gather(
                    *(
                        client.post(
                            "/complaints",
                            json=body,
                            headers={"Idempotency-Key": key} if key else {},
                        )
                        for body, key in requests
                    )
                )
            )

    found = app.state.complaintlog
    groups: list[int] = []  # the commands handed to each transaction's leader
    run_together = GroupCommit.run_together

    def counted(writer: GroupCommit, commands: list[tuple[str, dict[str, Any]]]) -> Any:
        groups.append(len(commands))
        return run_together(writer, commands)

    monkeypatch.setattr(GroupCommit, "run_together", counted)
    sender = threading.Thread(target=asyncio.run, args=(send_all(),))
    with found.writer._leader_lock:  # a commit under way: the requests queue behind it
        sender.start()
        while sum(groups) + found.offload.commands_waiting() < len(requests):
            assert sender.is_alive(), "the sender stopped before every request was queued"
            sender.join(0.005)
    sender.join()
    found.close()
    assert sum(groups) == len(requests)
    assert len(groups) <= 2  # what waited behind the commit went in one group
    assert max(groups) > 1

    statuses = [answer.status_code for answer in answers]
    assert statuses == [201, 201, 422, 201, 409, 201]
    assert answers[0].json() == answers[1].json()
    assert answers[4].json()["field"] == "external_ref"
    found = {ref: log.find(ref) for ref in ("T-1", "T-2", "T-3", "T-4", "OLD")}
    assert found["T-2"] is None
    assert found["OLD"] == earlier
    assert str(found["T-1"]) == answers[0].json()["id"]
    complaints = list(log.complaint_ids())  # nothing recorded twice, nothing lost
    assert sorted(map(str, complaints)) == sorted(
        str(found[r]) for r in ("T-1", "T-3", "T-4", "OLD")
    )
    assert sum(len(log.history(c)) for c in complaints) == 4

"""The CRM's endpoints, called as the CRM's front end would, through WSGI."""

from __future__ import annotations

import io
import json
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from service import make_app

from complaintlog import ComplaintLog


def call(
    app: Any, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    status: list[str] = []
    chunks = app(environ, lambda s, h: status.append(s))
    return int(status[0].split()[0]), json.loads(b"".join(chunks))


@pytest.fixture
def app() -> Any:
    with ComplaintLog() as log:
        yield make_app(log)


NEW = {
    "customer": {"id": "C-1", "name": "Ana Horvat"},
    "channel": "phone",
    "subject": "Router",
    "description": "No connection since Monday",
    "external_ref": "CRM-5",
}


def test_a_complaint_is_received_acknowledged_and_found_by_reference(app: Any) -> None:
    status, created = call(app, "POST", "/complaints", NEW)
    assert status == 201
    cid = created["id"]
    assert call(app, "POST", f"/complaints/{cid}/acknowledge", {"message": "Sorry!"})[0] == 200
    assert call(app, "POST", f"/complaints/{cid}/assign", {"assignee": "Ivo"})[0] == 200
    status, state = call(app, "GET", f"/complaints/{cid}")
    assert (status, state["status"], state["assignee"]) == (200, "in_progress", "Ivo")
    assert call(app, "GET", "/complaints/by-ref/CRM-5") == (200, {"id": cid})


def test_a_retried_post_with_the_same_idempotency_key_records_once(app: Any) -> None:
    first = call(app, "POST", "/complaints", NEW, {"Idempotency-Key": "req-1"})
    again = call(app, "POST", "/complaints", NEW, {"Idempotency-Key": "req-1"})
    assert first == (201, again[1])
    assert again[0] == 201


def test_bad_input_is_a_422_naming_the_field(app: Any) -> None:
    status, error = call(app, "POST", "/complaints", {**NEW, "channel": "pigeon"})
    assert status == 422
    assert error["field"] == "channel"
    assert "'pigeon'" in error["value"]


def test_a_refused_step_is_a_409_and_an_unknown_complaint_a_404(app: Any) -> None:
    cid = call(app, "POST", "/complaints", NEW)[1]["id"]
    status, error = call(
        app, "POST", f"/complaints/{cid}/resolve", {"remedy": "refund", "summary": "x"}
    )
    assert status == 409
    assert "Resolved implies Acknowledged" in error["error"]
    unknown = "00000000-0000-4000-8000-000000000000"
    assert call(app, "GET", f"/complaints/{unknown}")[0] == 404

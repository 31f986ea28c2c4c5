"""A fictional CRM's complaint endpoints, as a plain WSGI app over complaintlog.

POST /complaints                       receive (JSON body), returns {"id": ...}
POST /complaints/<id>/<command>        acknowledge, assign, resolve, ... (JSON body)
GET  /complaints/<id>[?as_of=ISO]      the complaint's state
GET  /complaints/by-ref/<crm ref>      the id for the CRM's reference

The ``Idempotency-Key`` header becomes ``idempotency_key``, so the CRM's HTTP retries never
record a step twice. complaintlog's errors map to HTTP: invalid input 422 (with field,
value and rule), unknown complaint 404, a refused step 409.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from complaintlog import (
    ComplaintLog,
    ComplaintLogError,
    ComplaintNotFoundError,
    ComplaintRuleError,
    InvalidValueError,
)
from complaintlog.rules import STEP_COMMANDS

COMMANDS = frozenset(STEP_COMMANDS)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def make_app(log: ComplaintLog) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, body = route(log, environ)
        payload = json.dumps(body, default=str).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [payload]

    return app


def route(log: ComplaintLog, environ: dict[str, Any]) -> tuple[str, Any]:
    method = environ["REQUEST_METHOD"]
    parts = [p for p in environ.get("PATH_INFO", "").split("/") if p]
    key = environ.get("HTTP_IDEMPOTENCY_KEY")
    try:
        if method == "POST" and parts == ["complaints"]:
            cid = log.receive(**read_json(environ), idempotency_key=key)
            return "201 Created", {"id": str(cid)}
        if method == "POST" and len(parts) == 3 and parts[0] == "complaints":
            if parts[2] not in COMMANDS:
                return "404 Not Found", {"error": f"no command {parts[2]!r}"}
            result = getattr(log, parts[2])(parts[1], **read_json(environ), idempotency_key=key)
            return "200 OK", {"result": str(result) if result is not None else None}
        if method == "GET" and parts[:2] == ["complaints", "by-ref"] and len(parts) == 3:
            found = log.find(parts[2])
            return ("200 OK", {"id": str(found)}) if found else ("404 Not Found", {"id": None})
        if method == "GET" and len(parts) == 2 and parts[0] == "complaints":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            as_of = datetime.fromisoformat(query["as_of"][0]) if "as_of" in query else None
            view = log.get(parts[1], as_of=as_of)
            return "200 OK", {
                "id": str(view.id),
                "status": view.status,
                "assignee": view.assignee,
                "received_at": view.received_at.isoformat(),
                "open_promise": view.open_promise.due.isoformat() if view.open_promise else None,
            }
    except InvalidValueError as error:
        return "422 Unprocessable Entity", {
            "error": str(error),
            "field": error.field,
            "value": repr(error.value),
            "rule": error.rule,
        }
    except ComplaintNotFoundError as error:
        return "404 Not Found", {"error": str(error)}
    except ComplaintRuleError as error:
        return "409 Conflict", {"error": str(error)}
    except ComplaintLogError as error:
        return "400 Bad Request", {"error": str(error)}
    except (ValueError, TypeError) as error:  # malformed JSON or unexpected fields
        return "400 Bad Request", {"error": str(error)}
    return "404 Not Found", {"error": "no such endpoint"}


def read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b"{}"
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise TypeError("the body must be a JSON object")
    return body


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    with ComplaintLog("sqlite:///crm-complaints.db") as complaint_log:
        print("serving on http://127.0.0.1:8765")
        make_server("127.0.0.1", 8765, make_app(complaint_log)).serve_forever()

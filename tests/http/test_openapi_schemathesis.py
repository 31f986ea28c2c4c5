"""The API against its own OpenAPI document: schemathesis generates requests for every
operation (valid and invalid) and sends them to the app served by a real uvicorn; no answer
may be a server error, and every answer must match the spec (status code, content type,
body schema)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import schemathesis
from http_support import MONDAY, NEW, LiveServer, MovingClock
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from complaintlog import ComplaintLog
from complaintlog.http import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


KNOWN = "3f1c2a9e-5b7d-4c1e-9a2b-6d8e0f4a1b2c"
"""The idempotency key of the complaint the spec is tried on, besides random ids."""


@pytest.fixture(scope="module")
def live_api() -> Iterator[schemathesis.BaseSchema]:
    clock = MovingClock(MONDAY)
    with ComplaintLog("memory://", clock=clock) as log:
        first = log.receive(**NEW, idempotency_key=KNOWN)
        log.acknowledge(first)
        log.make_promise(first, promise="Call back", due=MONDAY + timedelta(hours=2))
        clock.advance(timedelta(days=2))  # something breached, something on the agenda
        with LiveServer(create_app(log)) as url:
            loaded = schemathesis.openapi.from_url(f"{url}/openapi.json")
            loaded.known_complaint = str(first)  # type: ignore[attr-defined]
            yield loaded


def operations(schema: schemathesis.BaseSchema) -> list[APIOperation]:
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize(
    ("mode", "on_known"),
    [
        (GenerationMode.POSITIVE, False),
        (GenerationMode.POSITIVE, True),
        (GenerationMode.NEGATIVE, False),
    ],
    ids=["valid-requests", "valid-requests-on-a-real-complaint", "invalid-requests"],
)
def test_the_api_answers_every_request_as_its_spec_says(
    live_api: schemathesis.BaseSchema, mode: GenerationMode, on_known: bool
) -> None:
    found = operations(live_api)
    assert len(found) >= 20  # every route is in the spec
    for operation in found:
        takes_input = any(
            len(part) for part in (operation.path_parameters, operation.query, operation.headers)
        ) or bool(list(operation.body))
        if mode is GenerationMode.NEGATIVE and not takes_input:
            continue  # nothing to get wrong (health, readiness)

        fixed = None
        if on_known:
            if "complaint_id" not in [p.name for p in operation.path_parameters]:
                continue
            fixed = {"complaint_id": live_api.known_complaint}  # type: ignore[attr-defined]

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        run()

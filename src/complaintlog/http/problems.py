"""Errors as RFC 9457 problem details: the one place where an error becomes an HTTP answer.

Every refusal of complaintlog is a :class:`~complaintlog.errors.ComplaintLogError`; this
module decides its status and body. Invalid input is 422 with the ``field``, the ``value``
and the ``rule``; an unknown complaint 404; a step the process refuses 409 with the
``rule``'s name; an actor the policy refuses 403. Bodies are ``application/problem+json``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from complaintlog.errors import (
    ComplaintLogError,
    ComplaintNotFoundError,
    ComplaintRuleError,
    ConcurrencyError,
    DuplicateExternalReferenceError,
    IdempotencyKeyReusedError,
    InvalidValueError,
    NotAuthorizedError,
    StoreConfigurationError,
    StoreUnavailableError,
)

__all__ = ["PROBLEM_JSON", "Problem", "install_problem_handlers", "problem_for", "responses"]

PROBLEM_JSON = "application/problem+json"
_TYPE = "urn:complaintlog:problem:"
_log = logging.getLogger("complaintlog.http")


class Problem(BaseModel):
    """An RFC 9457 problem: ``type``, ``title``, ``status``, ``detail``, and for refusals
    the ``field``, ``value`` and ``rule`` they name."""

    model_config = ConfigDict(extra="forbid")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    field: str | None = None
    """The invalid input, as a dotted path (``customer.id``, ``channel``, ``as_of``)."""
    value: str | None = None
    """The offending value, as ``repr`` shows it (cut to 80 characters)."""
    rule: str | None = None
    """The rule that was broken, in words."""


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def problem_for(error: Exception) -> Problem:
    """The problem an error is: its status, title and the parts it names."""
    if isinstance(error, IdempotencyKeyReusedError):
        return Problem(
            type=_TYPE + "idempotency-key-reused",
            title="Idempotency key reused",
            status=422,
            detail=str(error),
            field="Idempotency-Key",
            value=_shown(error.key),
            rule="a key may only repeat the same command with the same arguments",
        )
    if isinstance(error, InvalidValueError):
        return Problem(
            type=_TYPE + "invalid-value",
            title="Invalid value",
            status=422,
            detail=str(error),
            field=error.field,
            value=_shown(error.value),
            rule=error.rule,
        )
    if isinstance(error, ComplaintNotFoundError):
        return Problem(
            type=_TYPE + "not-found", title="No such complaint", status=404, detail=str(error)
        )
    if isinstance(error, ComplaintRuleError):
        return Problem(
            type=_TYPE + "refused",
            title="Refused by a process rule",
            status=409,
            detail=str(error),
            rule=error.rule,
        )
    if isinstance(error, ConcurrencyError):
        rule = "a command runs against the state it was decided on"
        return Problem(
            type=_TYPE + "conflict", title="Lost a race", status=409, detail=str(error), rule=rule
        )
    if isinstance(error, DuplicateExternalReferenceError):
        return Problem(
            type=_TYPE + "duplicate-external-ref",
            title="External reference already used",
            status=409,
            detail=str(error),
            field="external_ref",
            value=_shown(error.external_ref),
            rule="each CRM reference names one complaint",
        )
    if isinstance(error, NotAuthorizedError):
        return Problem(
            type=_TYPE + "not-authorized",
            title="Not authorised",
            status=403,
            detail=str(error),
            rule=error.rule,
        )
    if isinstance(error, StoreUnavailableError | StoreConfigurationError):
        return Problem(
            type=_TYPE + "store-unavailable",
            title="Store unavailable",
            status=503,
            detail="the store is not answering; retrying is safe",
        )
    if isinstance(error, ComplaintLogError):
        return Problem(type=_TYPE + "refused", title="Refused", status=400, detail=str(error))
    return Problem(title="Internal server error", status=500)


def _validation_problem(error: RequestValidationError) -> Problem:
    """FastAPI's own validation: the first error, named as complaintlog names its own."""
    first = error.errors()[0] if error.errors() else {}
    where = [str(part) for part in first.get("loc", ())]
    if where and where[0] in {"body", "query", "path", "header"}:
        where = where[1:]
    field = ".".join(where) or "body"
    value = first.get("input")
    rule = str(first.get("msg", "invalid"))
    return Problem(
        type=_TYPE + "invalid-value",
        title="Invalid value",
        status=422,
        detail=f"invalid {field}={_shown(value)}: {rule}",
        field=field,
        value=_shown(value),
        rule=rule,
    )


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem document."""

    async def known(request: Request, error: Exception) -> JSONResponse:
        if isinstance(error, NotAuthorizedError):  # about an employee, not a customer
            _log.warning("refused %s to actor %r: %s", error.command, error.actor, error.rule)
        return problem_response(problem_for(error))

    async def invalid(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return problem_response(_validation_problem(error))

    async def http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        problem = Problem(title=str(error.detail), status=error.status_code)
        return problem_response(problem, dict(error.headers or {}))

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        _log.error("unexpected %s on %s", type(error).__name__, request.method, exc_info=error)
        return problem_response(problem_for(error))

    app.add_exception_handler(ComplaintLogError, known)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(Exception, unexpected)


_SCHEMA = Problem.model_json_schema()
_TITLES = {
    400: "Malformed request (a body that is not JSON), or refused",
    401: "Not authenticated",
    403: "Not authorised: the policy refuses this actor",
    404: "No such complaint",
    409: "Refused by a process rule, or lost a race",
    422: "Invalid input: the field, the value and the rule",
    503: "The store is not answering",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may answer with (and 400: malformed)."""
    return {
        status: {
            "description": _TITLES[status],
            "content": {PROBLEM_JSON: {"schema": _SCHEMA}},
        }
        for status in sorted({400, *statuses})
    }

"""Routes that record: ``POST /complaints`` and ``POST /complaints/{id}/{step}``.

One route per step of :data:`complaintlog.rules.STEP_COMMANDS`, its body the step's
keyword arguments (:func:`complaintlog.http.models.body_model`). The ``Idempotency-Key``
header becomes ``idempotency_key``: the log answers a retry with the first answer and
records nothing twice, and refuses the key with another body (422). The endpoints are
``async``: the policy decides on the event loop, and the log's work runs on the
:class:`~complaintlog.http.offload.Offload`'s threads, where commands that arrive together
share a transaction.
"""

# No ``from __future__ import annotations``: FastAPI reads the body models from the
# endpoints' annotations, which are made per step at run time.

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Path, Response
from pydantic import BaseModel

from complaintlog.application.commands import with_flags
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.rules import STEP_COMMANDS
from complaintlog.errors import ComplaintNotFoundError
from complaintlog.http.context import Caller, Services, caller
from complaintlog.http.models import Created, StepResult, body_model
from complaintlog.http.problems import responses
from complaintlog.http.security import authorize_command, receive_flag

__all__ = ["command_routes"]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="A retry with the same key returns the first answer and records nothing.",
    ),
]


def _arguments(body: BaseModel | None) -> dict[str, Any]:
    """The fields the caller sent (defaults stay the method's own)."""
    if body is None:
        return {}
    return {name: getattr(body, name) for name in body.model_fields_set}


def _receive_route(router: APIRouter) -> None:
    model = body_model("receive")

    async def receive(
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        response: Response,
        asking: Annotated[Caller, Depends(caller)],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Created:
        found, who = asking.services, asking.identity
        arguments = _arguments(body)
        flag = receive_flag(
            found.command_policy(who), who, arguments, arguments.get("at") or found.log.clock()
        )
        if flag is not None:  # a complaint is never turned away: the denial is a flag
            arguments["attributes"] = with_flags(arguments.get("attributes"), [flag])
        complaint_id = await found.offload.command(
            "receive", **arguments, actor=who.actor, idempotency_key=idempotency_key
        )
        response.headers["Location"] = f"complaints/{complaint_id}"
        return Created(id=complaint_id)

    router.add_api_route(
        "/complaints",
        receive,
        methods=["POST"],
        status_code=201,
        summary="Receive a complaint",
        description=model.__doc__ or "",
        operation_id="receive",
        responses=responses(401, 403, 409, 422, 503),
    )


def _state_of(found: Services, complaint_id: UUID) -> ComplaintView | None:
    """The complaint now, for the policy's decision (``None`` if it does not exist)."""
    try:
        return found.log.get(complaint_id)
    except ComplaintNotFoundError:
        return None


async def _run_step(
    step: str,
    asking: Caller,
    complaint_id: UUID,
    body: BaseModel | None,
    idempotency_key: str | None,
) -> StepResult:
    found, who = asking.services, asking.identity
    arguments = _arguments(body)
    policy = found.command_policy(who)
    if policy is not None:  # this interface decides, from the complaint as it is now
        authorize_command(
            policy,
            who,
            name=step,
            complaint_id=complaint_id,
            state=await found.offload.read(_state_of, found, complaint_id),
            arguments=arguments,
            at=arguments.get("at") or found.log.clock(),
        )
    result = await found.offload.command(
        step,
        complaint_id=complaint_id,
        **arguments,
        actor=who.actor,
        idempotency_key=idempotency_key,
    )
    return StepResult(
        complaint_id=complaint_id, step=step, result=result if isinstance(result, UUID) else None
    )


ComplaintIdPath = Annotated[UUID, Path(description="The complaint's id")]
Asking = Annotated[Caller, Depends(caller)]


def _step_route(router: APIRouter, step: str) -> None:
    model = body_model(step)
    required = any(field.is_required() for field in model.model_fields.values())

    async def run(
        complaint_id: ComplaintIdPath,
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        asking: Asking,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> StepResult:
        return await _run_step(step, asking, complaint_id, body, idempotency_key)

    async def run_optional(
        complaint_id: ComplaintIdPath,
        asking: Asking,
        body: Annotated[model | None, Body()] = None,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> StepResult:
        return await _run_step(step, asking, complaint_id, body, idempotency_key)

    router.add_api_route(
        f"/complaints/{{complaint_id}}/{step}",
        run if required else run_optional,
        methods=["POST"],
        summary=step.replace("_", " ").capitalize(),
        description=model.__doc__ or "",
        operation_id=step,
        responses=responses(401, 403, 404, 409, 422, 503),
    )


def command_routes() -> APIRouter:
    """The recording routes: receive and every step the log has."""
    router = APIRouter(tags=["commands"])
    _receive_route(router)
    for step in STEP_COMMANDS:
        _step_route(router, step)
    return router

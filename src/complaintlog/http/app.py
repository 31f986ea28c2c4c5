"""``create_app``: complaintlog as an ASGI app a CRM mounts under a prefix.

>>> from complaintlog import ComplaintLog
>>> from complaintlog.http import create_app
>>> app = create_app(ComplaintLog())          # then: crm.mount("/complaintlog", app)

The app has the recording routes (unless ``read_only``), the reading routes, readiness
and health, the team lead's dashboard at ``/``, and ``/openapi.json`` describing it all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

from complaintlog.application import ComplaintLog
from complaintlog.application.authorization import Policy
from complaintlog.http.access_log import AccessLog
from complaintlog.http.commands import command_routes
from complaintlog.http.context import Services, services
from complaintlog.http.dashboard import dashboard_routes
from complaintlog.http.problems import install_problem_handlers, responses
from complaintlog.http.queries import query_routes
from complaintlog.http.security import Authenticate
from complaintlog.projections import Projections

__all__ = ["create_app"]

_DESCRIPTION = """\
Every step of a customer complaint, recorded as an immutable event.

Errors are RFC 9457 problem details (`application/problem+json`): invalid input 422 with
the `field`, `value` and `rule`; an unknown complaint 404; a step the process refuses 409
with the `rule`; an actor the policy refuses 403. Send an `Idempotency-Key` header with
every POST: a retry with the same key returns the first answer and records nothing twice.
"""


class Health(BaseModel):
    status: str
    version: str


class Readiness(BaseModel):
    status: str
    position: int
    """The position of the last recorded event."""


def _health_routes() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness: the process answers")
    def health() -> Health:
        return Health(status="ok", version=metadata.version("complaintlog"))

    @router.get("/ready", summary="Readiness: the store answers", responses=responses(503))
    def ready(found: Services = Depends(services)) -> Readiness:  # noqa: B008
        return Readiness(status="ready", position=found.log.max_position())

    return router


def create_app(
    log: ComplaintLog,
    *,
    projections: Projections | None = None,
    policy: Policy | None = None,
    authenticate: Authenticate | None = None,
    read_only: bool = False,
    dashboard: bool = True,
) -> FastAPI:
    """An ASGI app over ``log``.

    ``projections`` are the log's views to read lists, the agenda and statistics from
    (default: the log's stored views, opened on first use and closed with the app).
    ``policy`` decides who may do what (default: the log's own ``authorization``; none:
    everything is allowed); ``authenticate(request)`` says who is asking (an
    :class:`~complaintlog.http.Identity`, an actor name, or ``None`` for 401; without it
    every request is the actor ``anonymous`` with the policy's ``anonymous_role``).
    ``read_only`` leaves the recording routes out.
    """
    found = Services(
        log=log,
        projections=projections,
        policy=policy if policy is not None else log.authorization,
        authenticate=authenticate,
        read_only=read_only,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        found.close()

    app = FastAPI(
        title="complaintlog",
        version=metadata.version("complaintlog"),
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.complaintlog = found
    install_problem_handlers(app)
    if not read_only:
        app.include_router(command_routes())
    app.include_router(query_routes())
    app.include_router(_health_routes())
    if dashboard:
        app.include_router(dashboard_routes())
    app.add_middleware(AccessLog)
    return app

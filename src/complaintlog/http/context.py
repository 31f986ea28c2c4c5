"""What every route needs: the log, its projections, the policy and who is asking.

One :class:`Services` lives on the app (``app.state.complaintlog``); routes reach it with
the :func:`services` and :func:`identity` dependencies, so a mounted app finds its own.
Projections are read under one lock, each read after a catch-up: what a request wrote is
what the next request's lists show, and two requests never catch up at once. A projection
worker that moved the views during that catch-up wins the race; the request reads the
views as the worker left them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, ParamSpec, TypeVar

import attrs
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from complaintlog.application import ComplaintLog
from complaintlog.application.authorization import Policy
from complaintlog.application.authorization.reading import ReadAccess
from complaintlog.application.group_commit import GroupCommit
from complaintlog.http.security import Authenticate, Identity, identify, read_access
from complaintlog.projections import ProjectionConflictError, Projections

__all__ = ["Reader", "Services", "identity", "in_worker_thread", "reader", "services"]

P = ParamSpec("P")
T = TypeVar("T")


async def in_worker_thread(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``work(*args, **kwargs)`` in a worker thread, for an ``async`` endpoint whose work
    blocks (the log, the store).

    FastAPI runs a plain ``def`` endpoint in a worker thread, then validates its answer
    against the response model in a second one. In py-spy's samples of the HTTP bench
    that second hop cost far more than the validation itself, so the busiest routes
    (recording, one complaint's state) are ``async`` and hop once; their answer is
    validated on the event loop.
    """
    return await run_in_threadpool(work, *args, **kwargs)


@attrs.define
class Services:
    log: ComplaintLog
    projections: Projections | None
    policy: Policy | None
    authenticate: Authenticate | None
    read_only: bool = False
    owns_projections: bool = False
    writer: GroupCommit = attrs.field(
        default=attrs.Factory(lambda self: GroupCommit(self.log), takes_self=True)
    )
    """Runs the routes' commands: concurrent requests share a transaction."""
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def views(self) -> Projections:
        """The projections, opened on first use (they build from the log's store)."""
        if self.projections is None:
            self.projections = Projections(self.log)
            self.owns_projections = True
        return self.projections

    @contextmanager
    def caught_up(self) -> Iterator[Projections]:
        with self._lock:
            views = self.views()
            # a projection worker that moved the views meanwhile: as current as it made them
            with contextlib.suppress(ProjectionConflictError):
                views.catch_up()
            yield views

    def command_policy(self, who: Identity) -> Policy | None:
        """The policy this interface checks a command against, ``None`` when the log does.

        When the policy is the log's own and the actor's roles come from its actor table,
        the log decides, and records a refusal as an access attempt; otherwise the roles
        come from ``authenticate`` and the interface asks the policy first.
        """
        if self.policy is self.log.authorization and who.roles is None:
            return None
        return self.policy

    def close(self) -> None:
        if self.owns_projections and self.projections is not None:
            self.projections.close()
            self.projections = None


async def services(request: Request) -> Services:
    """Async, as every dependency here: they never block, and a sync one would cost a
    worker-thread hop per request."""
    found = request.app.state.complaintlog
    assert isinstance(found, Services)
    return found


async def identity(request: Request, found: Annotated[Services, Depends(services)]) -> Identity:
    return await identify(request, found.authenticate, found.policy)


@attrs.frozen
class Reader:
    """The services, identity and read access of a request allowed to read."""

    services: Services
    identity: Identity
    access: ReadAccess


async def reader(
    found: Annotated[Services, Depends(services)], who: Annotated[Identity, Depends(identity)]
) -> Reader:
    return Reader(found, who, read_access(found.policy, who))

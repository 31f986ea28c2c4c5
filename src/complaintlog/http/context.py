"""What every route needs: the log, its projections, the policy and who is asking.

One :class:`Services` lives on the app (``app.state.complaintlog``); routes reach it with
the :func:`caller` and :func:`reader` dependencies, so a mounted app finds its own.
Projections are read under one lock, each read after a catch-up: what a request wrote is
what the next request's lists show, and two requests never catch up at once. A projection
worker that moved the views during that catch-up wins the race; the request reads the
views as the worker left them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
from fastapi import Request

from complaintlog.application import ComplaintLog
from complaintlog.application.authorization import Policy
from complaintlog.application.authorization.reading import ReadAccess
from complaintlog.application.group_commit import GroupCommit
from complaintlog.http.offload import Offload
from complaintlog.http.security import Authenticate, Identity, identify, read_access
from complaintlog.projections import ProjectionConflictError, Projections

__all__ = ["Caller", "Reader", "Services", "caller", "reader", "services"]


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
    offload: Offload = attrs.field(
        default=attrs.Factory(lambda self: Offload(self.writer), takes_self=True)
    )
    """Where the ``async`` routes run the log's blocking work, off the event loop."""
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
        self.offload.close()
        if self.owns_projections and self.projections is not None:
            self.projections.close()
            self.projections = None


def _services_of(request: Request) -> Services:
    found = request.app.state.complaintlog
    assert isinstance(found, Services)
    return found


# Every dependency here is ``async`` (they never block; a sync one would cost a
# worker-thread hop per request) and takes the request alone: FastAPI's cost is per
# dependency solved, so a route asks for one (its ``Caller`` or ``Reader``), not a chain.


async def services(request: Request) -> Services:
    """The app's services (for routes that ask nothing of the caller)."""
    return _services_of(request)


@attrs.frozen
class Caller:
    """The services and the identity of a request."""

    services: Services
    identity: Identity


async def caller(request: Request) -> Caller:
    found = _services_of(request)
    return Caller(found, await identify(request, found.authenticate, found.policy))


@attrs.frozen
class Reader:
    """The services, identity and read access of a request allowed to read."""

    services: Services
    identity: Identity
    access: ReadAccess


async def reader(request: Request) -> Reader:
    found = _services_of(request)
    who = await identify(request, found.authenticate, found.policy)
    return Reader(found, who, read_access(found.policy, who))

"""Request logging that never writes personal data.

One line per request on the ``complaintlog.http`` logger: the method, the route's template
(``/complaints/{complaint_id}/resolve``, never the filled-in path, query string, headers or
body, where customers' names, e-mail addresses or references could be), the status and
the time taken. Authorisation refusals are logged with the actor and the rule, since they
are about employees, not customers.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog"]

log = logging.getLogger("complaintlog.http")


class AccessLog:
    """ASGI middleware writing one line per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            log.info(
                "%s %s %d %.1fms",
                scope["method"],
                _template(scope),
                status,
                (time.perf_counter() - started) * 1000,
            )


def _template(scope: Scope) -> str:
    """The matched route's path template, or ``(unmatched)``: never the request's path."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    prefix = scope.get("root_path", "")
    return f"{prefix}{path}" if isinstance(path, str) else "(unmatched)"

"""Helpers of the HTTP tests (conftest.py puts this folder on the import path)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn


class MovingClock:
    """The log's recording clock: the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


MONDAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
"""1 June 2026 is a Monday."""

NEW: dict[str, Any] = {
    "customer": {"id": "C-1", "name": "Ana Horvat", "email": "ana@example.org"},
    "channel": "phone",
    "subject": "Router",
    "description": "No connection since Monday",
    "external_ref": "CRM-5",
}


class LiveServer:
    """An ASGI app served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                msg = "uvicorn did not start"
                raise RuntimeError(msg)
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

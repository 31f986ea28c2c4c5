"""Stop a long-running command cleanly on SIGTERM or SIGINT.

The handler only sets an event; the worker or relay sees it between batches, finishes the
batch in progress, saves its position and returns, and the command exits 0.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["stop_on_signals"]


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by the first SIGTERM or SIGINT while the block runs."""
    stop = threading.Event()

    def handler(signum: int, _: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

"""Pausing Python's cyclic garbage collector around bulk work.

A bulk step (a batch of imported commands until its commit, a page of a projection
rebuild) makes many objects that all live until the step ends. The collector, triggered
by every few hundred allocations, walks them again and again and frees none: about a
tenth of a bulk import's time. Paused for the step, it runs once afterwards instead.
Pausing is process-wide, so it is only used around steps that end soon.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (a no-op if already paused)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()

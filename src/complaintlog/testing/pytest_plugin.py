"""pytest fixtures for projects that use complaintlog, registered as a pytest plugin.

Installing complaintlog makes ``complaint_log`` (an in-memory ``ComplaintLog``),
``complaint_clock`` (the recording clock it runs on, moved by hand) and
``complaint_log_factory`` (more logs on that clock, e.g. with your rules or policy)
available in any test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from complaintlog.application import ComplaintLog
from complaintlog.testing.machine import SteppingClock


@pytest.fixture
def complaint_clock() -> SteppingClock:
    """Recording time fixed at 2026-06-01 09:00 UTC until the test moves ``.now``."""
    return SteppingClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def complaint_log(complaint_clock: SteppingClock) -> Iterator[ComplaintLog]:
    """A fresh in-memory ComplaintLog on ``complaint_clock``."""
    with ComplaintLog("memory://", clock=complaint_clock) as log:
        yield log


@pytest.fixture
def complaint_log_factory(
    complaint_clock: SteppingClock,
) -> Iterator[Callable[..., ComplaintLog]]:
    """Make more in-memory logs on ``complaint_clock``: ``factory(rules=[...])``.

    Keyword arguments go to ``ComplaintLog``; every log made is closed after the test.
    """
    made: list[ComplaintLog] = []

    def factory(store: str = "memory://", **options: Any) -> ComplaintLog:
        options.setdefault("clock", complaint_clock)
        log = ComplaintLog(store, **options)
        made.append(log)
        return log

    yield factory
    for log in made:
        log.close()

"""pytest fixtures for projects that use complaintlog, registered as a pytest plugin.

Installing complaintlog makes ``complaint_log`` (an in-memory ``ComplaintLog``) and
``complaint_clock`` (the recording clock it runs on, moved by hand) available in any test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

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

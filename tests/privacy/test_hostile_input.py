"""Hostile values in the arguments added for privacy, authorisation and schema evolution.

Only ``ComplaintLogError`` escapes, and a refused call leaves no trace: no event, no key
destroyed, no refusal recorded except by the policy.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from complaintlog import ComplaintLog, ComplaintLogError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOSTILE: list[Any] = [
    "",
    "\x00",
    "line\nbreak",
    "'; DROP TABLE complaintlog_personal_keys; --",
    "Robert'); DELETE FROM stored_events WHERE ('1'='1",
    "\u202eevil",
    "x" * 100_000,
    "\ud800",
    math.nan,
    -1,
    None,
    [],
    {},
    object(),
    b"\xff",
    datetime(2026, 3, 2, 9, 0),  # naive on purpose
    datetime(9999, 12, 31, tzinfo=UTC),
]


@pytest.fixture
def filled(tmp_path: Any) -> Any:
    with ComplaintLog(
        f"sqlite:///{tmp_path / 'c.db'}", clock=lambda: T0 + timedelta(days=30)
    ) as log:
        complaint_id = log.receive(
            customer={"id": "C-1", "name": "Ana"},
            channel="web",
            subject="s",
            description="d",
            at=T0,
        )
        yield log, complaint_id


def attempt(call: Any) -> bool:
    """True when the call was accepted; any escaping error but ours fails the test."""
    try:
        call()
    except ComplaintLogError:
        return False
    return True


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:30])
def test_hostile_erasure_arguments_destroy_nothing(filled: Any, value: Any) -> None:
    log, complaint_id = filled
    for arguments in (
        {"customer_id": value, "reason": "request"},
        {"customer_id": "C-1", "reason": value},
        {"customer_id": "C-1", "reason": "request", "at": value},
        {"customer_id": "C-1", "reason": "request", "actor": value},
    ):
        accepted = attempt(lambda a=arguments: log.erase_personal_data(**a))
        if not accepted or arguments["customer_id"] != "C-1":
            assert log.get(complaint_id).customer.name == "Ana"
            assert log.max_position() == 1
        else:
            return  # a hostile value that is valid (e.g. a far future at is refused above)


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:30])
def test_hostile_new_command_arguments_leave_no_trace(filled: Any, value: Any) -> None:
    log, complaint_id = filled
    accepted = attempt(
        lambda: log.receive(
            customer={"id": "C-2", "name": "Bo"},
            channel="web",
            subject="s",
            description="d",
            personal_fields=value,
        )
    )
    paused = attempt(lambda: log.pause(complaint_id, reason="r", waiting_for=value))
    assert log.max_position() == 1 + accepted + paused
    for name in ("actor", "command", "complaint_id", "since"):
        attempt(lambda n=name: log.denied_attempts(**{n: value}))

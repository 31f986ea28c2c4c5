"""Hostile values for every command argument: only ComplaintLogError escapes, nothing is stored.

Values come from hypothesis (anything JSON-like, odd numbers, odd times) and from a
hand-picked list (control characters, SQL fragments, confusables, huge strings, NaN).
Whatever is accepted must read back exactly; whatever is refused must leave no trace.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintlog import ComplaintLog, ComplaintLogError, InvalidValueError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLOCK = T0 + timedelta(days=30)

HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "line\nbreak",
    "\x1b[31mred\x1b[0m",
    "'; DROP TABLE stored_events; --",
    "Robert'); DELETE FROM complaintlog_events WHERE ('1'='1",
    "\u202eevil",  # right-to-left override
    "\u0440\u0430\u0443\u0440\u0430l",  # "paypal" in Cyrillic letters that look Latin
    "x" * 100_000,
    "\ud800",  # a lone surrogate
    "😀" * 50,
]
HOSTILE_NUMBERS = [math.nan, math.inf, -math.inf, -1, 0, 10**30, Decimal("NaN"), Decimal("-0.001")]
HOSTILE_TIMES: list[Any] = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, tzinfo=UTC),
    datetime(2026, 3, 2, 9, 0),  # naive on purpose
    "2026-13-45",
    "yesterday",
    0,
]
HOSTILE = [*HOSTILE_STRINGS, *HOSTILE_NUMBERS, *HOSTILE_TIMES, None, [], {}, object(), b"\xff"]

COMMANDS: dict[str, dict[str, Any]] = {
    "acknowledge": {"message": "Sorry"},
    "assign": {"assignee": "Ivo", "team": "Care"},
    "escalate": {"level": "supervisor", "reason": "angry"},
    "make_promise": {"promise": "call", "due": T0 + timedelta(days=2)},
    "inform": {"message": "update"},
    "reclassify": {"reason": "checked", "severity": "high"},
    "pause": {"reason": "waiting"},
    "resolve": {
        "remedy": "refund",
        "summary": "refunded",
        "compensation": {"amount": "10.00", "currency": "EUR"},
        "first_contact": True,
    },
    "withdraw": {"reason": "no longer needed"},
}
RECEIVE: dict[str, Any] = {
    "customer": {"id": "C-1", "name": "Ana", "email": "ana@example.org", "address": "Ilica 1"},
    "channel": "phone",
    "subject": "Router",
    "description": "Broken",
    "category": {"dimension": "reliability", "cause": "billing", "product": "Broadband"},
    "severity": "normal",
    "desired_outcome": "A new router",
    "external_ref": "CRM-1",
    "attributes": {"source": "test"},
    "at": T0,
    "actor": "agent",
    "idempotency_key": "k",
}


def fresh() -> tuple[ComplaintLog, UUID]:
    log = ComplaintLog(clock=lambda: CLOCK)
    cid = log.receive(**{**RECEIVE, "external_ref": None, "idempotency_key": None})
    return log, cid


def attempt(call: Any) -> bool:
    """True when accepted; a refusal must be a ComplaintLogError (anything else escapes)."""
    try:
        call()
    except ComplaintLogError:
        return False
    return True


@pytest.mark.parametrize("field", sorted(RECEIVE))
@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:20])
def test_hostile_values_in_a_received_complaint_are_refused_or_kept_exactly(
    field: str, value: Any
) -> None:
    log = ComplaintLog(clock=lambda: CLOCK)
    accepted = attempt(lambda: log.receive(**{**RECEIVE, field: value}))
    if not accepted:
        assert log.max_position() == 0
    log.close()


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:20])
def test_hostile_values_in_every_command_argument_leave_no_trace(command: str, value: Any) -> None:
    for field in [*COMMANDS[command], "at", "actor", "idempotency_key", "complaint_id"]:
        refused_without_trace(command, field, value)


def refused_without_trace(command: str, field: str, value: Any) -> None:
    log, cid = fresh()
    arguments = {"complaint_id": cid, "at": T0 + timedelta(hours=1), **COMMANDS[command]}
    arguments[field] = value
    before = log.max_position()
    if not attempt(lambda: getattr(log, command)(**arguments)):
        assert log.max_position() == before, (command, field, value)
    log.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(RECEIVE)), value=json_values)
def test_generated_values_are_refused_or_read_back_exactly(field: str, value: Any) -> None:
    log = ComplaintLog(clock=lambda: CLOCK)
    arguments = {**RECEIVE, field: value, "idempotency_key": None}
    try:
        cid = log.receive(**arguments)
    except ComplaintLogError:
        assert log.max_position() == 0
        return
    view = log.get(cid)
    if field == "subject":
        assert view.subject == str(value).strip()
    if field == "description":
        assert view.description == str(value).strip()
    log.close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=1, max_size=300))
def test_any_accepted_text_reads_back_identically_from_sqlite(
    text: str, tmp_path_factory: Any
) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    with ComplaintLog(f"sqlite:///{folder}/h.db", clock=lambda: CLOCK) as log:
        try:
            cid = log.receive(**{**RECEIVE, "description": text, "idempotency_key": None})
        except ComplaintLogError:
            assert log.max_position() == 0
            return
    with ComplaintLog(f"sqlite:///{folder}/h.db", clock=lambda: CLOCK) as reopened:
        assert reopened.get(cid).description == text.strip()


@pytest.mark.parametrize(
    ("field", "moment"),
    [
        ("due", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))),
        ("at", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))),
        ("due", datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))),
    ],
)
def test_a_moment_at_the_ends_of_the_calendar_is_refused_not_overflowed(
    field: str, moment: datetime
) -> None:
    """Converting these to UTC overflows ``datetime``: schemathesis found it over HTTP."""
    log = ComplaintLog()
    cid = log.receive(customer={"id": "C-1"}, channel="phone", subject="s", description="d")
    arguments: dict[str, Any] = {"promise": "call back", "due": datetime.now(UTC) + timedelta(1)}
    arguments[field] = moment
    with pytest.raises(InvalidValueError, match=field) as raised:
        log.make_promise(cid, **arguments)
    assert "not plausible" in str(raised.value)
    assert len(log.history(cid)) == 1

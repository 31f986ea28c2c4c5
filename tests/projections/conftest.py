"""Fixtures for the projection tests: logs on every store, a policy, and a written-down scenario.

PostgreSQL: the URL comes from ``COMPLAINTLOG_TEST_POSTGRES_URL``; every test gets its own
schema (``?schema=NAME``), dropped afterwards. Without a reachable server the PostgreSQL
cases skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from complaintlog import ComplaintLog
from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import SlaPolicy, SlaTarget
from complaintlog.projections._store import ViewStore

POSTGRES_URL = os.environ.get(
    "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026 (UTC); 2 March 2026 is a Monday."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


class RecordingClock:
    """The log's recording clock, set by the test before each command."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# -- stores ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def reachable_postgres(postgres_url: str) -> str:
    """The suite's PostgreSQL URL (tests/conftest.py skips, or fails under CI, without one)."""
    return postgres_url


@pytest.fixture
def postgres_schema(postgres_schema_url: str) -> str:
    """A store URL naming a fresh schema, dropped after the test (tests/conftest.py)."""
    return postgres_schema_url


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def views_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the in-memory, SQLite and PostgreSQL stores."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'complaints.db'}"
    return str(request.getfixturevalue("postgres_schema"))


@pytest.fixture
def recording_clock() -> RecordingClock:
    return RecordingClock(utc(2, 9))


@pytest.fixture
def store_log(views_store_url: str, recording_clock: RecordingClock) -> Iterator[ComplaintLog]:
    with ComplaintLog(views_store_url, clock=recording_clock) as log:
        yield log


# -- the policy ------------------------------------------------------------------------------

OFFICE = BusinessCalendar("UTC", dict.fromkeys(range(5), ((time(9), time(17)),)), name="office")
"""Monday to Friday 09:00-17:00 UTC: business hours easy to count by hand."""


@pytest.fixture
def policy() -> SlaPolicy:
    return SlaPolicy(
        "test",
        (
            SlaTarget("ack", "acknowledge", timedelta(hours=2), warning_at=0.5),
            SlaTarget("resolve", "resolve", timedelta(hours=16)),
            SlaTarget("keep_promise", "promise", timedelta(0)),
            SlaTarget("follow_up", "follow_up", timedelta(hours=8)),
            SlaTarget(
                "survey",
                "survey",
                timedelta(hours=48),
                clock="calendar",
                not_before=timedelta(hours=24),
                pauses_stop_clock=False,
            ),
        ),
        OFFICE,
    )


# -- the scenario ----------------------------------------------------------------------------


@attrs.frozen
class Scenario:
    a: uuid.UUID
    b: uuid.UUID
    c: uuid.UUID
    d: uuid.UUID

    def name(self, complaint_id: uuid.UUID) -> str:
        return {self.a: "A", self.b: "B", self.c: "C", self.d: "D"}[complaint_id]


BILLING = {"dimension": "reliability", "cause": "billing", "product": "Broadband"}


def run_scenario(log: ComplaintLog, clock: RecordingClock) -> Scenario:
    """Four complaints in the week of Monday 2 March 2026; the tests' tables are counted
    by hand from this script (business hours Mon-Fri 09:00-17:00 UTC).

    Every command is recorded a minute after it happened, except B's escalation, which
    happened Thursday 14:30 but was recorded Friday 10:00 (a late entry).
    """

    def at(moment: datetime) -> dict[str, Any]:
        clock.now = moment + timedelta(minutes=1)
        return {"at": moment}

    a = log.receive(
        customer={"id": "C1"},
        channel="phone",
        subject="Double charge",
        description="Charged twice",
        category=BILLING,
        external_ref="CRM-1",
        **at(utc(2, 10)),
    )
    log.acknowledge(a, **at(utc(2, 11)))
    log.assign(a, assignee="ana", team="billing", **at(utc(2, 11, 30)))
    log.make_promise(a, promise="call back", due=utc(3, 12), **at(utc(2, 12)))
    b = log.receive(
        customer={"id": "C2"},
        channel="email",
        subject="Late parcel",
        description="Parcel is a week late",
        category={"dimension": "responsiveness", "cause": "delay", "product": "Parcel"},
        **at(utc(2, 16)),
    )
    log.inform(a, message="Refund is on its way", **at(utc(3, 11)))
    log.acknowledge(b, **at(utc(3, 11)))
    log.pause(b, reason="waiting for the tracking number", **at(utc(3, 12)))
    log.resolve(
        a,
        remedy="refund",
        summary="Refunded",
        compensation={"amount": "25.50", "currency": "EUR"},
        accepted=True,
        **at(utc(3, 15)),
    )
    c = log.receive(
        customer={"id": "C1"},
        channel="social",
        subject="Still double charged",
        description="Angry post",
        category=BILLING,
        **at(utc(4, 9, 30)),
    )
    log.withdraw(c, reason="posted by mistake", **at(utc(4, 10)))
    log.follow_up(a, solved=True, **at(utc(4, 10)))
    log.resume(b, **at(utc(4, 12)))
    log.make_promise(b, promise="call back", due=utc(5, 12), **at(utc(4, 13)))
    log.record_survey(a, score=4, **at(utc(4, 16)))
    d = log.receive(
        customer={"id": "C3"},
        channel="web",
        subject="Rude agent",
        description="The agent was rude",
        category={"dimension": "empathy", "cause": "staff_attitude", "product": "Shop"},
        severity="high",
        **at(utc(5, 9)),
    )
    log.acknowledge(d, **at(utc(5, 9, 30)))
    log.resolve(d, remedy="apology", summary="Apologised", **at(utc(5, 10)))
    log.reopen(d, reason="dispute", **at(utc(5, 12)))
    log.inform(b, message="Still looking", **at(utc(5, 14)))
    clock.now = utc(6, 10)  # recorded a day late
    log.escalate(b, level="supervisor", reason="customer asked", at=utc(5, 14, 30))
    return Scenario(a, b, c, d)


VIEW_TABLES = (
    "complaintlog_current_state",
    "complaintlog_sla_cases",
    "complaintlog_sla_clocks",
    "complaintlog_agenda_holders",
    "complaintlog_agenda_items",
    "complaintlog_statistics",
)
"""The tables whose rows are each one complaint's."""


def dump(store: ViewStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every view table, sorted: two equal dumps are two equal views."""
    tables = VIEW_TABLES
    return {
        table: sorted(
            (tuple(row) for row in store.query(f"SELECT * FROM {table}")),
            key=repr,
        )
        for table in tables
    }


DAY_TABLES = ("complaintlog_statistics_days", "complaintlog_sla_outcome_days")


def dump_with_days(store: ViewStore) -> dict[str, list[tuple[Any, ...]]]:
    """:func:`dump` and the day rows the statistics and SLA reports sum, sorted."""
    rows = dump(store)
    for table in DAY_TABLES:
        rows[table] = sorted(tuple(r) for r in store.query(f"SELECT * FROM {table}"))
    return rows


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def file_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ComplaintLog]:
    """A log on a store several processes can open (SQLite file, PostgreSQL schema), its
    clock far after every recorded step."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'complaints.db'}"
    else:
        url = str(request.getfixturevalue("postgres_schema"))
    with ComplaintLog(url, clock=lambda: datetime(2027, 1, 1, tzinfo=UTC)) as log:
        yield log

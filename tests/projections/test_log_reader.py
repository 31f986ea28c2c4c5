"""The log reader's SQLite fast path decodes events exactly as eventsourcing's mapper does.

A rebuild on SQLite reads ``stored_events`` with its own connection and decodes the JSON
itself (topics to event kinds, business times to microseconds); catch-ups on other stores
go through the recorder and the mapper. Both must hand the projections the same events,
complaint events and other aggregates' events alike, in log order and by complaint.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaintlog import ComplaintLog
from complaintlog.projections._framework.reader import LogEvent, LogReader, _event, _hex, parse_us

LATER = datetime(2027, 1, 1, tzinfo=UTC)
START = datetime(2026, 2, 2, 8, 15, 30, 123456, tzinfo=UTC)


@pytest.fixture
def sqlite_log(tmp_path: Path) -> Iterator[ComplaintLog]:
    with ComplaintLog(f"sqlite:///{tmp_path / 'complaints.db'}", clock=lambda: LATER) as log:
        yield log


def record(log: ComplaintLog) -> None:
    """Complaints with and without external references (another aggregate's events), at
    times with and without fractions of a second."""
    with log.batch() as batch:
        for n in range(6):
            at = START + timedelta(minutes=37 * n, microseconds=-n * 20_001)
            cid = batch.receive(
                customer={"id": f"C-{n % 2}"},
                channel="email",
                subject="Problem",
                description="Something went wrong",
                external_ref=f"REF-{n}" if n % 2 else None,
                at=at,
            )
            batch.acknowledge(cid, at=at + timedelta(minutes=30))
            batch.make_promise(
                cid, promise="call", due=at + timedelta(hours=20), at=at + timedelta(hours=1)
            )
            if n % 3:
                batch.resolve(cid, remedy="refund", summary="done", at=at + timedelta(hours=5))


def as_the_mapper_decodes(log: ComplaintLog) -> list[LogEvent]:
    notifications = log.recorder.select_notifications(1, log.max_position())  # type: ignore[attr-defined]
    decode = log.mapper.decode_stored_state
    return [_event(n.id, _hex(n.originator_id), n.topic, decode(n)) for n in notifications]


def test_reads_in_log_order_the_events_the_mapper_decodes(sqlite_log: ComplaintLog) -> None:
    record(sqlite_log)
    expected = as_the_mapper_decodes(sqlite_log)
    reader = LogReader(sqlite_log)
    try:
        assert reader.read(0, 1_000) == expected
    finally:
        reader.close()
    assert {event[2] for event in expected} >= {"Received", "Resolved", ""}
    assert all(event[3] == 0 for event in expected if not event[2])


def test_reads_by_complaint_the_same_events_grouped_by_complaint(
    sqlite_log: ComplaintLog,
) -> None:
    record(sqlite_log)
    expected = sorted(as_the_mapper_decodes(sqlite_log), key=lambda event: (event[1], event[0]))
    reader = LogReader(sqlite_log)
    try:
        page = reader.read_by_complaint("", 1_000, sqlite_log.max_position())
    finally:
        reader.close()
    assert page is not None
    assert page[0] == expected


def test_business_times_are_exact_microseconds_since_the_epoch(
    sqlite_log: ComplaintLog,
) -> None:
    record(sqlite_log)
    reader = LogReader(sqlite_log)
    try:
        events = reader.read(0, 1_000)
    finally:
        reader.close()
    received = [event for event in events if event[2] == "Received"]
    assert [event[3] for event in received] == [
        parse_us((START + timedelta(minutes=37 * n, microseconds=-n * 20_001)).isoformat())
        for n in range(6)
    ]
    assert received[1][3] % 1_000_000 == (123456 - 20_001) % 1_000_000

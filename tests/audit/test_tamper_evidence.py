"""Alter stored rows behind the application's back and show that verify() finds each change.

The tampering is done with plain SQL on the real tables, as an attacker with database access
would: SQLite's ``stored_events`` (notification id = rowid) and PostgreSQL's
``complaintlog_events`` in the test's own schema.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from complaintlog import ComplaintLog
from complaintlog.audit import head_digest, verify

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Filled = tuple[ComplaintLog, Any]
"""A filled log and the Tamper tool of tests/audit/conftest.py."""


def test_an_untouched_store_verifies_clean(filled: Filled) -> None:
    log, _ = filled
    report = verify(log)
    assert report.ok, report.problems
    assert (report.events, report.complaints) == (12, 3)  # 9 events + 3 reference indexes
    assert verify(log, expected_head=report.head).ok


def kinds(log: ComplaintLog) -> list[tuple[int, str]]:
    return [(p.position, p.kind) for p in verify(log).problems]


# Positions: each complaint writes Received + its index (one transaction), then
# Acknowledged, then Resolved, so complaint 0 is at 1..4, complaint 1 at 5..8, 2 at 9..12.
# Within complaint 0: 1 = Received (v1), 2 = index, 3 = Acknowledged (v2), 4 = Resolved (v3).


def test_a_changed_byte_in_a_payload_is_found(filled: Filled) -> None:
    log, tamper = filled
    state = tamper.state(4)
    tamper.set_state(4, state.replace(b"12.50", b"92.50"))
    assert kinds(log) == [(4, "edited")]


def test_a_deleted_event_is_found(filled: Filled) -> None:
    log, tamper = filled
    tamper.run("DELETE FROM TABLE WHERE POS = ?", 3)  # complaint 0's Acknowledged
    if log.settings.kind == "sqlite":  # a gap in the log's positions and in v1..v3
        assert kinds(log) == [(4, "missing"), (4, "missing")]
    else:  # PostgreSQL's positions may skip numbers anyway: only the version gap counts
        assert kinds(log) == [(4, "missing")]


def test_two_swapped_events_are_found(filled: Filled) -> None:
    log, tamper = filled
    acknowledged, resolved = tamper.state(7), tamper.state(8)  # complaint 1's v2 and v3
    tamper.set_state(7, resolved)
    tamper.set_state(8, acknowledged)
    assert kinds(log) == [(7, "edited"), (8, "edited")]


def test_a_forged_event_spliced_into_a_stream_is_found(filled: Filled) -> None:
    log, tamper = filled
    # Copy complaint 2's Resolved as a new v4 of complaint 0: well-formed, wrongly chained.
    topic, state = tamper.run("SELECT topic, state FROM TABLE WHERE POS = ?", 12)[0]
    (originator,) = tamper.run("SELECT originator_id FROM TABLE WHERE POS = ?", 1)[0]
    tamper.run(
        "INSERT INTO TABLE (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
        originator,
        4,
        topic,
        bytes(state),
    )
    assert kinds(log) == [(13, "edited")]


def test_a_rewritten_history_is_found_against_the_kept_head(
    filled: Filled,
) -> None:
    log, tamper = filled
    kept = head_digest(log)
    # The intruder deletes complaint 2's last event: every chain still links, and no
    # gap is left at the end of the log. Only the head kept elsewhere shows it.
    tamper.run("DELETE FROM TABLE WHERE POS = ?", 12)
    assert verify(log).ok
    report = verify(log, expected_head=kept)
    assert [p.kind for p in report.problems] == ["missing"]
    assert not report.ok


def test_an_edit_before_the_kept_head_is_a_head_mismatch(
    filled: Filled,
) -> None:
    log, tamper = filled
    kept = head_digest(log)
    state = tamper.state(2)  # an index record, which has no chain of its own
    tamper.set_state(2, state.replace(b"CRM-0", b"CRM-9"))
    assert [p.kind for p in verify(log, expected_head=kept).problems] == ["head-mismatch"]


def test_appending_through_the_application_keeps_the_old_head_valid(
    filled: Filled,
) -> None:
    log, _ = filled
    kept = head_digest(log)
    cid = log.receive(customer={"id": "new"}, channel="web", subject="s", description="d", at=T0)
    log.acknowledge(cid, at=T0)
    report = verify(log, expected_head=kept)
    assert report.ok
    assert report.head != kept


def test_a_payload_rewritten_as_text_is_found_not_a_crash(
    tmp_path: object, fill_log: Callable[[ComplaintLog], list[UUID]]
) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path}/text.db"
    with ComplaintLog(url, clock=lambda: T0 + timedelta(days=1)) as log:
        fill_log(log)
        conn = sqlite3.connect(str(log.settings.sqlite_path))
        with conn:  # sqlite's replace() turns the blob into TEXT
            conn.execute("UPDATE stored_events SET state = replace(state, '12.50', '92.50')")
        conn.close()
        assert {p.kind for p in verify(log).problems} == {"edited"}

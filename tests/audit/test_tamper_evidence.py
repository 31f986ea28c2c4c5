"""Alter stored rows behind the application's back and show that verify() finds each change.

The tampering is done with plain SQL on the real tables, as an attacker with database access
would: SQLite's ``stored_events`` (notification id = rowid) and PostgreSQL's
``complaintlog_events`` in the test's own schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from complaintlog import ComplaintLog
from complaintlog.audit import head_digest, verify

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fill(log: ComplaintLog) -> list[UUID]:
    ids = []
    for n in range(3):
        cid = log.receive(
            customer={"id": f"C-{n}", "name": "Ana"},
            channel="web",
            subject="Invoice",
            description="Charged twice",
            external_ref=f"CRM-{n}",
            at=T0,
        )
        log.acknowledge(cid, at=T0 + timedelta(minutes=5))
        log.resolve(
            cid,
            remedy="refund",
            summary="Refunded",
            compensation={"amount": "12.50", "currency": "EUR"},
            at=T0 + timedelta(hours=2),
        )
        ids.append(cid)
    return ids


class Tamper:
    """Plain SQL on the events table of one store: what an intruder could run."""

    def __init__(self, log: ComplaintLog) -> None:
        self.kind = log.settings.kind
        if self.kind == "sqlite":
            import sqlite3

            self.conn: Any = sqlite3.connect(str(log.settings.sqlite_path))
            self.table = "stored_events"
            self.position = "rowid"
            self.mark = "?"
        else:
            import psycopg

            env = log.settings.env
            self.conn = psycopg.connect(
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                dbname=env["POSTGRES_DBNAME"],
                user=env["POSTGRES_USER"],
                autocommit=True,
            )
            self.table = f'"{env["POSTGRES_SCHEMA"]}".complaintlog_events'
            self.position = "notification_id"
            self.mark = "%s"

    def run(self, sql: str, *params: object) -> list[Any]:
        sql = sql.replace("TABLE", self.table).replace("POS", self.position).replace("?", self.mark)
        cursor = self.conn.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        if self.kind == "sqlite":
            self.conn.commit()
        return list(rows)

    def state(self, position: int) -> bytes:
        return bytes(self.run("SELECT state FROM TABLE WHERE POS = ?", position)[0][0])

    def set_state(self, position: int, state: bytes) -> None:
        self.run("UPDATE TABLE SET state = ? WHERE POS = ?", state, position)

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def filled(
    request: pytest.FixtureRequest, tmp_path: object
) -> Iterator[tuple[ComplaintLog, Tamper]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/audited.db"
    else:
        url = str(request.getfixturevalue("postgres_schema_url"))
    log = ComplaintLog(url, clock=lambda: T0 + timedelta(days=1))
    fill(log)
    tamper = Tamper(log)
    yield log, tamper
    tamper.close()
    log.close()


def test_an_untouched_store_verifies_clean(filled: tuple[ComplaintLog, Tamper]) -> None:
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


def test_a_changed_byte_in_a_payload_is_found(filled: tuple[ComplaintLog, Tamper]) -> None:
    log, tamper = filled
    state = tamper.state(4)
    tamper.set_state(4, state.replace(b"12.50", b"92.50"))
    assert kinds(log) == [(4, "edited")]


def test_a_deleted_event_is_found(filled: tuple[ComplaintLog, Tamper]) -> None:
    log, tamper = filled
    tamper.run("DELETE FROM TABLE WHERE POS = ?", 3)  # complaint 0's Acknowledged
    if log.settings.kind == "sqlite":  # a gap in the log's positions and in v1..v3
        assert kinds(log) == [(4, "missing"), (4, "missing")]
    else:  # PostgreSQL's positions may skip numbers anyway: only the version gap counts
        assert kinds(log) == [(4, "missing")]


def test_two_swapped_events_are_found(filled: tuple[ComplaintLog, Tamper]) -> None:
    log, tamper = filled
    acknowledged, resolved = tamper.state(7), tamper.state(8)  # complaint 1's v2 and v3
    tamper.set_state(7, resolved)
    tamper.set_state(8, acknowledged)
    assert kinds(log) == [(7, "edited"), (8, "edited")]


def test_a_forged_event_spliced_into_a_stream_is_found(filled: tuple[ComplaintLog, Tamper]) -> None:
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
    filled: tuple[ComplaintLog, Tamper],
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
    filled: tuple[ComplaintLog, Tamper],
) -> None:
    log, tamper = filled
    kept = head_digest(log)
    state = tamper.state(2)  # an index record, which has no chain of its own
    tamper.set_state(2, state.replace(b"CRM-0", b"CRM-9"))
    assert [p.kind for p in verify(log, expected_head=kept).problems] == ["head-mismatch"]


def test_appending_through_the_application_keeps_the_old_head_valid(
    filled: tuple[ComplaintLog, Tamper],
) -> None:
    log, _ = filled
    kept = head_digest(log)
    cid = log.receive(customer={"id": "new"}, channel="web", subject="s", description="d", at=T0)
    log.acknowledge(cid, at=T0)
    report = verify(log, expected_head=kept)
    assert report.ok
    assert report.head != kept


def test_a_payload_rewritten_as_text_is_found_not_a_crash(tmp_path: object) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path}/text.db"
    with ComplaintLog(url, clock=lambda: T0 + timedelta(days=1)) as log:
        fill(log)
        conn = sqlite3.connect(str(log.settings.sqlite_path))
        with conn:  # sqlite's replace() turns the blob into TEXT
            conn.execute("UPDATE stored_events SET state = replace(state, '12.50', '92.50')")
        conn.close()
        assert {p.kind for p in verify(log).problems} == {"edited"}

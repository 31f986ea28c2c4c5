"""PostgreSQL connections dropped in the middle of a batch import (on loopback).

The writer imports 300 CFPB rows in batches of 50. While it assembles its third batch,
another connection takes the events table's lock, so the third commit waits inside its
transaction; the waiting backend is then terminated with ``pg_terminate_backend`` (what a
failover, a restart or an administrator does). eventsourcing retries a failed insert ten
times, 0.2 s apart, on a fresh connection:

- one drop: the retry succeeds and the import completes, with every row stored once;
- a drop on every attempt: the writer gets ``StoreUnavailableError`` (a ``ComplaintLogError``
  whose cause is eventsourcing's ``OperationalError`` saying the connection is lost), the
  earlier batches stay stored, and
  importing again completes the file without doubling anything.
"""

from __future__ import annotations

import csv
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from complaintlog import ComplaintLog, StoreUnavailableError
from complaintlog.audit import verify
from complaintlog.data import CFPB_2013_2017, bundled_csv
from complaintlog.importing import ImportSummary, import_csv

from .conftest import contents

pytestmark = pytest.mark.postgres

ROWS = 300
BATCH_SIZE = 50
LOCK_AT_ROW = 120
"""The row at which the table is locked: the third batch (rows 101-150) is being built."""
TIMEOUT = 60.0
LOST = re.compile("connection is lost|terminating connection|server closed the connection")
"""What psycopg says, through eventsourcing, when the server ends the connection."""


@pytest.fixture
def cfpb_rows(tmp_path: Path) -> Path:
    """The first ROWS rows of the 2013-2017 CFPB file."""
    with bundled_csv(CFPB_2013_2017).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        rows = [row for _, row in zip(range(ROWS + 1), reader, strict=False)]
    path = tmp_path / "cfpb_300.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


class Saboteur:
    """Locks the events table and terminates the writer's backends that wait for it."""

    def __init__(self, url: str, schema: str) -> None:
        import psycopg
        from psycopg import sql

        self.schema = schema
        self.blocker = psycopg.connect(url)
        self.monitor = psycopg.connect(url, autocommit=True)
        self._lock = sql.SQL("LOCK TABLE {}.{} IN EXCLUSIVE MODE").format(
            sql.Identifier(schema), sql.Identifier("complaintlog_events")
        )
        self.locked = threading.Event()
        self.terminated = 0

    def lock(self) -> None:
        self.blocker.execute(self._lock)  # held until release(): the writer's commit waits
        self.locked.set()

    def release(self) -> None:
        self.blocker.rollback()

    def terminate_waiting_writers(self) -> int:
        """Terminate this schema's backends that wait for the lock; returns how many."""
        rows = self.monitor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> %s"
            " AND wait_event_type = 'Lock' AND query LIKE %s",
            (self.blocker.info.backend_pid, f"%{self.schema}%"),
        ).fetchall()
        done = sum(1 for (ok,) in rows if ok)
        self.terminated += done
        return done

    def close(self) -> None:
        self.blocker.close()
        self.monitor.close()


@pytest.fixture
def store(postgres_schema_url: str) -> Iterator[tuple[str, Saboteur]]:
    base, _, schema = postgres_schema_url.rpartition("schema=")
    saboteur = Saboteur(base.rstrip("?&"), schema)
    try:
        yield postgres_schema_url, saboteur
    finally:
        saboteur.close()


class Writer(threading.Thread):
    """``import_csv`` in a thread, keeping its summary or the exception it raised."""

    def __init__(self, log: ComplaintLog, path: Path, saboteur: Saboteur) -> None:
        super().__init__(daemon=True)
        self.log, self.path, self.saboteur = log, path, saboteur
        self.summary: ImportSummary | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        def progress(done: int, _total: int) -> None:
            if done == LOCK_AT_ROW:
                self.saboteur.lock()

        try:
            self.summary = import_csv(self.log, self.path, batch_size=BATCH_SIZE, progress=progress)
        except BaseException as error:  # kept for the test to inspect
            self.error = error


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def assert_each_row_stored_once(log: ComplaintLog) -> None:
    found = contents(log)
    assert len(found.streams) == ROWS
    assert set(found.registered.values()) == {1}
    assert set(found.registered) == set(found.streams)
    assert found.gaps == ()
    assert found.other_topics == {}
    assert verify(log).ok


def test_one_dropped_connection_mid_batch_is_retried_and_nothing_is_doubled(
    store: tuple[str, Saboteur], cfpb_rows: Path
) -> None:
    url, saboteur = store
    with ComplaintLog(url) as log:
        writer = Writer(log, cfpb_rows, saboteur)
        writer.start()
        try:
            wait_for(saboteur.locked.is_set, "the writer to reach its third batch")
            wait_for(lambda: saboteur.terminate_waiting_writers() > 0, "a waiting commit")
        finally:
            saboteur.release()
            writer.join(TIMEOUT)
        assert not writer.is_alive()
        assert writer.error is None, repr(writer.error)
        assert writer.summary is not None
        assert (writer.summary.rows, writer.summary.stored) == (ROWS, ROWS)
        assert saboteur.terminated == 1
        assert_each_row_stored_once(log)


def test_a_connection_dropped_on_every_retry_is_a_clear_error_and_a_rerun_completes(
    store: tuple[str, Saboteur], cfpb_rows: Path
) -> None:
    url, saboteur = store
    with ComplaintLog(url) as log:
        writer = Writer(log, cfpb_rows, saboteur)
        writer.start()
        try:
            wait_for(saboteur.locked.is_set, "the writer to reach its third batch")

            def writer_gave_up() -> bool:
                saboteur.terminate_waiting_writers()
                return not writer.is_alive()

            wait_for(writer_gave_up, "the writer to give up")
        finally:
            saboteur.release()
            writer.join(TIMEOUT)
        # after eventsourcing's ten attempts, one clear error of ours, the driver's as cause
        assert isinstance(writer.error, StoreUnavailableError), repr(writer.error)
        assert isinstance(writer.error.__cause__, OperationalError)
        assert "unavailable during save" in str(writer.error)
        assert LOST.search(str(writer.error)), str(writer.error)
        assert saboteur.terminated == 10
        assert len(contents(log).streams) == 2 * BATCH_SIZE  # the two batches committed before

        again = import_csv(log, cfpb_rows, batch_size=BATCH_SIZE)
        assert (again.rows, again.duplicate, again.stored) == (
            ROWS,
            2 * BATCH_SIZE,
            ROWS - 2 * BATCH_SIZE,
        )
        assert again.balanced
        assert_each_row_stored_once(log)

"""complaintlog's SQLite event store: eventsourcing's recorder contract, one statement a batch."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from complaintlog import ComplaintLog
from complaintlog.persistence.settings import parse_store_url
from complaintlog.persistence.sqlite import PAGE_CACHE_KIB, BatchSQLiteRecorder, SQLiteStoreFactory

from .conftest import check_a_taken_version_fails_the_whole_batch


def events(originator: UUID, versions: range) -> list[StoredEvent]:
    return [StoredEvent(originator, v, "t:Happened", b'{"v":%d}' % v) for v in versions]


def recorder(cls: type[SQLiteApplicationRecorder], path: Path) -> SQLiteApplicationRecorder:
    made = cls(SQLiteDatastore(str(path)))
    made.create_table()
    return made


def test_batches_get_the_notification_ids_eventsourcing_gives_them(tmp_path: Path) -> None:
    ours = recorder(BatchSQLiteRecorder, tmp_path / "ours.db")
    theirs = recorder(SQLiteApplicationRecorder, tmp_path / "theirs.db")
    a, b = uuid4(), uuid4()
    batches = [events(a, range(1, 4)), events(b, range(1, 2)), events(a, range(4, 9))]
    for batch in batches:
        assert ours.insert_events(batch) == theirs.insert_events(batch)
    assert ours.insert_events(events(b, range(2, 3))) == [10]
    read = ours.select_notifications(start=1, limit=100)
    assert [(n.id, n.originator_id, n.originator_version) for n in read] == [
        (i, e.originator_id, e.originator_version)
        for i, e in enumerate([*batches[0], *batches[1], *batches[2]], start=1)
    ] + [(10, b, 2)]


def test_a_batch_with_a_taken_version_records_none_of_its_events(tmp_path: Path) -> None:
    check_a_taken_version_fails_the_whole_batch(recorder(BatchSQLiteRecorder, tmp_path / "ours.db"))


def test_a_file_store_opens_with_this_factory_and_a_larger_page_cache(tmp_path: Path) -> None:
    settings = parse_store_url(f"sqlite:///{tmp_path / 'c.db'}")
    log = ComplaintLog(settings.url)
    recorder = log._app.recorder
    assert isinstance(log._app.factory, SQLiteStoreFactory)
    assert isinstance(recorder, BatchSQLiteRecorder)
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == -PAGE_CACHE_KIB


def checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "complaintlog-checkpointer"]


def test_saves_leave_checkpoints_to_the_stores_checkpointer(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    before = len(checkpointers())
    log = ComplaintLog(f"sqlite:///{path}")
    with log._app.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 0
    assert len(checkpointers()) == before  # started by the first save, not by opening
    size = path.stat().st_size
    with log.batch() as batch:
        for n in range(300):
            batch.receive(customer={"id": f"c{n}"}, channel="web", subject="s", description="d")
    assert len(checkpointers()) == before + 1
    deadline = time.monotonic() + 10
    while path.stat().st_size == size and time.monotonic() < deadline:
        time.sleep(0.01)  # events reach the database file only by a checkpoint
    assert path.stat().st_size > size
    log.receive(customer={"id": "last"}, channel="web", subject="s", description="d")
    log.close()
    assert len(checkpointers()) == before
    other = sqlite3.connect(path)
    busy, frames, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, frames) == (0, copied)  # the last checkpoint copied everything
    assert other.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] >= 301
    other.close()


def test_an_in_memory_store_has_no_checkpointer() -> None:
    before = len(checkpointers())
    log = ComplaintLog("sqlite:///:memory:")
    log.receive(customer={"id": "c"}, channel="web", subject="s", description="d")
    assert len(checkpointers()) == before
    log.close()


def test_a_batch_pauses_the_collector_until_it_ends() -> None:
    log = ComplaintLog("memory://")
    assert gc.isenabled()
    with log.batch() as batch:
        assert not gc.isenabled()
        batch.receive(customer={"id": "c"}, channel="web", subject="s", description="d")
    assert gc.isenabled()

    def fail_inside() -> None:
        with log.batch():
            assert not gc.isenabled()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside()
    assert gc.isenabled()
    gc.disable()
    try:
        with log.batch():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()

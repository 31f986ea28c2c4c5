"""How the SQLite view store writes a rebuild's rows: NULL marks and background checkpoints.

Rows bound on SQLite carry ``NULL_MARK`` where a value is missing (``None`` binds slowly);
the statement's ``NULLIF`` stores NULL. Commits never checkpoint the write-ahead log in the
writer's thread: a checkpointer thread copies it, and has copied all of it once the store
is closed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from complaintlog.persistence.settings import parse_store_url
from complaintlog.projections._store import (
    NULL_MARK,
    SqliteViewStore,
    ViewStore,
    marks,
    open_view_store,
    write_rows,
)


def test_marked_values_are_stored_as_null_and_the_others_as_given(tmp_path: Path) -> None:
    store = SqliteViewStore(tmp_path / "views.db")
    with store.transaction() as tx:
        tx.execute("CREATE TABLE t (a TEXT, b BIGINT, c TEXT)")
        placeholders, null = marks(tx, (False, True, True))
        assert null == NULL_MARK
        tx.executemany(
            f"INSERT INTO t VALUES ({placeholders})",
            [("x", null, null), ("y", 0, "z"), ("w", -1, "")],
        )
    assert store.query("SELECT a, b, c FROM t ORDER BY a") == [
        ("w", -1, ""),
        ("x", None, None),
        ("y", 0, "z"),
    ]
    store.close()


def test_commits_leave_checkpoints_to_a_thread_that_copies_the_whole_log(
    tmp_path: Path,
) -> None:
    path = tmp_path / "views.db"
    before = set(threading.enumerate())  # stores of earlier tests may still run theirs
    store = SqliteViewStore(path)
    assert store.query("PRAGMA wal_autocheckpoint") == [(0,)]
    with store.transaction() as tx:
        tx.execute("CREATE TABLE t (n BIGINT)")
    for page in range(5):
        with store.transaction() as tx:
            tx.executemany("INSERT INTO t VALUES (?)", [(page * 1000 + n,) for n in range(1000)])
    checkpointers = [
        t for t in set(threading.enumerate()) - before if t.name == "complaintlog-checkpointer"
    ]
    assert len(checkpointers) == 1
    store.close()
    assert not checkpointers[0].is_alive()
    other = sqlite3.connect(path)
    busy, frames, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, frames) == (0, copied)  # nothing left that the checkpointer had not copied
    assert other.execute("SELECT COUNT(*) FROM t").fetchone() == (5000,)
    other.close()


def test_the_checkpointer_copies_commits_while_the_store_stays_open(tmp_path: Path) -> None:
    path = tmp_path / "views.db"
    store = SqliteViewStore(path)
    with store.transaction() as tx:
        tx.execute("CREATE TABLE t (n BIGINT)")
        tx.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(5000)])
    database_file = path.stat().st_size
    deadline = time.monotonic() + 10
    while path.stat().st_size == database_file and time.monotonic() < deadline:
        time.sleep(0.01)  # the rows reach the database file only by a checkpoint
    assert path.stat().st_size > database_file
    store.close()


def test_a_store_that_only_reads_starts_no_checkpointer(tmp_path: Path) -> None:
    before = threading.active_count()
    store = SqliteViewStore(tmp_path / "views.db")
    assert store.query("SELECT 1") == [(1,)]
    assert threading.active_count() == before
    store.close()


def test_an_in_memory_store_writes_without_a_checkpointer() -> None:
    before = threading.active_count()
    store = SqliteViewStore(":memory:")
    with store.transaction() as tx:
        tx.execute("CREATE TABLE t (n BIGINT)")
        tx.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    assert store.query("SELECT COUNT(*) FROM t") == [(2,)]
    assert threading.active_count() == before
    store.close()


# -- write_rows: upserts, and a rebuild's new rows appended (COPY on PostgreSQL) -------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def view_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ViewStore]:
    if request.param == "sqlite":
        store: ViewStore = SqliteViewStore(tmp_path / "views.db")
    else:
        url = str(request.getfixturevalue("postgres_schema"))
        store = open_view_store("postgres", parse_store_url(url).env, None)
    with store.transaction() as tx:
        tx.execute("CREATE TABLE w (k TEXT, n BIGINT, t TEXT, b BOOLEAN, PRIMARY KEY (k, n))")
    yield store
    store.close()


COLUMNS = ("k", "n", "t", "b")
NULLABLE = (False, False, True, True)


def table(store: ViewStore) -> list[tuple[object, ...]]:
    return [tuple(row) for row in store.query("SELECT k, n, t, b FROM w ORDER BY k, n")]


def test_new_rows_are_appended_as_given_and_later_ones_update_by_key(
    view_store: ViewStore,
) -> None:
    given = [("a", 1, "x", True), ("a", 2, None, None), ("b", 1, "tab\there", False)]
    with view_store.transaction() as tx:
        placeholders, null = marks(tx, NULLABLE)
        rows = [tuple(null if v is None else v for v in row) for row in given]
        write_rows(tx, "w", COLUMNS, placeholders, "k, n", rows, new=True)
    assert table(view_store) == sorted(given)
    with view_store.transaction() as tx:
        placeholders, null = marks(tx, NULLABLE)
        write_rows(
            tx,
            "w",
            COLUMNS,
            placeholders,
            "k, n",
            [("a", 2, "y", False), ("c", 1, null, null)],
            new=False,
        )
    assert table(view_store) == [
        ("a", 1, "x", True),
        ("a", 2, "y", False),
        ("b", 1, "tab\there", False),
        ("c", 1, None, None),
    ]


def test_a_new_row_whose_key_is_taken_fails_the_transaction(view_store: ViewStore) -> None:
    with view_store.transaction() as tx:
        placeholders, _ = marks(tx, NULLABLE)
        write_rows(tx, "w", COLUMNS, placeholders, "k, n", [("a", 1, "x", True)], new=True)

    def append_a_page_with_a_taken_key() -> None:
        with view_store.transaction() as tx:
            placeholders, _ = marks(tx, NULLABLE)
            page = [("b", 1, "y", True), ("a", 1, "z", False)]
            write_rows(tx, "w", COLUMNS, placeholders, "k, n", page, new=True)

    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        append_a_page_with_a_taken_key()
    assert table(view_store) == [("a", 1, "x", True)]  # nothing of the failed page

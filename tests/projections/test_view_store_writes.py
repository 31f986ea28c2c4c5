"""How the SQLite view store writes a rebuild's rows: NULL marks and background checkpoints.

Rows bound on SQLite carry ``NULL_MARK`` where a value is missing (``None`` binds slowly);
the statement's ``NULLIF`` stores NULL. During ``bulk()`` commits leave checkpointing to a
thread; afterwards the automatic checkpoint is back as it was and the log is copied.
"""

from __future__ import annotations

from pathlib import Path

from complaintlog.projections._store import NULL_MARK, SqliteViewStore, marks


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


def test_bulk_writes_are_checkpointed_and_the_automatic_checkpoint_comes_back(
    tmp_path: Path,
) -> None:
    store = SqliteViewStore(tmp_path / "views.db")
    automatic = store.query("PRAGMA wal_autocheckpoint")[0][0]
    with store.bulk():
        assert store.query("PRAGMA wal_autocheckpoint") == [(0,)]
        with store.transaction() as tx:
            tx.execute("CREATE TABLE t (n BIGINT)")
        for page in range(5):
            with store.transaction() as tx:
                tx.executemany(
                    "INSERT INTO t VALUES (?)", [(page * 1000 + n,) for n in range(1000)]
                )
    assert store.query("PRAGMA wal_autocheckpoint") == [(automatic,)]
    busy, frames, copied = store.query("PRAGMA wal_checkpoint(PASSIVE)")[0]
    assert (busy, frames) == (0, copied)
    assert store.query("SELECT COUNT(*) FROM t") == [(5000,)]
    store.close()


def test_an_in_memory_store_writes_in_bulk_without_a_checkpointer() -> None:
    store = SqliteViewStore(":memory:")
    with store.bulk(), store.transaction() as tx:
        tx.execute("CREATE TABLE t (n BIGINT)")
        tx.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    assert store.query("SELECT COUNT(*) FROM t") == [(2,)]
    store.close()

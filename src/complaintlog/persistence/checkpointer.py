"""Checkpoints of a SQLite write-ahead log, in a thread of their own.

In WAL mode, the commit that grows the log past ``wal_autocheckpoint`` pages (1,000 by
default) copies the log into the database file and ``fsync``s it, in the committing thread.
That made bulk imports and rebuilds pay for the copying between their batches, and made
one catch-up in about thirty take five to forty times as long as the others. complaintlog's
connections to a SQLite file therefore never checkpoint automatically; each writer (the
event store, the view store) wakes a :class:`Checkpointer` after its commits instead, which
copies the log with its own connection (``PRAGMA wal_checkpoint(PASSIVE)``: it never blocks
a writer or a reader, and ``sqlite3`` releases the GIL around it), at most ``1 / PAUSE``
times a second. The copying overlaps the writer's next batch; the log stays about one
checkpoint's worth long; closing the checkpointer runs a last checkpoint and waits for it.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from contextlib import suppress

__all__ = ["Checkpointer"]


class Checkpointer:
    """Checkpoints one SQLite file's write-ahead log in a daemon thread, when woken."""

    PAUSE = 0.1
    """Seconds between checkpoints: commits in quick succession share one."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._wanted = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="complaintlog-checkpointer", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Ask for a checkpoint of what has been committed so far."""
        self._wanted.set()

    def close(self) -> None:
        """Run a last checkpoint, wait for it, and stop.

        Not while the interpreter shuts down (a store never closed, collected at exit):
        daemon threads may already be stopped then and could not be joined. The commits
        are in the log either way; SQLite copies them when the file is next opened.
        """
        if self._closing.is_set():
            return
        self._closing.set()
        self._wanted.set()
        if sys.is_finalizing():
            return
        self._thread.join()
        self._connection.close()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            closing = self._closing.is_set()
            # Only an optimisation: a failed checkpoint loses nothing (the commits are in the
            # log), and the next one, or SQLite's recovery when the file is opened, copies them.
            with suppress(sqlite3.Error):
                self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            if closing:
                return
            self._closing.wait(self.PAUSE)

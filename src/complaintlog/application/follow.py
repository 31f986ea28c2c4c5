"""Following the log: wait cheaply for new events instead of polling the log itself.

A follower (a projection worker, the relay, CRM code calling ``log.follow()``) reads the
log from its position and, at the end, has to wait for the next commit, possibly made by
another process. How it learns of one depends on the store:

* **PostgreSQL**: the recorder sends ``NOTIFY <events table>`` in every write transaction
  (eventsourcing's protocol). A :class:`PostgresWaiter` holds its own connection that
  ``LISTEN``\\ s on that channel and sleeps in ``notifies()`` until one arrives. It listens
  before the first read, so a commit between a read and the wait still wakes it (psycopg
  keeps notifications that arrive meanwhile).
* **SQLite** (a file): ``PRAGMA data_version`` on a connection of our own changes whenever
  another connection commits to the file. Asking costs a few microseconds and no I/O
  (it reads the shared-memory index of the write-ahead log), so :class:`SqliteWaiter` asks
  every few milliseconds.
* **memory** (and SQLite ``:memory:``): only this process writes; :class:`HeadWaiter` asks
  the recorder for the last position every few milliseconds.

Every waiter also re-reads the head after ``timeout`` whatever it heard: a lost wake-up can
delay an event, never lose it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Notification

from complaintlog.persistence.settings import postgres_connect_args

if TYPE_CHECKING:
    from complaintlog.application.log import ComplaintLog

__all__ = ["HeadWaiter", "PostgresWaiter", "SqliteWaiter", "Waiter", "follow", "waiter_for"]

POLL_SECONDS = 0.005
"""How often the SQLite and memory waiters look: 5 ms keeps the wake-up well under the
250 ms target while costing a fraction of a per cent of a core."""


class Waiter:
    """Sleeps until the log may have grown past a position, or a timeout, or ``stop``."""

    def __init__(self, head: Callable[[], int]) -> None:
        self._head = head

    def head(self) -> int:
        """The position of the last recorded event."""
        return self._head()

    def wait(self, after: int, timeout: float, stop: threading.Event | None = None) -> bool:
        """Wait until the head is past ``after`` (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        if self.head() > after:
            return True
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (stop is not None and stop.is_set()):
                return self.head() > after
            if self._sleep(left, stop) and self.head() > after:
                return True

    def _sleep(self, seconds: float, stop: threading.Event | None) -> bool:
        """Return True when something may have been written, False after ``seconds`` or
        when ``stop`` is set (checked at least every tenth of a second)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the waiter's connection."""

    def __enter__(self) -> Waiter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class HeadWaiter(Waiter):
    """Asks for the head every :data:`POLL_SECONDS` (in-process stores)."""

    def _sleep(self, seconds: float, stop: threading.Event | None) -> bool:
        pause = min(seconds, POLL_SECONDS)
        if stop is not None:
            stop.wait(pause)
        else:
            time.sleep(pause)
        return True


class SqliteWaiter(Waiter):
    """Watches ``PRAGMA data_version`` of the store's file; reads the head when it moves."""

    def __init__(self, head: Callable[[], int], path: str) -> None:
        super().__init__(head)
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._version = self._data_version()

    def _data_version(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def _sleep(self, seconds: float, stop: threading.Event | None) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            version = self._data_version()
            if version != self._version:
                self._version = version
                return True
            if stop is not None:
                if stop.wait(POLL_SECONDS):
                    return False
            else:
                time.sleep(POLL_SECONDS)
        return False

    def close(self) -> None:
        self._connection.close()


class PostgresWaiter(Waiter):
    """``LISTEN``\\ s on the channel the recorder ``NOTIFY``\\ s in every write."""

    def __init__(self, head: Callable[[], int], env: dict[str, str], channel: str) -> None:
        super().__init__(head)
        import psycopg
        from psycopg.sql import SQL, Identifier

        self._connection: Any = psycopg.connect(**postgres_connect_args(env))
        self._connection.execute(SQL("LISTEN {}").format(Identifier(channel)))
        self.notified = 0
        """How many notifications woke this waiter (tests check that it woke by NOTIFY)."""

    def _sleep(self, seconds: float, stop: threading.Event | None) -> bool:
        # short slices so that a stop request is seen within a tenth of a second; the head
        # is read again only when a notification came (or the caller's timeout ran out)
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (stop is not None and stop.is_set()):
                return False
            for _ in self._connection.notifies(timeout=min(left, 0.1), stop_after=1):
                self.notified += 1
                return True

    def close(self) -> None:
        self._connection.close()


def waiter_for(log: ComplaintLog) -> Waiter:
    """The cheapest way to wait for new events in this log's store."""
    settings = log.settings
    head = log.max_position
    if settings.kind == "postgres":
        channel = str(getattr(log.recorder, "channel_name", ""))
        return PostgresWaiter(head, dict(settings.env), channel)
    if settings.kind == "sqlite" and settings.sqlite_path is not None:
        return SqliteWaiter(head, str(settings.sqlite_path))
    return HeadWaiter(head)


def follow(
    log: ComplaintLog,
    after: int = 0,
    *,
    stop_when_idle: bool = False,
    page_size: int = 1000,
    stop: threading.Event | None = None,
) -> Iterator[Notification]:
    """Every event recorded after position ``after``, in recording order, then each new one
    as it is committed (see the module docstring for how it waits).

    ``stop_when_idle`` ends the iteration once the log's end is reached; ``stop`` ends it
    from another thread (a signal handler). Closing the iterator releases its connection.
    """
    position = after
    with waiter_for(log) as waiter:
        while stop is None or not stop.is_set():
            read = 0
            for notification in log.notifications(position + 1, limit=page_size):
                position = notification.id
                read += 1
                yield notification
            if read:
                continue
            if stop_when_idle:
                return
            waiter.wait(position, 1.0, stop)

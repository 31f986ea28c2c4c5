"""The long-running projection worker: keeps every view current without anyone asking.

``complaintlog project --follow`` runs :meth:`ProjectionWorker.run`; a CRM may run it in a
thread of its own. The worker

* holds a **lease** while it works (:class:`Lease`): on PostgreSQL a session advisory lock
  named after the store's schema, on SQLite an exclusive ``flock`` on a file beside the
  database. A second worker waits for the lease and takes over when the first one stops
  or dies (both locks die with their process, also on ``kill -9``). The views are safe
  without it (every batch moves the positions with a compare-and-set), the lease keeps
  two workers from doing the same work and failing each other's batches;
* catches up in slices of ``batch_size`` events, each one transaction of views and
  positions, and checks its ``stop`` event between slices: a ``SIGTERM`` finishes the
  slice in progress, whose positions are saved with it, and returns;
* with a ``partition`` ("K/N"), keeps only that range of complaints current, under a lease
  of its own: N workers, on one machine or several, share the log
  (:mod:`complaintlog.projections.worker_processes` starts N on this one);
* sleeps between commits on the store's waiter (``NOTIFY`` on PostgreSQL, ``PRAGMA
  data_version`` on SQLite; :mod:`complaintlog.application.follow`).
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.application.follow import waiter_for
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.persistence.settings import postgres_connect_args
from complaintlog.projections._facade import Projections
from complaintlog.projections._framework.partition_tracking import partition_rows
from complaintlog.projections._framework.partitions import Partition
from complaintlog.projections._store import ProjectionConflictError
from complaintlog.projections._tenants import PolicySpec

__all__ = ["Lease", "ProjectionWorker", "ViewStatus"]


@attrs.frozen
class ViewStatus:
    """Where one view stands: its position, the log's head and how far behind it is."""

    view: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - max(self.position, 0), 0)


class Lease:
    """One holder at a time per store and name; the others wait (module docstring)."""

    def __init__(self, log: ComplaintLog, name: str) -> None:
        self.name = name
        self._settings = log.settings
        self._file: IO[bytes] | None = None
        self._connection: Any = None
        self._key = int.from_bytes(
            hashlib.blake2b(
                f"{name}:{self._settings.env.get('POSTGRES_SCHEMA', '')}".encode(), digest_size=8
            ).digest(),
            "big",
            signed=True,
        )

    def acquire(self, stop: threading.Event | None = None, poll: float = 0.1) -> bool:
        """Take the lease, waiting while another holds it; False if ``stop`` came first."""
        while not self.try_acquire():
            if stop is not None and stop.wait(poll):
                return False
            if stop is None:
                time.sleep(poll)
        return True

    def try_acquire(self) -> bool:
        kind = self._settings.kind
        if kind == "postgres":
            if self._connection is None:
                import psycopg

                self._connection = psycopg.connect(**postgres_connect_args(self._settings.env))
            row = self._connection.execute(
                "SELECT pg_try_advisory_lock(%s)", (self._key,)
            ).fetchone()
            return bool(row[0])
        if kind == "sqlite" and self._settings.sqlite_path is not None:
            path = Path(f"{self._settings.sqlite_path}.{self.name}.lock")
            handle = path.open("ab")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
            self._file = handle
            return True
        return True  # an in-process store: only this process can write it

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # ends the session, and its advisory lock
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class ProjectionWorker:
    """Keeps a log's views at its head; see the module docstring."""

    def __init__(
        self,
        log: ComplaintLog,
        *,
        policy: SlaPolicy | None = None,
        batch_size: int = 5000,
        idle_timeout: float = 1.0,
        tenant_policies: Mapping[str, PolicySpec] | None = None,
        partition: Partition | str | None = None,
    ) -> None:
        self.log = log
        self.partition = Partition.parse(partition) if isinstance(partition, str) else partition
        """The complaints this worker keeps current (None: all); one lease per partition."""
        self.views = Projections(
            log,
            policy=policy,
            tenant_policies=tenant_policies,
            batch_size=batch_size,
            partition=self.partition,
        )
        self.batch_size = batch_size
        self.idle_timeout = idle_timeout
        which = (
            "" if self.partition is None else f"-{self.partition.index}-of-{self.partition.count}"
        )
        self.lease = Lease(log, f"projections{which}")  # a file name on SQLite
        self.processed = 0

    def status(self) -> list[ViewStatus]:
        """Each view's position, the head and the lag (read only: takes no lease); views
        followed in partitions add a row per partition (``sla@2/3``), so that the one
        nobody follows shows."""
        head = self.log.max_position()
        rows = []
        for name, position in self.views.positions().items():
            rows.append(ViewStatus(name, position, head))
            parts = partition_rows(self.views.store, name)
            for partition in sorted(parts, key=lambda p: p.index):
                rows.append(ViewStatus(f"{name}@{partition}", parts[partition][0], head))
        return rows

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Catch every view up to the head as it is now; returns the events processed."""
        if not self.lease.acquire(stop):
            return 0
        try:
            return self._catch_up(self.log.max_position(), stop)
        finally:
            self.lease.release()

    def run(self, stop: threading.Event) -> int:
        """Follow the log until ``stop`` is set; returns the events processed."""
        if not self.lease.acquire(stop):
            return 0
        try:
            with waiter_for(self.log) as waiter:
                while not stop.is_set():
                    head = waiter.head()
                    self._catch_up(head, stop)
                    waiter.wait(head, self.idle_timeout, stop)
        finally:
            self.lease.release()
        return self.processed

    def _catch_up(self, head: int, stop: threading.Event | None) -> int:
        done = 0
        while stop is None or not stop.is_set():
            position = min(self.views.positions().values())
            if position >= head:
                break
            until = min(position + self.batch_size, head)
            try:
                read = self.views.catch_up(until=until)
                if not read:  # a gap in the ids as wide as a slice: go on to the head
                    read = self.views.catch_up(until=head)
                    if not read:
                        break
            except ProjectionConflictError:  # another runner without the lease moved a view
                time.sleep(0.05)
                continue
            done += read
        self.processed += done
        return done

    def close(self) -> None:
        self.views.close()
        self.lease.release()

    def __enter__(self) -> ProjectionWorker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

"""A rebuild shared by several processes, one partition of the complaints each.

The runner that starts the rebuild empties the views and marks them (position -1 and a
marker, as a rebuild in one process does); then each of ``workers`` processes opens the
log itself, replays the complaints of its :class:`~.partitions.Partition` in id order and
writes their rows, each page's commit checking the marker (a runner that took the views
over meanwhile makes every process stop). Partitions never share a row, so the processes
never wait for each other's rows: on PostgreSQL they write at the same time; on SQLite
they fold in parallel and take turns at the database's one write lock. When all are done
the starting runner builds the indexes and the day rows and sets the positions, in one
transaction, as after a rebuild in one process. A process that fails fails the rebuild:
the views stay marked, and the next runner to open them starts them again.

The processes are spawned (not forked: the parent holds connections and pool threads),
so what they need is sent by value: the store's URL, a picklable ``factory`` of the views
(the policies inside it), the names of the views, the marker and the last position; each
sends back what it counted for the day rows. Spawning re-imports the main module, so a
script that rebuilds with workers keeps its work under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from complaintlog.errors import InvalidValueError
from complaintlog.projections._framework.follower import Follower
from complaintlog.projections._framework.partitions import Partition, partitions
from complaintlog.projections._store import open_view_store

if TYPE_CHECKING:
    from complaintlog.application import ComplaintLog
    from complaintlog.projections._framework.projection import Projection

__all__ = ["ViewsFactory", "check_parallel", "replay_in_processes", "replay_partition"]

ViewsFactory = Callable[[], Iterable["Projection[Any]"]]
"""Makes the views afresh in another process: picklable (a module-level function, or a
``functools.partial`` of one with picklable arguments)."""


def check_parallel(log: ComplaintLog, workers: int) -> None:
    """Refuse what several processes cannot share, before anything is touched."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidValueError("workers", workers, "a whole number of processes, at least 1")
    if workers > 1 and log.settings.kind not in {"sqlite", "postgres"}:
        rule = "several processes need a store they can all open: a SQLite file or PostgreSQL"
        raise InvalidValueError("workers", workers, rule)


def replay_in_processes(
    log: ComplaintLog,
    factory: ViewsFactory,
    workers: int,
    chosen: Sequence[Projection[Any]],
    marker: str,
    stop: int,
) -> int:
    """Replay every partition in a process of its own; the events read, in all (a
    :data:`~.follower.Replay` once the first three are given). What each counted for its
    day rows is added to ``chosen`` (:meth:`Projection.add_tally`), so that the day rows
    are written from the counts, as after a rebuild in one process."""
    names = tuple(projection.name for projection in chosen)
    job = functools.partial(replay_partition, log.settings.url, factory, names, marker, stop)
    context = multiprocessing.get_context("spawn")
    count = 0
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for events, tallies in pool.map(job, partitions(workers)):
            count += events
            for projection in chosen:
                projection.add_tally(tallies.get(projection.name))
    return count


def replay_partition(
    url: str,
    factory: ViewsFactory,
    names: tuple[str, ...],
    marker: str,
    stop: int,
    partition: Partition,
) -> tuple[int, dict[str, Any]]:
    """One process's share: the rows of ``partition``'s complaints (runs in the child);
    returns the events read and what each view counted for its day rows."""
    from complaintlog.application import ComplaintLog

    with ComplaintLog(url) as log:
        settings = log.settings
        store = open_view_store(settings.kind, settings.env, settings.sqlite_path)
        follower = Follower(log, store, factory())
        try:
            chosen = [p for p in follower.projections if p.name in names]
            for projection in chosen:
                projection.rows_are_new = True
            events = follower.replay_by_complaint(chosen, marker, stop, partition)
            return events, {projection.name: projection.tally() for projection in chosen}
        finally:
            follower.close()
            store.close()

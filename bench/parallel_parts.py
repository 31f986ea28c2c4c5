"""How far partitions can speed up the views' work: the parts that cannot be shared.

    python bench/parallel_parts.py --size 20000 --store sqlite|postgres [--repeat 3]
                                   [--workers 2] [--json out.json]

``bench/partitions.py`` measures what N processes achieve; this measures why, in one
process at a time, on a fresh store of ``--size`` complaints (``bench/workload.py``),
medians of ``--repeat``:

* **rebuild**, timed by phase: emptying the views (``reset``), replaying the complaints
  (``replay``: the part partitions share out), and building the indexes, the day rows and
  the positions at the end (``finish``); the same with ``--workers`` processes, whose
  ``replay`` includes starting them. ``reset`` and ``finish`` run in the starting process
  alone, so with a serial share ``s`` of the one-process rebuild, N processes can reach at
  most ``1 / (s + (1 - s) / N)`` of its speed (Amdahl's law), however fast the replay;
* **follow** of the whole log as a backlog from empty views (``ProjectionWorker.run_once``):
  one worker without a partition, then one worker of partition 1 of ``--workers`` alone,
  each with the seconds it spent inside the views' write transactions. Partitions take
  those transactions in turn (on SQLite the file's one write lock; on PostgreSQL the day
  rows' advisory lock), so N partitions together take at least N times one partition's
  write time, and at least one partition's whole time: at most
  ``whole / max(alone, N x alone_written)`` of one worker's speed.

The bounds are upper bounds from the parts measured, not predictions.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from complaintlog import ComplaintLog
from complaintlog.projections import Partition, Projections
from complaintlog.projections import _facade as facade
from complaintlog.projections._framework import follower as follower_module
from complaintlog.projections._framework.follower import Follower
from complaintlog.projections._store import PostgresViewStore, SqliteViewStore
from complaintlog.projections.worker import ProjectionWorker

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from partitions import (  # noqa: E402
    arguments,
    described,
    empty_views,
    imported_store,
    published,
)
from run import source_commit  # noqa: E402

SECONDS: dict[str, float] = {}
"""Seconds spent in each timed part since the last :func:`taken`."""


def timing(owner: Any, name: str, part: str) -> None:
    """Add the time spent in ``owner.name`` to ``SECONDS[part]`` (this process only)."""
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SECONDS[part] = SECONDS.get(part, 0.0) + time.perf_counter() - began

    setattr(owner, name, timed)


def timing_transactions(store_class: type[Any]) -> None:
    """Add the time spent inside the store's write transactions to ``SECONDS["written"]``."""
    original: Callable[..., contextlib.AbstractContextManager[Any]] = store_class.transaction

    @contextlib.contextmanager
    def transaction(self: Any, **kwargs: Any) -> Iterator[Any]:
        began = time.perf_counter()
        try:
            with original(self, **kwargs) as tx:
                yield tx
        finally:
            SECONDS["written"] = SECONDS.get("written", 0.0) + time.perf_counter() - began

    store_class.transaction = transaction


def taken() -> dict[str, float]:
    parts = dict(SECONDS)
    SECONDS.clear()
    return parts


def rebuild(url: str, workers: int) -> dict[str, float]:
    with ComplaintLog(url) as log, Projections(log) as views:
        taken()
        began = time.perf_counter()
        views.rebuild(workers=workers)
        total = time.perf_counter() - began
    parts = taken()
    replay = parts.get("replay_in_one", 0.0) + parts.get("replay_in_processes", 0.0)
    return {
        "total": total,
        "reset": parts["reset"],
        "replay": replay,
        "finish": parts["finish"],
    }


def follow(url: str, partition: str | None) -> dict[str, float]:
    empty_views(url)
    if partition is not None:  # the views split in partitions before the clock starts
        with ComplaintLog(url) as log, Projections(log, partition=partition) as views:
            views.positions()
    with ComplaintLog(url) as log, ProjectionWorker(log, partition=partition) as worker:
        taken()
        began = time.perf_counter()
        worker.run_once()
        total = time.perf_counter() - began
    return {"total": total, "written": taken().get("written", 0.0)}


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    args = arguments(__doc__, default_size=20_000)
    measured_commit = source_commit()
    timing(Follower, "_reset", "reset")
    timing(Follower, "replay_by_complaint", "replay_in_one")
    timing(Follower, "_mark", "finish")
    if hasattr(follower_module, "build_indexes_apart"):  # since the index builds moved out
        timing(follower_module, "build_indexes_apart", "finish")
    timing(facade, "replay_in_processes", "replay_in_processes")
    for store_class in (SqliteViewStore, PostgresViewStore):
        timing_transactions(store_class)
    share = str(Partition(1, args.workers))
    runs: dict[str, list[dict[str, float]]] = {}
    with imported_store(args) as (url, events):
        for _ in range(args.repeat):
            runs.setdefault("rebuild_1", []).append(rebuild(url, 1))
            runs.setdefault("rebuild_n", []).append(rebuild(url, args.workers))
            runs.setdefault("follow_whole", []).append(follow(url, None))
            runs.setdefault("follow_partition", []).append(follow(url, share))
    figures: dict[str, Any] = {name: medians(values) for name, values in runs.items()}
    one = figures["rebuild_1"]
    serial = (one["reset"] + one["finish"]) / one["total"]
    whole, alone = figures["follow_whole"], figures["follow_partition"]
    bounds = {
        "rebuild_serial_share": serial,
        "rebuild_speedup_bound": 1 / (serial + (1 - serial) / args.workers),
        "rebuild_speedup": one["total"] / figures["rebuild_n"]["total"],
        "follow_partition_vs_whole": alone["total"] / whole["total"],
        "follow_written_share": whole["written"] / whole["total"],
        "follow_speedup_bound": whole["total"]
        / max(alone["total"], args.workers * alone["written"]),
    }
    report = {
        **described(args, events, measured_commit),
        "seconds": figures,
        "bounds": bounds,
        "runs": runs,
    }
    for name, parts in figures.items():
        shown = ", ".join(f"{key} {value:.2f}" for key, value in parts.items())
        print(f"{name:>17}: {shown} s")
    for key, value in bounds.items():
        print(f"{key:>29}: {value:.2f}")
    published(report, args.json, width=29)


if __name__ == "__main__":
    main()

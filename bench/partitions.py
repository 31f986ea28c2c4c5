"""The views' work shared by N processes: one against N, in the same run.

    python bench/partitions.py --size 30000 --store sqlite|postgres [--workers 2]
                               [--repeat 3] [--json out.json]

Imports ``--size`` complaints (seven events each, ``bench/workload.py``) into a fresh store,
then measures, alternating one process and ``--workers`` processes, medians of
``--repeat``:

* ``rebuild``: ``Projections(log).rebuild(workers=N)``, complaint by complaint, in events
  per second (N=1: the usual rebuild in this process);
* ``follow``: a backlog of the whole log, caught up in log order from empty views by
  ``ProjectionWorker.run_once()``, one process per partition (N=1: one worker process
  without a partition), timed from the workers' start to the last one's end: what a
  ``complaintlog project --follow --workers N`` does with a backlog.

and prints the speed-ups (N processes / 1). The machine's cores bound them: on 2 cores, 2
processes can reach 2x only when nothing else runs (the load average is printed with the
figures).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from complaintlog import ComplaintLog
from complaintlog.projections import Partition, Projections
from complaintlog.projections._store import TRACKING_TABLE
from complaintlog.projections.worker import ProjectionWorker

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from http_api import drop, store_for  # noqa: E402
from run import source_commit  # noqa: E402
from workload import import_complaints  # noqa: E402


def empty_views(url: str) -> None:
    """Drop the views and their positions: the next runner starts from an empty store."""
    with ComplaintLog(url) as log, Projections(log) as views, views.store.transaction() as tx:
        for projection in views._follower.projections:
            projection.drop_tables(tx)
        tx.execute(f"DROP TABLE IF EXISTS {TRACKING_TABLE}")
    with ComplaintLog(url) as log, Projections(log):
        pass  # new empty tables, created before the timed part


def timed_rebuild(url: str, workers: int) -> float:
    with ComplaintLog(url) as log, Projections(log) as views:
        began = time.perf_counter()
        events = views.rebuild(workers=workers)
        return events / (time.perf_counter() - began)


def follow_partition(url: str, partition: str | None) -> int:
    """One worker process: catch its share up to the head once."""
    with ComplaintLog(url) as log, ProjectionWorker(log, partition=partition) as worker:
        return worker.run_once()


def timed_follow(url: str, workers: int) -> float:
    empty_views(url)
    shares: list[str | None] = (
        [None] if workers == 1 else [str(Partition(k, workers)) for k in range(1, workers + 1)]
    )
    if workers > 1:  # split the views' rows before the clock starts, as a running worker has
        with ComplaintLog(url) as log, Projections(log, partition=shares[0]) as views:
            views.positions()
    with ComplaintLog(url) as log:
        events = log.max_position()
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        pool.apply(os.getpid)  # the processes are up before the clock starts
        began = time.perf_counter()
        pool.starmap(follow_partition, [(url, share) for share in shares])
        seconds = time.perf_counter() - began
    return events / seconds


def arguments(description: str, *, default_size: int) -> argparse.Namespace:
    """The options of the benchmarks of several processes (this one and
    ``parallel_parts.py``)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=default_size, help="complaints (7 events each)")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    return parser.parse_args()


def described(args: argparse.Namespace, events: int, commit: str) -> dict[str, Any]:
    """What a report says of its run, before its figures."""
    return {
        "store": args.store,
        "complaints": args.size,
        "events": events,
        "workers": args.workers,
        "repeat": args.repeat,
        "python": sys.version.split()[0],
        "commit": commit,
        "load_average": os.getloadavg(),
    }


@contextlib.contextmanager
def imported_store(args: argparse.Namespace) -> Iterator[tuple[str, int]]:
    """A fresh store (``--store``) holding ``--size`` complaints of the workload: its URL and
    its events; a PostgreSQL schema is dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix="complaintlog-partitions-") as tmp:
        url, schema = store_for(args.store, Path(tmp), args.postgres_url)
        try:
            with ComplaintLog(url) as log:
                events = import_complaints(log, args.size)
            yield url, events
        finally:
            if schema is not None:
                drop(args.postgres_url, schema)


def published(report: dict[str, Any], path: Path | None, *, width: int) -> None:
    """Print the load the run saw, and write the report to ``path`` (``--json``), if any."""
    print(f"{'load average':>{width}}: {report['load_average']}")
    if path is not None:
        path.write_text(json.dumps(report, indent=2))


def main() -> None:
    args = arguments(__doc__, default_size=30_000)
    measured_commit = source_commit()  # before the runs: the tree may change while they run
    runs: dict[str, list[float]] = {}
    with imported_store(args) as (url, events):
        for _ in range(args.repeat):
            for workers in (1, args.workers):
                runs.setdefault(f"rebuild_{workers}", []).append(timed_rebuild(url, workers))
                runs.setdefault(f"follow_{workers}", []).append(timed_follow(url, workers))
    figures: dict[str, Any] = {key: statistics.median(values) for key, values in runs.items()}
    for kind in ("rebuild", "follow"):
        figures[f"{kind}_speedup"] = figures[f"{kind}_{args.workers}"] / figures[f"{kind}_1"]
    report = {**described(args, events, measured_commit), "figures": figures, "runs": runs}
    for key, value in figures.items():
        unit = "x" if key.endswith("speedup") else "events/s"
        print(f"{key:>20}: {value:>12,.2f} {unit}")
    published(report, args.json, width=20)


if __name__ == "__main__":
    main()

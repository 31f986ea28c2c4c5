"""Commit-to-follower latency: how long after a commit ``log.follow()`` yields the event,
and how long until ``project --follow``'s worker has the views at the head.

A writer thread with its own ``ComplaintLog`` (its own connection, as another process
would have) records one complaint every ``--gap`` seconds and notes when ``receive()``
returned (the commit); the follower notes when the event arrived. PostgreSQL wakes the
follower by ``NOTIFY``; SQLite by ``PRAGMA data_version`` polling every 5 ms.

    PYTHONPATH=src python bench/follow_latency.py sqlite:////tmp/follow.db --events 200
    PYTHONPATH=src python bench/follow_latency.py postgresql://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

from complaintlog import ComplaintLog
from complaintlog.projections.worker import ProjectionWorker


def _writer(url: str, count: int, gap: float, committed: dict[int, float]) -> None:
    with ComplaintLog(url) as log:
        at = datetime.now(UTC) - timedelta(hours=1)
        for n in range(count):
            time.sleep(gap)
            log.receive(
                customer={"id": f"b{n}"}, channel="web", subject="s", description="d", at=at
            )
            committed[log.max_position()] = time.perf_counter()


def follow_latency(url: str, count: int, gap: float) -> list[float]:
    committed: dict[int, float] = {}
    seen: dict[int, float] = {}
    with ComplaintLog(url) as log:
        start = log.max_position()
        follower = log.follow(after=start)
        writer = threading.Thread(target=_writer, args=(url, count, gap, committed))
        writer.start()
        for notification in follower:
            seen[notification.id] = time.perf_counter()
            if len(seen) == count:
                break
        follower.close()
        writer.join()
    return [(seen[p] - committed[p]) * 1000 for p in committed if p in seen]


def worker_latency(url: str, count: int, gap: float) -> list[float]:
    """Commit to all three views at the head, with the worker in a thread."""
    committed: dict[int, float] = {}
    done: list[float] = []
    stop = threading.Event()

    def work() -> None:  # the worker's SQLite connections belong to its thread
        with ComplaintLog(url) as log, ProjectionWorker(log) as worker:
            worker.run(stop)

    with ComplaintLog(url) as log, ProjectionWorker(log) as first:
        first.run_once()
    runner = threading.Thread(target=work)
    runner.start()
    with ComplaintLog(url) as watcher, ProjectionWorker(watcher) as status:
        at = datetime.now(UTC) - timedelta(hours=1)
        with ComplaintLog(url) as writer:
            for n in range(count):
                time.sleep(gap)
                writer.receive(
                    customer={"id": f"w{n}"}, channel="web", subject="s", description="d", at=at
                )
                began = time.perf_counter()
                head = writer.max_position()
                committed[head] = began
                while min(status.views.positions().values()) < head:
                    time.sleep(0.001)
                done.append((time.perf_counter() - began) * 1000)
    stop.set()
    runner.join()
    return done


def _summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"{name}: n={len(values)} median {statistics.median(values):.1f} ms, "
        f"p95 {p95:.1f} ms, max {max(values):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between commits")
    args = parser.parse_args()
    print(_summary("log.follow()", follow_latency(args.url, args.events, args.gap)))
    print(_summary("project worker", worker_latency(args.url, args.events // 2, args.gap)))


if __name__ == "__main__":
    main()

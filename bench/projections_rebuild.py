"""Full rebuild throughput of the projections on SQLite, beside the log-reading floor.

    python bench/projections_rebuild.py --size 20000 [--policy default] [--repeat 3] [--db FILE]

Records ``--size`` complaints (seven events each, ``bench/workload.py``) into a fresh SQLite
file (or reuses ``--db`` if it already holds them), then measures, in events per second:

* the floor: reading and decoding the whole log the way the projections do;
* each projection rebuilt alone;
* the three together (``Projections(log, policy).rebuild()``): the figure that counts.

Medians of ``--repeat`` runs. The machine's load moves these numbers; compare them with the
floor measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import (
    CurrentStateProjection,
    Follower,
    LogReader,
    Projections,
    SlaProjection,
    StatisticsProjection,
)
from complaintlog.projections._store import SqliteViewStore

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import import_complaints  # noqa: E402


def _median_rate(events: int, runs: list[float]) -> int:
    return round(events / statistics.median(runs))


def _timed(action: Callable[[], Any], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="complaints")
    parser.add_argument("--policy", default="default", help="SLA policy preset")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="reuse this SQLite file if it exists")
    arguments = parser.parse_args()
    policy = SlaPolicy.preset(arguments.policy)
    with tempfile.TemporaryDirectory() as folder:
        path = arguments.db or Path(folder) / "bench.db"
        with ComplaintLog(f"sqlite:///{path}") as log:
            if log.max_position() == 0:
                started = time.perf_counter()
                import_complaints(log, arguments.size)
                print(
                    f"recorded {log.max_position()} events in {time.perf_counter() - started:.1f} s"
                )
            events = log.max_position()

            def read_all() -> None:
                reader = LogReader(log)
                position = 0
                while page := reader.read(position, 10_000):
                    position = page[-1][0]
                reader.close()

            def alone(make: Callable[[], Any]) -> Callable[[], None]:
                def run() -> None:
                    store = SqliteViewStore(path)
                    follower = Follower(log, store, [make()], batch_size=10_000)
                    follower.ensure_schema(adopt=True)  # the other rows left other configs
                    follower.rebuild()
                    follower.close()
                    store.close()

                return run

            def together() -> None:
                # the rows "alone" leave other configurations behind: adopt, then rebuild
                Projections.change_policy(log, policy=policy).close()

            rows = [
                ("floor: read and decode the log", read_all),
                ("current state alone", alone(CurrentStateProjection)),
                (f"SLA ({arguments.policy}) alone", alone(lambda: SlaProjection(policy))),
                ("statistics alone", alone(lambda: StatisticsProjection(policy.calendar))),
                ("all three: Projections.rebuild()", together),
            ]
            print(f"{events} events, {arguments.size} complaints, policy {arguments.policy}")
            for label, action in rows:
                rate = _median_rate(events, _timed(action, arguments.repeat))
                print(f"{label:<40} {rate:>10,} events/s")


if __name__ == "__main__":
    main()

"""How often a one-event catch-up on PostgreSQL waits for the server, from libpq's trace.

    python bench/catch_up_round_trips.py [--size 2000] [--samples 10] [--postgres-url URL]

Imports ``--size`` complaints (``bench/workload.py``) into a fresh schema, rebuilds the
views, then ``--samples`` times records one event and catches up, alternating a new
complaint received and a follow-up of an old closed complaint whose rows are not cached
(as ``bench/run.py``'s one-event samples). Every connection of the process writes libpq's
protocol trace to one file; for each catch-up it counts

* **round trips**: the times the client sent something and the server's answer came next
  in the trace (in pipeline mode an answer read while the client still sends counts too,
  so this is an upper bound);
* **statements**: the simple queries and the bound extended-protocol statements sent;

and prints the median and largest of each, with the catch-up's time. The round trips do
not depend on the history's size, hence the small default. The schema is dropped at the
end.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import import_complaints, receive_one_more, workload_end  # noqa: E402

_LIBC = ctypes.CDLL(None)


def traced(trace: Any) -> None:
    """Every psycopg connection opened from now on traces its protocol into ``trace``."""
    import psycopg
    from psycopg.pq import Trace

    connect = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]

    def tracing(cls: Any, *args: Any, **kwargs: Any) -> Any:
        conn = connect(cls, *args, **kwargs)
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)
        return conn

    psycopg.Connection.connect = classmethod(tracing)  # type: ignore[method-assign,assignment]


def counted(trace: Any, action: Callable[[], object]) -> tuple[int, int, float]:
    """Round trips, statements and milliseconds of ``action``, from the trace."""
    _LIBC.fflush(None)  # libpq writes through a buffered FILE
    start = trace.seek(0, os.SEEK_END)
    began = time.perf_counter()
    action()
    ms = (time.perf_counter() - began) * 1000
    _LIBC.fflush(None)
    trace.seek(start)
    lines = trace.read().decode(errors="replace").splitlines()
    round_trips = statements = 0
    previous = ""
    for line in lines:
        side, _, rest = line.partition("\t")
        if side not in {"F", "B"}:
            continue
        if side == "B" and previous == "F":
            round_trips += 1
        previous = side
        kind = rest.split("\t", 2)[1] if rest.count("\t") >= 1 else ""
        if side == "F" and kind in {"Query", "Bind"}:
            statements += 1
    return round_trips, statements, ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    import psycopg

    from complaintlog import ComplaintLog
    from complaintlog.projections import Projections

    schema = f"bench_trips_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in args.postgres_url else "?"
    found: dict[str, list[tuple[int, int, float]]] = {"new": [], "old": []}
    try:
        with tempfile.TemporaryFile() as trace:
            traced(trace)
            with ComplaintLog(f"{args.postgres_url}{separator}schema={schema}") as log:
                import_complaints(log, args.size)
                with Projections(log) as views:
                    views.rebuild()
                    views.catch_up()
                    old = [
                        str(row[0])
                        for row in views.store.query(
                            "SELECT complaint_id FROM complaintlog_current_state "
                            "WHERE status = ? ORDER BY complaint_id LIMIT ?",
                            ("closed", args.samples),
                        )
                    ]
                    late = workload_end(args.size) - timedelta(days=1)
                    for n in range(args.samples):
                        receive_one_more(log, n, late)
                        found["new"].append(counted(trace, views.catch_up))
                        log.follow_up(old[n], solved=True, at=late)
                        found["old"].append(counted(trace, views.catch_up))
    finally:
        with psycopg.connect(args.postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    for kind, label in (("new", "a new complaint"), ("old", "an old complaint's follow-up")):
        trips, sent, ms = zip(*found[kind], strict=True)
        print(
            f"{label}: round trips median {statistics.median(trips):g} (max {max(trips)}), "
            f"statements median {statistics.median(sent):g} (max {max(sent)}), "
            f"{statistics.median(ms):.2f} ms median (max {max(ms):.2f})"
        )


if __name__ == "__main__":
    main()

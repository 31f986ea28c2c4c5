"""complaintlog's benchmark: our figures beside the floors they stand on, in one run.

    python bench/run.py --size 20000 --store sqlite [--repeat 3] [--json out.json]

Measures, in the same process and on the same machine load:
  * the raw floor: sqlite3 executemany of rows the size of our events, and reading them back;
  * the eventsourcing floor: a plain Aggregate with seven trivial events, saved in batches
    and read back through the notification log with decoding;
  * complaintlog: bulk import of complaints with a realistic lifecycle (seven events each),
    single-command latency, projection rebuild and catch-up, queries, store size, peak RSS;
and prints ratios against the floors, which is what we judge by on a shared, noisy machine.
Medians of ``--repeat`` runs are reported for the throughput figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from rich.console import Console
from rich.table import Table

from complaintlog import ComplaintLog

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import EVENTS_PER_COMPLAINT, import_complaints  # noqa: E402

EVENTS = EVENTS_PER_COMPLAINT
BATCH = 500


class Trivial(Aggregate):
    """The eventsourcing floor: an aggregate whose seven events carry almost nothing."""

    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Stepped")
    def step(self, n: int) -> None:
        self.n = n


def fresh_store(kind: str, folder: Path, name: str, pg_url: str) -> dict[str, str]:
    """eventsourcing environment for a fresh store of the given kind."""
    if kind == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(folder / f"{name}.db"),
        }
    if kind == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    schema = fresh_pg_schema(pg_url)
    parts = pg_url.split("/")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts[-1].split("?")[0],
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "POSTGRES_SCHEMA": schema,
    }


def fresh_pg_schema(pg_url: str) -> str:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


def store_url(kind: str, folder: Path, name: str, pg_url: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'{name}.db'}"
    if kind == "memory":
        return "memory://"
    return f"{pg_url}?schema={fresh_pg_schema(pg_url)}"


def timed(work: Callable[[], int]) -> float:
    """Items per second of ``work()``, which returns how many items it handled."""
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    count = work()
    elapsed = time.perf_counter() - start
    gc.unfreeze()
    return count / elapsed


# -- floors ----------------------------------------------------------------------------------


def raw_sqlite(folder: Path, rows: int, row_bytes: int) -> tuple[float, float]:
    path = folder / f"raw-{uuid.uuid4().hex[:6]}.db"
    payload = b"x" * row_bytes
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, sid BLOB, v INTEGER, topic TEXT, state BLOB)"
    )

    def write() -> int:
        with conn:
            conn.executemany(
                "INSERT INTO t (sid, v, topic, state) VALUES (?, ?, ?, ?)",
                ((uuid.uuid4().bytes, n % 7, "topic", payload) for n in range(rows)),
            )
        return rows

    def read() -> int:
        return len(conn.execute("SELECT * FROM t").fetchall())

    rates = timed(write), timed(read)
    conn.close()
    return rates


def eventsourcing_floor(env: dict[str, str], complaints: int) -> tuple[float, float]:
    app = Application[uuid.UUID](env=env)

    def save() -> int:
        batch: list[Trivial] = []
        for n in range(complaints):
            thing = Trivial(name=f"t{n}")
            for k in range(EVENTS - 1):
                thing.step(k)
            batch.append(thing)
            if len(batch) == BATCH:
                app.save(*batch)
                batch = []
        app.save(*batch)
        return complaints * EVENTS

    def read() -> int:
        count, start = 0, 1
        while True:
            page = app.recorder.select_notifications(start, 10_000)
            for notification in page:
                app.mapper.to_domain_event(notification)
            count += len(page)
            if len(page) < 10_000:
                return count
            start = page[-1].id + 1

    rates = timed(save), timed(read)
    app.close()
    return rates


# -- complaintlog ----------------------------------------------------------------------------


def complaintlog_import(url: str, complaints: int) -> tuple[float, ComplaintLog]:
    log = ComplaintLog(url, clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    rate = timed(lambda: import_complaints(log, complaints, batch_size=BATCH))
    return rate, log


def command_latency(url: str, samples: int) -> dict[str, float]:
    log = ComplaintLog(url)
    receive_ms: list[float] = []
    resolve_ms: list[float] = []
    for n in range(samples):
        start = time.perf_counter()
        cid = log.receive(customer={"id": f"L-{n}"}, channel="web", subject="s", description="d")
        receive_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        log.resolve(cid, remedy="apology", summary="sorry", first_contact=True)
        resolve_ms.append((time.perf_counter() - start) * 1000)
    log.close()

    def pct(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1]

    return {
        "receive_p50_ms": pct(receive_ms, 50),
        "receive_p99_ms": pct(receive_ms, 99),
        "resolve_p50_ms": pct(resolve_ms, 50),
        "resolve_p99_ms": pct(resolve_ms, 99),
    }


def store_size(folder: Path, name: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(f"{name}.db*"))


def run_once(kind: str, size: int, folder: Path, pg_url: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    event_bytes = 330  # the median stored state of a complaintlog event, measured below
    result["raw_write"], result["raw_read"] = raw_sqlite(folder, size * EVENTS, event_bytes)
    result["es_save"], result["es_read"] = eventsourcing_floor(
        fresh_store(kind, folder, f"es-{uuid.uuid4().hex[:6]}", pg_url), size
    )
    name = f"cl-{uuid.uuid4().hex[:6]}"
    result["cl_import"], log = complaintlog_import(store_url(kind, folder, name, pg_url), size)
    result.update(projection_figures(log))
    log.close()
    if kind == "sqlite":
        result["store_bytes"] = store_size(folder, name)
    return result


def projection_figures(log: ComplaintLog) -> dict[str, Any]:
    """Rebuild, catch-up and query figures, from the projections package."""
    try:
        from projection_bench import measure  # the projections' own bench module
    except ImportError as error:  # pragma: no cover - reported in the table
        return {"projections": f"not measured: {error}"}
    return measure(log)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=20_000, help="complaints (seven events each)")
    parser.add_argument("--store", choices=["sqlite", "postgres", "memory"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians are reported")
    parser.add_argument("--latency-samples", type=int, default=300)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()

    runs = []
    with tempfile.TemporaryDirectory(prefix="complaintlog-bench-") as tmp:
        folder = Path(tmp)
        for _ in range(args.repeat):
            runs.append(run_once(args.store, args.size, folder, args.postgres_url))
        latency_url = store_url(
            "sqlite" if args.store == "memory" else args.store, folder, "latency", args.postgres_url
        )
        latency = command_latency(latency_url, args.latency_samples)

    figures = {
        key: statistics.median(run[key] for run in runs)
        for key in runs[0]
        if isinstance(runs[0][key], (int, float))
    }
    figures.update(latency)
    figures["import_vs_es_save"] = figures["cl_import"] / figures["es_save"]
    figures["import_vs_raw_write"] = figures["cl_import"] / figures["raw_write"]
    if "rebuild" in figures:
        figures["rebuild_vs_es_read"] = figures["rebuild"] / figures["es_read"]
        figures["rebuild_vs_raw_read"] = figures["rebuild"] / figures["raw_read"]
    report = {
        "store": args.store,
        "complaints": args.size,
        "events": args.size * EVENTS,
        "repeat": args.repeat,
        "python": sys.version.split()[0],
        "figures": figures,
        "notes": {k: v for k, v in runs[0].items() if isinstance(v, str)},
    }
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


LABELS = {
    "raw_write": ("floor: sqlite3 executemany", "rows/s"),
    "raw_read": ("floor: sqlite3 select", "rows/s"),
    "es_save": ("floor: eventsourcing batched save", "events/s"),
    "es_read": ("floor: eventsourcing read + decode", "events/s"),
    "cl_import": ("complaintlog bulk import", "events/s"),
    "rebuild": ("complaintlog rebuild, all projections", "events/s"),
    "catch_up_1000_ms": ("catch-up after 1,000 new events", "ms"),
    "catch_up_1_ms": ("catch-up after 1 new event", "ms"),
    "open_page_ms": ("query: open complaints, first page", "ms"),
    "breaches_ms": ("query: breach list as of now", "ms"),
    "monthly_stats_ms": ("query: one month's statistics", "ms"),
    "rebuild_peak_rss_mb": ("rebuild peak RSS", "MB"),
    "store_bytes": ("store size on disk", "bytes"),
    "receive_p50_ms": ("receive latency p50", "ms"),
    "receive_p99_ms": ("receive latency p99", "ms"),
    "resolve_p50_ms": ("resolve latency p50", "ms"),
    "resolve_p99_ms": ("resolve latency p99", "ms"),
    "import_vs_es_save": ("ratio: import / eventsourcing save", "x"),
    "import_vs_raw_write": ("ratio: import / raw write", "x"),
    "rebuild_vs_es_read": ("ratio: rebuild / eventsourcing read", "x"),
    "rebuild_vs_raw_read": ("ratio: rebuild / raw read", "x"),
}


def print_table(report: dict[str, Any]) -> None:
    table = Table(
        title=f"complaintlog bench: {report['complaints']:,} complaints, "
        f"{report['events']:,} events, {report['store']}, median of {report['repeat']}"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for key, value in report["figures"].items():
        label, unit = LABELS.get(key, (key, ""))
        shown = f"{value:,.2f}" if unit in {"ms", "x", "MB"} else f"{value:,.0f}"
        table.add_row(label, shown, unit)
    for key, note in report["notes"].items():
        table.add_row(key, note, "")
    Console(width=100).print(table)


if __name__ == "__main__":
    main()

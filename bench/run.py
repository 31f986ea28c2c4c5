"""complaintlog's benchmark: our figures beside the floors they stand on, in one run.

    python bench/run.py --size 20000 --store sqlite|postgres|memory [--repeat 3]
                        [--json out.json] [--writers 4]

Measures, in the same process and on the same machine load:
  * the raw floor: sqlite3 executemany of rows the size of our events, and reading them back;
  * the eventsourcing floor: a plain Aggregate with seven trivial events, saved in batches
    and read back through the notification log with decoding;
  * complaintlog: bulk import of complaints with a realistic lifecycle (seven events each),
    single-command latency, projection rebuild (in a child process, which gives its peak
    RSS) and catch-up, queries, store size (bench/projection_bench.py);
and prints ratios against the floors, which is what we judge by on a shared, noisy machine.
Medians of ``--repeat`` runs are reported for every figure.

PostgreSQL (``--store postgres``): the server from ``--postgres-url`` (default
``$COMPLAINTLOG_TEST_POSTGRES_URL``); every store gets a fresh schema, dropped at the end.
``--writers N`` (PostgreSQL) adds N writer processes importing ``--size`` complaints into one
log at once, against one writer doing the same, and checks that no event was lost or
doubled (bench/writers.py).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from rich.console import Console
from rich.table import Table

from complaintlog import ComplaintLog
from complaintlog.persistence.settings import parse_store_url

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import EVENTS_PER_COMPLAINT, import_complaints, workload_end  # noqa: E402

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


SCHEMAS: list[str] = []
"""PostgreSQL schemas this run created; dropped at the end (``drop_schemas``)."""


def fresh_store(kind: str, folder: Path, name: str, pg_url: str) -> dict[str, str]:
    """eventsourcing environment for a fresh store of the given kind."""
    if kind == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(folder / f"{name}.db"),
        }
    if kind == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    return dict(parse_store_url(store_url(kind, folder, name, pg_url)).env)


def fresh_pg_schema(pg_url: str) -> str:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    SCHEMAS.append(schema)
    return schema


def drop_schemas(pg_url: str) -> None:
    if not SCHEMAS:
        return
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        for schema in SCHEMAS:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    SCHEMAS.clear()


def store_url(kind: str, folder: Path, name: str, pg_url: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'{name}.db'}"
    if kind == "memory":
        return "memory://"
    separator = "&" if "?" in pg_url else "?"
    return f"{pg_url}{separator}schema={fresh_pg_schema(pg_url)}"


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


def raw_postgres(pg_url: str, rows: int, row_bytes: int) -> tuple[float, float]:
    """The PostgreSQL floor: ``COPY`` of the rows into a table in one transaction, and
    ``SELECT *`` back, in a fresh schema."""
    import psycopg
    from psycopg import sql

    table = sql.Identifier(fresh_pg_schema(pg_url), "t")
    payload = b"x" * row_bytes
    with psycopg.connect(pg_url) as conn:
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (id BIGSERIAL PRIMARY KEY, sid UUID, v INTEGER, "
                "topic TEXT, state BYTEA)"
            ).format(table)
        )
        conn.commit()

        def write() -> int:
            with conn.cursor() as cursor:
                copy_sql = sql.SQL("COPY {} (sid, v, topic, state) FROM STDIN").format(table)
                with cursor.copy(copy_sql) as copy:
                    for n in range(rows):
                        copy.write_row((uuid.uuid4(), n % 7, "topic", payload))
            conn.commit()
            return rows

        def read() -> int:
            with conn.cursor() as cursor:
                select = sql.SQL("SELECT * FROM {}").format(table)
                return len(cursor.execute(select).fetchall())

        return timed(write), timed(read)


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
    end = workload_end(complaints)  # recording time: after every business time imported
    log = ComplaintLog(url, clock=lambda: end)
    timing: list[float] = []
    gc.collect()
    gc.freeze()
    events = import_complaints(log, complaints, batch_size=BATCH, timing=timing)
    gc.unfreeze()
    return events / sum(timing), log


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


def checkpoint_fully(path: Path, attempts: int = 60, wait: float = 1.0) -> None:
    """Copy the whole write-ahead log into the database file and empty it.

    A ``TRUNCATE`` checkpoint answers "busy" without truncating when another connection is
    checkpointing or reading at that moment (the log's own checkpointer thread, say), and
    the file sizes would then count the WAL too: retried (``attempts`` times, each waiting
    up to ``wait`` seconds for the others) until it succeeds."""
    connection = sqlite3.connect(path, timeout=wait)
    try:
        for _ in range(attempts):
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            wal = path.with_name(f"{path.name}-wal")
            if not busy and (not wal.exists() or wal.stat().st_size == 0):
                return
            time.sleep(0.1)
    finally:
        connection.close()
    msg = f"{path}: the write-ahead log could not be emptied for measuring the store's size"
    raise RuntimeError(msg)


def store_size(log: ComplaintLog) -> int | None:
    """Bytes the store takes: the SQLite file (after a checkpoint), or the schema's tables
    and indexes on PostgreSQL; ``None`` in memory."""
    settings = log.settings
    if settings.kind == "sqlite" and settings.sqlite_path is not None:
        path = settings.sqlite_path
        checkpoint_fully(path)
        return sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*"))
    if settings.kind == "postgres":
        import psycopg

        recorder: Any = log.recorder
        with psycopg.connect(settings.url.split("?")[0]) as conn:
            row = conn.execute(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'm')",
                (recorder.datastore.schema,),
            ).fetchone()
        return int(row[0]) if row else None
    return None


def run_once(kind: str, size: int, folder: Path, pg_url: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    event_bytes = 330  # the median stored state of a complaintlog event, measured below
    result["raw_write"], result["raw_read"] = raw_sqlite(folder, size * EVENTS, event_bytes)
    if kind == "postgres":
        result["raw_pg_write"], result["raw_pg_read"] = raw_postgres(
            pg_url, size * EVENTS, event_bytes
        )
    result["es_save"], result["es_read"] = eventsourcing_floor(
        fresh_store(kind, folder, f"es-{uuid.uuid4().hex[:6]}", pg_url), size
    )
    name = f"cl-{uuid.uuid4().hex[:6]}"
    result["cl_import"], log = complaintlog_import(store_url(kind, folder, name, pg_url), size)
    events = log.max_position()
    size_of_events = store_size(log)
    result.update(projection_figures(log, size))
    size_with_views = store_size(log)
    if size_of_events is not None and size_with_views is not None:
        result["store_bytes"] = size_of_events
        result["store_mb_per_million_events"] = size_of_events / events * 1e6 / 2**20
        result["store_with_views_bytes"] = size_with_views
        result["store_with_views_mb_per_million_events"] = (
            size_with_views / log.max_position() * 1e6 / 2**20
        )
    log.close()
    # ratios per run, against the floors measured moments before: their median is steadier
    # than the ratio of medians on a machine whose speed drifts
    result["import_vs_es_save"] = result["cl_import"] / result["es_save"]
    result["import_vs_raw_write"] = result["cl_import"] / result["raw_write"]
    if "rebuild" in result:
        result["rebuild_vs_es_read"] = result["rebuild"] / result["es_read"]
        result["rebuild_vs_raw_read"] = result["rebuild"] / result["raw_read"]
    if "raw_pg_write" in result:
        result["import_vs_raw_pg_write"] = result["cl_import"] / result["raw_pg_write"]
        if "rebuild" in result:
            result["rebuild_vs_raw_pg_read"] = result["rebuild"] / result["raw_pg_read"]
    return result


def projection_figures(log: ComplaintLog, complaints: int) -> dict[str, Any]:
    """Rebuild, catch-up and query figures, from the projections' bench module."""
    try:
        from projection_bench import measure  # the projections' own bench module
    except ImportError as error:  # pragma: no cover - reported in the table
        return {"projections": f"not measured: {error}"}
    return measure(log, complaints)


def writers_figures(pg_url: str, complaints: int, writers: int) -> dict[str, Any]:
    """N writer processes into one PostgreSQL log against one, and what the log holds."""
    from writers import check_log, concurrent_import

    figures: dict[str, Any] = {}
    one_url = store_url("postgres", Path(), "", pg_url)
    figures["writers_1"] = concurrent_import(one_url, complaints, 1)["rate"]
    many_url = store_url("postgres", Path(), "", pg_url)
    many = concurrent_import(many_url, complaints, writers)
    figures["writers_n"] = many["rate"]
    figures["writers_scaling"] = many["rate"] / figures["writers_1"]
    checked = check_log(many_url, int(many["events"]))
    figures.update({f"writers_{key}": value for key, value in checked.items()})
    return figures


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
        "--writers",
        type=int,
        default=1,
        help="PostgreSQL: also import with this many writer processes at once",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    # a kill (SIGTERM) still drops the PostgreSQL schemas: it unwinds like an exception
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.writers > 1 and args.store != "postgres":
        parser.error("--writers needs --store postgres (SQLite has one writer at a time)")

    measured_commit = source_commit()  # before the runs: the tree may change while they run
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="complaintlog-bench-") as tmp:
            folder = Path(tmp)
            for _ in range(args.repeat):
                runs.append(run_once(args.store, args.size, folder, args.postgres_url))
            latency_url = store_url(
                "sqlite" if args.store == "memory" else args.store,
                folder,
                "latency",
                args.postgres_url,
            )
            latency = command_latency(latency_url, args.latency_samples)
            if args.writers > 1:
                latency.update(writers_figures(args.postgres_url, args.size, args.writers))
    finally:
        if args.store == "postgres":
            drop_schemas(args.postgres_url)

    figures = {
        key: statistics.median(run[key] for run in runs)
        for key in runs[0]
        if isinstance(runs[0][key], (int, float))
    }
    figures.update(latency)
    report = {
        "store": args.store,
        "complaints": args.size,
        "events": args.size * EVENTS,
        "repeat": args.repeat,
        "writers": args.writers,
        "python": sys.version.split()[0],
        "commit": measured_commit,
        "figures": figures,
        "notes": {k: v for k, v in runs[0].items() if isinstance(v, str)},
        "runs": [{k: v for k, v in run.items() if isinstance(v, int | float)} for run in runs],
    }
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


LABELS = {
    "raw_write": ("floor: sqlite3 executemany", "rows/s"),
    "raw_read": ("floor: sqlite3 select", "rows/s"),
    "raw_pg_write": ("floor: PostgreSQL COPY", "rows/s"),
    "raw_pg_read": ("floor: PostgreSQL select", "rows/s"),
    "es_save": ("floor: eventsourcing batched save", "events/s"),
    "es_read": ("floor: eventsourcing read + decode", "events/s"),
    "cl_import": ("complaintlog bulk import", "events/s"),
    "rebuild": ("complaintlog rebuild, all projections", "events/s"),
    "rebuild_s": ("rebuild, wall time", "s"),
    "rebuild_peak_rss_mb": ("rebuild peak RSS (child process)", "MB"),
    "catch_up_1000_events": ("catch-up: new events read", "events"),
    "catch_up_1000_ms": ("catch-up after 1,000 new events", "ms"),
    "catch_up_1_ms": ("catch-up after 1 new event, median", "ms"),
    "catch_up_1_max_ms": ("catch-up after 1 new event, max", "ms"),
    "open_page_ms": ("query: open complaints, first page of 20", "ms"),
    "open_page_rows": ("  rows on that page", "rows"),
    "breaches_ms": ("query: breach list as of now, first 100", "ms"),
    "breaches_rows": ("  rows on that page", "rows"),
    "agenda_one_assignee_ms": ("query: one assignee's agenda, now to tomorrow", "ms"),
    "agenda_one_assignee_rows": ("  items on it", "rows"),
    "agenda_one_assignee_first_50_ms": ("query: the same agenda, first 50 items", "ms"),
    "agenda_one_assignee_week_ago_ms": ("query: the same agenda as of a week ago", "ms"),
    "agenda_one_assignee_week_ago_rows": ("  items on it", "rows"),
    "monthly_stats_ms": ("query: one month's statistics", "ms"),
    "monthly_stats_received": ("  complaints received that month", "rows"),
    "store_bytes": ("store size, events only", "bytes"),
    "store_mb_per_million_events": ("  per million events", "MB"),
    "store_with_views_bytes": ("store size with the views", "bytes"),
    "store_with_views_mb_per_million_events": ("  per million events", "MB"),
    "receive_p50_ms": ("receive latency p50", "ms"),
    "receive_p99_ms": ("receive latency p99", "ms"),
    "resolve_p50_ms": ("resolve latency p50", "ms"),
    "resolve_p99_ms": ("resolve latency p99", "ms"),
    "writers_1": ("import, 1 writer process", "events/s"),
    "writers_n": ("import, N writer processes at once", "events/s"),
    "writers_scaling": ("  N writer processes / 1", "x"),
    "writers_events": ("  events in the log", "events"),
    "writers_lost": ("  events lost", "events"),
    "writers_doubled": ("  events doubled", "events"),
    "writers_streams": ("  complaints (streams)", "streams"),
    "writers_expected_streams": ("  complaints recorded", "streams"),
    "writers_streams_with_gaps": ("  streams with a version gap", "streams"),
    "writers_notification_id_gaps": ("  gaps in notification ids", "ids"),
    "writers_notification_id_repeats": ("  repeated notification ids", "ids"),
    "import_vs_es_save": ("ratio: import / eventsourcing save", "x"),
    "import_vs_raw_write": ("ratio: import / sqlite3 write", "x"),
    "rebuild_vs_es_read": ("ratio: rebuild / eventsourcing read", "x"),
    "rebuild_vs_raw_read": ("ratio: rebuild / sqlite3 read", "x"),
    "import_vs_raw_pg_write": ("ratio: import / PostgreSQL COPY", "x"),
    "rebuild_vs_raw_pg_read": ("ratio: rebuild / PostgreSQL select", "x"),
}


def source_commit() -> str:
    """The git commit the measured code is at (``+changes`` when the tree differs from it)."""
    import subprocess

    def git(*arguments: str) -> str:
        done = subprocess.run(
            ["git", *arguments], cwd=HERE, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # the results of earlier runs of the same suite are not changes to the measured code
    changed = git(
        "status", "--porcelain", "--untracked-files=no", "--", ":/", ":(top,exclude)bench/results"
    )
    return commit + ("+changes" if changed else "")


def print_table(report: dict[str, Any]) -> None:
    table = Table(
        title=f"complaintlog bench: {report['complaints']:,} complaints, "
        f"{report['events']:,} events,\n{report['store']}, median of {report['repeat']} runs"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    figures = report["figures"]
    ordered = [key for key in LABELS if key in figures]
    ordered += [key for key in figures if key not in LABELS]
    for key in ordered:
        value = figures[key]
        label, unit = LABELS.get(key, (key, ""))
        label = label.replace("N writer", f"{report['writers']} writer")
        shown = f"{value:,.2f}" if unit in {"ms", "x", "MB", "s"} else f"{value:,.0f}"
        table.add_row(label, shown, unit)
    for key, note in report["notes"].items():
        table.add_row(key, note, "")
    Console(width=100).print(table)


if __name__ == "__main__":
    main()

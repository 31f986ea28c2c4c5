"""The benchmark keeps working: a tiny run of ``bench/run.py`` reports every figure.

No timing is asserted (the machines that run the suite are shared and noisy); the figures
must be there, be numbers, and the counts behind them must be what the workload recorded.
"""

from __future__ import annotations

import importlib.util
import math
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from .conftest import RunScript

BENCH = Path(__file__).resolve().parents[2] / "bench" / "run.py"

FIGURES = {
    # floors
    "raw_write",
    "raw_read",
    "es_save",
    "es_read",
    # complaintlog
    "cl_import",
    "rebuild",
    "rebuild_s",
    "rebuild_peak_rss_mb",
    "catch_up_1000_events",
    "catch_up_1000_ms",
    "catch_up_1_ms",
    "catch_up_1_max_ms",
    "open_page_ms",
    "open_page_rows",
    "breaches_ms",
    "breaches_rows",
    "monthly_stats_ms",
    "monthly_stats_received",
    "store_bytes",
    "store_mb_per_million_events",
    "store_with_views_bytes",
    "store_with_views_mb_per_million_events",
    "receive_p50_ms",
    "receive_p99_ms",
    "resolve_p50_ms",
    "resolve_p99_ms",
    # ratios
    "import_vs_es_save",
    "import_vs_raw_write",
    "rebuild_vs_es_read",
    "rebuild_vs_raw_read",
}


POSTGRES_FIGURES = FIGURES | {
    "raw_pg_write",
    "raw_pg_read",
    "import_vs_raw_pg_write",
    "rebuild_vs_raw_pg_read",
    "writers_1",
    "writers_n",
    "writers_scaling",
}


TINY = ("--size", "200", "--repeat", "1", "--latency-samples", "20")


def assert_figures(report: dict[str, Any], expected: set[str]) -> None:
    assert report["notes"] == {}, "a part of the benchmark did not run"
    figures = report["figures"]
    assert set(figures) >= expected, f"missing: {sorted(expected - set(figures))}"
    for key in expected:
        value = figures[key]
        assert isinstance(value, int | float), key
        assert math.isfinite(value), key
        assert value > 0, key


def test_a_tiny_sqlite_run_reports_every_figure(run_script: RunScript) -> None:
    done, report = run_script("run.py", *TINY, "--store", "sqlite")
    assert (report["store"], report["complaints"], report["events"]) == ("sqlite", 200, 1400)
    assert_figures(report, FIGURES)
    figures = report["figures"]
    latency = {key for key in FIGURES if key.startswith(("receive", "resolve"))}
    for key in FIGURES - latency:  # one run: its figures are the medians
        assert figures[key] == report["runs"][0][key], key
    assert figures["catch_up_1000_events"] == 1000
    assert figures["open_page_rows"] == 20
    assert figures["breaches_rows"] == 100
    # the file's pages alone (and the shared-memory index): no write-ahead log counted
    assert figures["store_bytes"] % 4096 == 0
    assert figures["store_with_views_bytes"] % 4096 == 0
    assert "complaintlog rebuild, all projections" in done.stdout


@pytest.mark.postgres
def test_a_tiny_postgres_run_with_four_writers_loses_and_doubles_nothing(
    run_script: RunScript, postgres_url: str
) -> None:
    _, report = run_script(
        "run.py", *TINY, "--store", "postgres", "--writers", "4", "--postgres-url", postgres_url
    )
    assert (report["store"], report["writers"]) == ("postgres", 4)
    assert_figures(report, POSTGRES_FIGURES)
    figures = report["figures"]
    assert figures["writers_events"] == 200 * 7  # 4 writers x 50 complaints x 7 events
    assert figures["writers_streams"] == figures["writers_expected_streams"] == 200
    for problem in (
        "writers_lost",
        "writers_doubled",
        "writers_streams_with_gaps",
        "writers_notification_id_gaps",
        "writers_notification_id_repeats",
    ):
        assert figures[problem] == 0, problem


def _bench_run_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its aggregate's events are found by module name
    spec.loader.exec_module(module)
    return module


def _store_with_a_reader(path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """A WAL store with pages in its log, its writer, and a second connection reading it."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x BLOB)")
    writer.executemany("INSERT INTO t VALUES (?)", [(b"x" * 300,) for _ in range(500)])
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM t").fetchone()  # holds its snapshot of the log
    assert path.with_name(f"{path.name}-wal").stat().st_size > 0
    return writer, reader


def test_the_store_size_is_measured_only_once_the_log_is_emptied(tmp_path: Path) -> None:
    # A busy TRUNCATE checkpoint used to be ignored, and the WAL counted in the size.
    run = _bench_run_module()
    path = tmp_path / "store.db"
    writer, reader = _store_with_a_reader(path)
    threading.Timer(0.3, lambda: reader.execute("COMMIT")).start()
    run.checkpoint_fully(path, wait=0.05)
    assert path.with_name(f"{path.name}-wal").stat().st_size == 0
    assert path.stat().st_size % 4096 == 0
    reader.close()
    writer.close()


def test_a_log_that_cannot_be_emptied_is_an_error_not_a_figure(tmp_path: Path) -> None:
    run = _bench_run_module()
    path = tmp_path / "store.db"
    writer, reader = _store_with_a_reader(path)
    try:
        with pytest.raises(RuntimeError, match="could not be emptied"):
            run.checkpoint_fully(path, attempts=3, wait=0.05)
    finally:
        reader.close()
        writer.close()

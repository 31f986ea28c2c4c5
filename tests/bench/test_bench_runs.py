"""The benchmark keeps working: a tiny run of ``bench/run.py`` reports every figure.

No timing is asserted (the machines that run the suite are shared and noisy); the figures
must be there, be numbers, and the counts behind them must be what the workload recorded.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

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


def test_a_tiny_sqlite_run_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--size",
            "200",
            "--repeat",
            "1",
            "--store",
            "sqlite",
            "--latency-samples",
            "20",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert (report["store"], report["complaints"], report["events"]) == ("sqlite", 200, 1400)
    assert report["notes"] == {}, "a part of the benchmark did not run"
    figures = report["figures"]
    assert set(figures) >= FIGURES, f"missing: {sorted(FIGURES - set(figures))}"
    for key in FIGURES:
        value = figures[key]
        assert isinstance(value, int | float), key
        assert math.isfinite(value), key
        assert value > 0, key
    assert figures["catch_up_1000_events"] == 1000
    assert figures["open_page_rows"] == 20
    assert figures["breaches_rows"] == 100
    assert "complaintlog rebuild, all projections" in done.stdout

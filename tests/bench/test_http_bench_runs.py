"""The HTTP benchmark keeps working: a tiny run reports every figure (no time asserted)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "http_api.py"
CASES = (
    "trivial_post",
    "trivial_post_async",
    "receive",
    "trivial_get",
    "trivial_get_async",
    "get_state",
)
CPU_RATIOS = {
    "receive_cpu_vs_trivial",
    "receive_cpu_vs_trivial_async",
    "get_state_cpu_vs_trivial",
    "get_state_cpu_vs_trivial_async",
}
FIGURES = {
    *(f"{case}_rps" for case in CASES),
    *(f"{case}_server_cpu" for case in CASES),
    *(f"{case}_server_ms_per_request" for case in CASES),
    *CPU_RATIOS,
    "receive_vs_trivial",
    "get_state_vs_trivial",
    "receive_vs_trivial_async",
    "get_state_vs_trivial_async",
    "requests_per_case",
    "concurrency",
}


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_tiny_run_reports_every_figure(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if store == "postgres":
        request.getfixturevalue("postgres_url")  # skips (or fails under CI) without a server
    out = tmp_path / "http.json"
    result = subprocess.run(
        [
            *(sys.executable, str(BENCH), "--requests", "40", "--store", store),
            *("--concurrency", "1", "--concurrency", "2", "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(out.read_text())["figures"]
    assert set(found) == {f"{store} c=1", f"{store} c=2", f"{store} in process"}
    for concurrency in (1, 2):
        figures = found[f"{store} c={concurrency}"]
        assert set(figures) == FIGURES
        # A tiny run may use less than a clock tick of the server's CPU in a case: then
        # its CPU ratios are NaN, never a made-up number.
        measured = {k: v for k, v in figures.items() if not (k in CPU_RATIOS and math.isnan(v))}
        assert all(math.isfinite(value) and value >= 0 for value in measured.values())
        assert all(figures[f"{case}_rps"] > 0 for case in CASES)  # CPU may round to 0 ticks
        assert (figures["requests_per_case"], figures["concurrency"]) == (40, concurrency)
    assert set(found[f"{store} in process"]) == {"log_receive_ms", "log_get_ms"}

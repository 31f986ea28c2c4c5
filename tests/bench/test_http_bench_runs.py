"""The HTTP benchmark keeps working: a tiny run reports every figure (no time asserted)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "http_api.py"
FIGURES = {
    "trivial_post_rps",
    "receive_rps",
    "trivial_get_rps",
    "get_state_rps",
    "receive_vs_trivial",
    "get_state_vs_trivial",
    "requests_per_case",
    "log_receive_ms",
    "log_get_ms",
}


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_tiny_run_reports_every_figure(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if store == "postgres":
        request.getfixturevalue("postgres_url")  # skips (or fails under CI) without a server
    out = tmp_path / "http.json"
    result = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "40", "--store", store, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())["figures"][store]
    assert set(figures) == FIGURES
    assert all(math.isfinite(value) and value > 0 for value in figures.values())
    assert figures["requests_per_case"] == 40

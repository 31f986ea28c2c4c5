"""What the benchmark tests share: running a script of ``bench/`` and reading its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

RunScript = Callable[..., tuple[subprocess.CompletedProcess[str], dict[str, Any]]]


@pytest.fixture
def run_script(tmp_path: Path) -> RunScript:
    """Run ``bench/<script>`` with these arguments and ``--json``; its output and report."""

    def run(script: str, *arguments: str) -> tuple[subprocess.CompletedProcess[str], Any]:
        out = tmp_path / f"{Path(script).stem}.json"
        done = subprocess.run(
            [sys.executable, str(BENCH / script), *arguments, "--json", str(out)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done, json.loads(out.read_text())

    return run

"""The HTML report in a real headless browser (Debian's chromium): it loads with no console
message, fetches nothing, and every chart is drawn.

Needs `chromium` (apt-get install -y chromium). Under CI (CI=true) a missing browser fails
the test; elsewhere it skips with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

EXPECTED_CHARTS = 7
IN_CI = os.environ.get("CI", "").lower() == "true"


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    reason = "chromium is not installed (apt-get install -y chromium)"
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def render(page: Path, profile: Path) -> tuple[str, str]:
    """The DOM after the page's load handlers ran, and what the browser logged."""
    completed = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout, completed.stderr


def test_the_report_loads_without_errors_and_draws_every_chart(
    demo: tuple[str, str], tmp_path: Path
) -> None:
    page = Path(demo[1])
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the page must fetch nothing"
    dom, log = render(page, tmp_path / "profile")
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert f'data-charts="{EXPECTED_CHARTS}"' in dom
    assert f'data-charts-drawn="{EXPECTED_CHARTS}"' in dom
    assert dom.count('data-drawn="yes"') == EXPECTED_CHARTS
    assert 'data-drawn="no"' not in dom

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
from typer.testing import CliRunner

from complaintlog.cli import app
from complaintlog.report.html import CHARTS

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


def page_of(demo: tuple[str, str], kind: str, folder: Path) -> Path:
    """The demo's own page, or one under the FCA policy per week written by `report`."""
    if kind == "demo":
        return Path(demo[1])
    page = folder / "fca.html"
    result = CliRunner().invoke(
        app,
        [
            *("--store", demo[0], "--quiet", "report"),
            *("--policy", "fca", "--period", "week", "--html", str(page)),
        ],
    )
    assert result.exit_code == 0, result.output
    return page


@pytest.mark.parametrize("kind", ["demo", "fca-weekly"])
def test_the_report_loads_without_errors_and_draws_every_chart(
    demo: tuple[str, str], kind: str, tmp_path: Path
) -> None:
    page = page_of(demo, kind, tmp_path)
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the page must fetch nothing"
    dom, log = render(page, tmp_path / "profile")
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert f'data-charts="{len(CHARTS)}"' in dom
    assert f'data-charts-drawn="{len(CHARTS)}"' in dom
    for name in CHARTS:
        assert re.search(rf'data-chart="{name}"[^>]*data-drawn="yes"', dom), name
    assert 'data-drawn="no"' not in dom
    for table in ("breaches", "at-risk", "broken-promises", "periods", "groups", "sla"):
        assert f'data-table="{table}"' in dom
    if kind == "fca-weekly":
        assert 'data-table="informational"' in dom

"""One demo store per test session, built through the command line itself."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from typer.testing import CliRunner

from complaintlog.cli import app


class Demo(NamedTuple):
    store: str
    html: str


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """`complaintlog demo` into a temporary folder: its store URL and report page."""
    folder = tmp_path_factory.mktemp("demo")
    store = f"sqlite:///{folder / 'demo.db'}"
    html = folder / "report.html"
    result = CliRunner().invoke(app, ["--store", store, "--quiet", "demo", "--html", str(html)])
    assert result.exit_code == 0, result.output
    return Demo(store, str(html))

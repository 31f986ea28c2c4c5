"""``bench/rebuild_parts.py`` keeps working: a tiny run measures every part, each part left
in the views what it says it left, and the derived figures follow from the rates.

No time is asserted.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from .conftest import RunScript

PARTS = {"floor", "es_read_log", "read", "fold", "no_indexes", "rebuild"}
TINY = ("--size", "150", "--repeat", "1")


def check_report(report: dict[str, Any], store: str) -> None:
    assert (report["store"], report["complaints"], report["events"]) == (store, 150, 1050)
    rates = report["events_per_second"]
    assert set(rates) == PARTS
    assert all(rate > 0 for rate in rates.values()), rates
    for part, rate in rates.items():
        assert math.isclose(report["of_floor"][part], rate / rates["floor"]), part
        assert math.isclose(report["microseconds_per_event"][part], 1e6 / rate), part
    left = report["views_left"]
    rebuilt = left["rebuild"]
    assert rebuilt["rows"] > 0, rebuilt
    assert rebuilt["indexes"] > 0, rebuilt
    # the fold stored nothing and built nothing
    assert left["fold"] == {"rows": 0, "indexes": 0}
    # without the end of the rebuild: the complaints' rows, but no index and no day row
    assert left["no_indexes"]["indexes"] == 0
    assert 0 < left["no_indexes"]["rows"] < rebuilt["rows"]


def test_a_tiny_sqlite_run_measures_every_part(run_script: RunScript) -> None:
    _, report = run_script("rebuild_parts.py", *TINY, "--store", "sqlite")
    check_report(report, "sqlite")


@pytest.mark.postgres
def test_a_tiny_postgres_run_measures_every_part(run_script: RunScript, postgres_url: str) -> None:
    _, report = run_script(
        "rebuild_parts.py", *TINY, "--store", "postgres", "--postgres-url", postgres_url
    )
    check_report(report, "postgres")

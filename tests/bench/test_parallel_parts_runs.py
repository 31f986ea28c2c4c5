"""``bench/parallel_parts.py`` keeps working: a tiny run times every part and derives the
bounds from them as its docstring says (recomputed here from the seconds it reports).

No time is asserted; the parts must be there, add up, and the bounds follow from them.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from .conftest import RunScript

TINY = ("--size", "150", "--repeat", "1")


def check_report(report: dict[str, Any], store: str) -> None:
    assert (report["store"], report["complaints"], report["events"]) == (store, 150, 1050)
    seconds = report["seconds"]
    for rebuild in ("rebuild_1", "rebuild_n"):
        parts = seconds[rebuild]
        assert set(parts) == {"total", "reset", "replay", "finish"}
        assert all(value > 0 for value in parts.values()), parts
        # the phases are inside the rebuild's call, one after the other
        assert parts["reset"] + parts["replay"] + parts["finish"] <= parts["total"]
    for follow in ("follow_whole", "follow_partition"):
        parts = seconds[follow]
        assert 0 < parts["written"] < parts["total"], parts
    one, whole, alone = seconds["rebuild_1"], seconds["follow_whole"], seconds["follow_partition"]
    serial = (one["reset"] + one["finish"]) / one["total"]
    workers = report["workers"]
    expected = {
        "rebuild_serial_share": serial,
        "rebuild_speedup_bound": 1 / (serial + (1 - serial) / workers),
        "rebuild_speedup": one["total"] / seconds["rebuild_n"]["total"],
        "follow_partition_vs_whole": alone["total"] / whole["total"],
        "follow_written_share": whole["written"] / whole["total"],
        "follow_speedup_bound": whole["total"] / max(alone["total"], workers * alone["written"]),
    }
    assert set(report["bounds"]) == set(expected)
    for key, value in expected.items():
        assert math.isclose(report["bounds"][key], value), key
    assert 1 < report["bounds"]["rebuild_speedup_bound"] < workers


def test_a_tiny_sqlite_run_times_every_part(run_script: RunScript) -> None:
    _, report = run_script("parallel_parts.py", *TINY, "--store", "sqlite")
    check_report(report, "sqlite")


@pytest.mark.postgres
def test_a_tiny_postgres_run_times_every_part(run_script: RunScript, postgres_url: str) -> None:
    _, report = run_script(
        "parallel_parts.py", *TINY, "--store", "postgres", "--postgres-url", postgres_url
    )
    check_report(report, "postgres")

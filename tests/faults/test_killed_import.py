"""An import killed with SIGKILL at seeded points, then run again: nothing lost, nothing doubled.

``complaintlog import`` runs in a child process on the 3,186-row CFPB file and is killed three
times, each time once the store has grown past a seeded position plus a seeded delay, so
the kill lands anywhere in a batch, its commit included. After every kill the store holds
only whole complaints (each exactly as a clean import stores it), verifies clean, and the
projections catch up on what is there. Running the import once more completes it: the
store then equals a clean import into another store, complaint by complaint and event by
event, and the views built incrementally across the crashes equal a clean rebuild.

A projection runner killed mid-batch is tested in tests/projections/test_exactly_once.py.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from complaintlog import ComplaintLog
from complaintlog.audit import verify
from complaintlog.data import CFPB_2013_2017, bundled_csv
from complaintlog.importing import import_csv
from complaintlog.projections import Projections

from .conftest import Contents, clean_rebuild, contents, sqlite_max_position, view_rows

FILE = bundled_csv(CFPB_2013_2017)
ROWS = 3186
SEED = 6
KILL_BANDS = ((0.05, 0.25), (0.30, 0.45), (0.50, 0.62))
"""Where each kill aims, as fractions of the clean import's last position."""
BATCH_SIZE = 100
ROUND_TIMEOUT = 60.0


def import_command(store: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "complaintlog.cli",
        "--store",
        store,
        "--quiet",
        "--json",
        "import",
        str(FILE),
        "--batch-size",
        str(BATCH_SIZE),
    ]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ComplaintLog, Contents]]:
    """The file imported once, undisturbed, into a store of its own."""
    folder = tmp_path_factory.mktemp("clean")
    with ComplaintLog(f"sqlite:///{folder / 'clean.db'}") as log:
        summary = import_csv(log, FILE)
        assert (summary.rows, summary.stored, summary.rejected) == (ROWS, ROWS, 0)
        yield log, contents(log)


def kill_mid_import(store: str, path: Path, target: int, delay: float) -> None:
    """Start the import, wait until the store passes ``target``, wait ``delay``, SIGKILL."""
    child = subprocess.Popen(
        import_command(store), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + ROUND_TIMEOUT
        while sqlite_max_position(path) < target and child.poll() is None:
            assert time.monotonic() < deadline, f"the store never reached position {target}"
            time.sleep(0.005)
        time.sleep(delay)
        assert child.poll() is None, "the import finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=ROUND_TIMEOUT)
    assert child.returncode == -signal.SIGKILL


def test_an_import_killed_three_times_and_run_again_loses_and_doubles_nothing(
    clean: tuple[ComplaintLog, Contents], tmp_path: Path
) -> None:
    clean_log, expected = clean
    total = clean_log.max_position()
    path = tmp_path / "crashed.db"
    store = f"sqlite:///{path}"
    rng = random.Random(SEED)
    positions = [0]
    for low, high in KILL_BANDS:
        target = max(int(total * rng.uniform(low, high)), positions[-1] + 1)
        kill_mid_import(store, path, target, delay=rng.uniform(0.0, 0.15))
        with ComplaintLog(store) as log:
            position = log.max_position()
            assert positions[-1] < position < total
            positions.append(position)
            found = contents(log)
            # whole complaints only, each exactly as the clean import stored it
            assert found.gaps == ()
            assert found.other_topics == {}
            assert all(found.streams[ref] == expected.streams[ref] for ref in found.streams)
            assert set(found.registered) == set(found.streams)
            assert set(found.registered.values()) == {1}
            assert verify(log).ok
            with Projections(log) as views:  # the views follow the store across the crash
                views.catch_up()
    stored_before = len(found.streams)

    rerun = subprocess.run(
        import_command(store), capture_output=True, text=True, timeout=120, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["rows"] == ROWS
    assert summary["duplicate"] == stored_before
    assert summary["imported"] + summary["corrected"] == ROWS - stored_before
    assert summary["rejected"] == 0
    with ComplaintLog(store) as log:
        assert log.max_position() == total
        assert summary["events"] == total - positions[-1] - (ROWS - stored_before)
        found = contents(log)
        assert found == expected  # every complaint, every event, nothing twice
        report = verify(log)
        assert report.ok, report.problems[:3]
        assert (report.events, report.complaints) == (total, ROWS)
        with Projections(log) as views:
            views.catch_up()
            incremental = view_rows(views.store)
        assert incremental == clean_rebuild(log)

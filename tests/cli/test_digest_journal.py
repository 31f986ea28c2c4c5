"""A daily series of signed checkpoints: verify names the first day that no longer holds.

The checkpoints are taken with the API on chosen days (the CLI takes them today); all
checking goes through `complaintlog audit verify --against`.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.application.audit import checkpoint
from complaintlog.application.checkpoints import write_checkpoint
from complaintlog.cli import app

from .conftest import Demo

runner = CliRunner()
DAY_ONE = datetime(2027, 3, 1, 18, 0, tzinfo=UTC)
DAY_TWO = datetime(2027, 3, 2, 18, 0, tzinfo=UTC)


def _invoke(store: str, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store", store, *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def copy_of(demo: Demo, path: Path) -> str:
    """A private copy of the demo store, to tamper with."""
    source = sqlite3.connect(demo.store.removeprefix("sqlite:///"))
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}"


def keyed_env(folder: Path) -> dict[str, str]:
    made = runner.invoke(app, ["audit", "new-key"])
    assert made.exit_code == 0, made.output
    key_file = folder / "audit.key"
    key_file.write_text(made.stdout)
    return {"COMPLAINTLOG_AUDIT_KEY_FILE": str(key_file)}


@pytest.fixture
def series(demo: Demo, tmp_path: Path) -> tuple[str, Path, dict[str, str], Path, int, int]:
    """Day one's checkpoint, one more complaint, day two's: (url, db, env, journal, p1, p2)."""
    path = tmp_path / "copy.db"
    url = copy_of(demo, path)
    env = keyed_env(tmp_path)
    journal = tmp_path / "journal.jsonl"
    with ComplaintLog(url, env=env, clock=lambda: DAY_ONE) as log:
        first = log.max_position()
        write_checkpoint(checkpoint(log, adopt_unsealed=True), journal)
    with ComplaintLog(url, env=env, clock=lambda: DAY_TWO) as log:
        log.receive(customer={"id": "C-1"}, channel="email", subject="Card", description="Blocked")
        second = log.max_position()
        write_checkpoint(checkpoint(log, adopt_unsealed=True), journal)
    days = [json.loads(line)["day"] for line in journal.read_text().splitlines()]
    assert days == ["2027-03-01", "2027-03-02"]
    return url, path, env, journal, first, second


def _tamper(path: Path, position: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE stored_events SET state = CAST(REPLACE(CAST(state AS TEXT), "
            '\'"timestamp":"2\', \'"timestamp":"3\') AS BLOB) WHERE rowid = ?',
            (position,),
        )
    db.close()


Series = tuple[str, Path, dict[str, str], Path, int, int]


def test_verify_against_a_series_that_holds(series: Series) -> None:
    url, _, env, journal, _, _ = series
    code, stdout, err = _invoke(url, env, "audit", "verify", "--against", str(journal))
    assert code == 0, err
    assert "up to 2 signed checkpoints" in stdout


def test_an_edit_after_day_one_names_day_two(series: Series) -> None:
    url, path, env, journal, _, second = series
    _tamper(path, second)
    code, _, err = _invoke(url, env, "audit", "verify", "--against", str(journal))
    assert code == 1
    assert "the first day whose digest no longer holds is 2027-03-02" in err
    assert "1 earlier checkpoint still hold" in err


def test_an_edit_before_day_one_names_day_one(series: Series) -> None:
    url, path, env, journal, first, _ = series
    _tamper(path, first - 10)
    code, stdout, _ = _invoke(url, env, "--json", "audit", "verify", "--against", str(journal))
    assert code == 1
    assert json.loads(stdout)["first_bad_day"] == "2027-03-01"


def test_a_consistent_rewrite_passes_without_kept_digests_and_fails_with_them(
    series: Series,
) -> None:
    """The last complaint removed whole: its chain goes with it, only a kept digest sees it."""
    url, path, env, journal, _, second = series
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = ?", (second,))
    db.close()
    code, _, err = _invoke(url, {}, "audit", "verify")
    assert code == 0
    assert "a consistent rewrite of the whole log would pass" in " ".join(err.split())
    code, _, err = _invoke(url, env, "audit", "verify", "--against", str(journal))
    assert code == 1
    assert "2027-03-02" in err


def test_checkpoint_refuses_to_extend_a_journal_that_no_longer_holds(series: Series) -> None:
    """The last complaint removed whole: every chain holds, so only the journal sees it, and
    the daily checkpoint names the day instead of vouching for the rewritten log."""
    url, path, env, journal, _, second = series
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = ?", (second,))
    db.close()
    code, _, err = _invoke(
        url, env, "audit", "checkpoint", "--journal", str(journal), "--adopt-unsealed"
    )
    assert code == 1
    assert "nothing appended" in err
    assert "2027-03-02" in err
    assert len(journal.read_text().splitlines()) == 2

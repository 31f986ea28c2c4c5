"""The digest journal: a daily series of kept heads names the first day that no longer holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app

from .conftest import Demo

runner = CliRunner()


def _invoke(store: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store", store, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store(demo: Demo, tmp_path: Path) -> tuple[str, Path]:
    """A private copy of the demo store, to tamper with."""
    source = sqlite3.connect(demo.store.removeprefix("sqlite:///"))
    path = tmp_path / "copy.db"
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}", path


def _tamper(path: Path, position: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE stored_events SET state = CAST(REPLACE(CAST(state AS TEXT), "
            '\'"timestamp":"2\', \'"timestamp":"3\') AS BLOB) WHERE rowid = ?',
            (position,),
        )
    db.close()


def _two_days(url: str, journal: Path) -> tuple[int, int]:
    """Day one's checkpoint, one more event, day two's checkpoint: their head positions."""
    code, _, err = _invoke(
        url, "audit", "checkpoint", "--journal", str(journal), "--day", "2026-03-01"
    )
    assert code == 0, err
    with ComplaintLog(url) as log:
        first = log.max_position()
        log.receive(
            customer={"id": "C-1"},
            channel="email",
            subject="Card blocked",
            description="My card was blocked abroad",
            actor="agent",
        )
        second = log.max_position()
    code, _, err = _invoke(
        url, "audit", "checkpoint", "--journal", str(journal), "--day", "2026-03-02"
    )
    assert code == 0, err
    heads = [json.loads(line)["head"] for line in journal.read_text().splitlines()]
    assert [int(h.split(":")[0]) for h in heads] == [first, second]
    return first, second


def test_verify_against_a_journal_that_holds(store: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = store
    journal = tmp_path / "journal.jsonl"
    _two_days(url, journal)
    code, stdout, err = _invoke(url, "audit", "verify", "--against", str(journal))
    assert code == 0, err
    assert "2 kept digests hold" in stdout


def test_an_edit_after_day_one_names_day_two(store: tuple[str, Path], tmp_path: Path) -> None:
    url, path = store
    journal = tmp_path / "journal.jsonl"
    _, second = _two_days(url, journal)
    _tamper(path, second)
    code, _, err = _invoke(url, "--json", "audit", "verify", "--against", str(journal))
    assert code == 1
    assert "the digest kept on 2026-03-02 no longer holds" in err


def test_an_edit_before_day_one_names_day_one(store: tuple[str, Path], tmp_path: Path) -> None:
    url, path = store
    journal = tmp_path / "journal.jsonl"
    first, _ = _two_days(url, journal)
    _tamper(path, first - 10)
    code, stdout, _err = _invoke(url, "--json", "audit", "verify", "--against", str(journal))
    assert code == 1
    assert json.loads(stdout)["kept_digests"]["first_bad_day"] == "2026-03-01"


def test_a_consistent_rewrite_passes_without_a_journal_and_fails_with_one(
    store: tuple[str, Path], tmp_path: Path
) -> None:
    """The last event removed whole: every chain still holds, only a kept digest sees it."""
    url, path = store
    journal = tmp_path / "journal.jsonl"
    _, second = _two_days(url, journal)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = ?", (second,))
    db.close()
    code, stdout, _ = _invoke(url, "audit", "verify")
    assert code == 0
    assert "a consistent rewrite of the whole log would pass" in " ".join(stdout.split())
    code, _, err = _invoke(url, "audit", "verify", "--against", str(journal))
    assert code == 1
    assert "2026-03-02" in err
    assert "no longer reaches position" in err


def test_checkpoint_refuses_to_extend_a_journal_that_no_longer_holds(
    store: tuple[str, Path], tmp_path: Path
) -> None:
    url, path = store
    journal = tmp_path / "journal.jsonl"
    first, _ = _two_days(url, journal)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM stored_events WHERE rowid > ?", (first - 1,))
    db.close()
    code, _, err = _invoke(url, "audit", "checkpoint", "--journal", str(journal))
    assert code == 1
    assert "2026-03-01" in err
    assert len(journal.read_text().splitlines()) == 2

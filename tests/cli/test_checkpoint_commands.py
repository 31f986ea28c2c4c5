"""`complaintlog audit new-key`, `audit checkpoint` and `audit verify --against`: a forged
event appended with SQL, and a deleted event, are found with the audit key from the
environment, and the first bad position is named."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def keyed(tmp_path: Path) -> tuple[str, Path, dict[str, str]]:
    made = run("audit", "new-key")
    assert made.exit_code == 0, made.output
    key_file = tmp_path / "audit.key"
    key_file.write_text(made.stdout)
    env = {"COMPLAINTLOG_AUDIT_KEY_FILE": str(key_file)}
    path = tmp_path / "keyed.db"
    url = f"sqlite:///{path}"
    with ComplaintLog(url, env=env, clock=lambda: T0 + timedelta(days=1)) as log:
        for n in range(3):
            cid = log.receive(
                customer={"id": f"C-{n}"}, channel="web", subject="s", description="d", at=T0
            )
            log.acknowledge(cid, at=T0 + timedelta(minutes=5))
    return url, path, env


def test_checkpoint_then_verify_against_it(keyed: tuple[str, Path, dict[str, str]]) -> None:
    url, path, env = keyed
    checkpoints = path.parent / "checkpoints.jsonl"
    made = run("--store", url, "audit", "checkpoint", "-o", str(checkpoints), env=env)
    assert made.exit_code == 0, made.output
    (line,) = checkpoints.read_text().splitlines()
    signed = json.loads(line)
    assert signed["format"] == "complaintlog-checkpoint/1"
    assert signed["position"] == 6
    assert signed["head"].startswith("6:")
    checked = run("--store", url, "audit", "verify", "--against", str(checkpoints), env=env)
    assert checked.exit_code == 0, checked.output
    assert "up to 1 signed checkpoints" in checked.stdout
    # an auditor without the secret checks it with the public key
    public = run("audit", "public-key", env=env).stdout.strip()
    assert public == signed["public_key"]
    by_auditor = run(
        "--store", url, "audit", "verify", "--against", str(checkpoints), "--public-key", public
    )
    assert by_auditor.exit_code == 0, by_auditor.output
    assert "no audit key" in by_auditor.stderr  # seals are not checked without the secret


def test_a_deleted_event_is_named_against_the_checkpoint(
    keyed: tuple[str, Path, dict[str, str]],
) -> None:
    url, path, env = keyed
    checkpoints = path.parent / "checkpoints.jsonl"
    made = run("--store", url, "audit", "checkpoint", "-o", str(checkpoints), env=env)
    assert made.exit_code == 0, made.output
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM stored_events WHERE rowid >= 5")  # the last complaint
    conn.close()
    plain = run("--store", url, "audit", "verify", env=env)
    assert plain.exit_code == 0  # nothing else shows it
    checked = run("--store", url, "audit", "verify", "--against", str(checkpoints), env=env)
    assert checked.exit_code == 1
    assert "error: the stored history was altered: 1 problem, the first at position 4" in (
        checked.stderr
    )


def test_a_forged_event_is_found_with_the_key(keyed: tuple[str, Path, dict[str, str]]) -> None:
    url, path, env = keyed
    with sqlite3.connect(path) as conn:  # a copy of the last event, as a new complaint's v1
        conn.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1, topic, "
            "replace(state, '\"seal\"', '\"sea1\"') FROM stored_events WHERE rowid = 6"
        )
    conn.close()
    checked = run("--store", url, "--json", "audit", "verify", env=env)
    assert checked.exit_code == 1
    report = json.loads(checked.stdout)
    assert report["sealed"] is True
    first = report["problems"][0]
    assert (first["position"], first["kind"]) == (7, "unsealed")


def test_checkpoint_needs_the_key(keyed: tuple[str, Path, dict[str, str]]) -> None:
    url, path, _ = keyed
    result = run("--store", url, "audit", "checkpoint", "-o", str(path.parent / "c.jsonl"))
    assert result.exit_code == 1
    assert "no audit key" in result.stderr
    bad = path.parent / "bad.jsonl"
    bad.write_text("{not json\n")
    result = run("--store", url, "audit", "verify", "--against", str(bad))
    assert result.exit_code == 2
    assert "bad.jsonl line 1" in result.stderr

"""`complaintlog rules check MODULE:NAME`: every breach in a store, counted independently."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaintlog.cli import app

from .conftest import Demo

RULES_MODULE = """
from complaintlog.rules import all_of, process_rule

@process_rule("no resolutions")
def no_resolutions(state, command):
    return "resolved" if command.name == "resolve" else None

@process_rule("no escalation above supervisor")
def low_escalations(state, command):
    if command.name == "escalate" and command.arguments["level"] != "supervisor":
        return f"escalated to {command.arguments['level']}"
    return None

RULES = [no_resolutions, all_of("house", [low_escalations])]
NOT_RULES = [1, 2]
"""


def stored_count(store: str, event: str, where: str = "") -> int:
    """Counted in the raw table, without complaintlog."""
    path = store.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT topic, state FROM stored_events").fetchall()
    return sum(
        1
        for topic, state in rows
        if topic.endswith(f"Complaint.{event}") and where.encode() in bytes(state)
    )


@pytest.fixture
def rules_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "demo_rules.py").write_text(RULES_MODULE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_breach_is_listed_with_complaint_step_rule_and_reason(
    demo: Demo, rules_folder: Path
) -> None:
    result = CliRunner().invoke(
        app, ["--store", demo.store, "--json", "rules", "check", "demo_rules:RULES"]
    )
    assert result.exit_code == 1, result.output
    breaches = json.loads(result.stdout)
    resolved = [b for b in breaches if b["rule"] == "no resolutions"]
    escalated = [b for b in breaches if b["rule"] == "no escalation above supervisor"]
    assert len(resolved) == stored_count(demo.store, "Resolved")
    assert len(escalated) == stored_count(demo.store, "Escalated") - stored_count(
        demo.store, "Escalated", '"level":"supervisor"'
    )
    assert escalated
    assert all(b["group"] == "house" and b["event"] == "Escalated" for b in escalated)
    assert {"complaint_id", "version", "occurred_at", "reason"} <= set(breaches[0])


def test_a_clean_history_exits_zero_and_a_bad_name_is_one_line(
    demo: Demo, rules_folder: Path
) -> None:
    (rules_folder / "lenient.py").write_text(
        "from complaintlog.rules import process_rule\n"
        "RULE = process_rule('anything goes')(lambda state, command: None)\n",
        encoding="utf-8",
    )
    ok = CliRunner().invoke(app, ["--store", demo.store, "rules", "check", "lenient:RULE"])
    assert ok.exit_code == 0, ok.output
    for spec, fragment in [
        ("demo_rules", "MODULE:NAME"),
        ("nowhere:RULES", "cannot import"),
        ("demo_rules:MISSING", "has no 'MISSING'"),
        ("demo_rules:NOT_RULES", "not a rule"),
    ]:
        bad = CliRunner().invoke(app, ["--store", demo.store, "rules", "check", spec])
        assert bad.exit_code == 2, bad.output
        assert bad.stderr.startswith("error: ")
        assert fragment in bad.stderr

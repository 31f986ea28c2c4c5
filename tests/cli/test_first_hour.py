"""Issue #14: the command line as a newcomer meets it on their own data."""

from __future__ import annotations

import subprocess
from pathlib import Path

from complaintlog.cli._audit import event_schemas

ROOT = Path(__file__).resolve().parents[2]


def test_the_event_schema_lists_only_recorded_events() -> None:
    events = event_schemas()["events"]
    assert "Created" not in events
    assert "Received" in events


def test_no_project_file_cites_a_document_outside_the_repository() -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    outside = ("../" + "shared", "/work/" + "shared")
    citing = [
        name
        for name in files
        if (ROOT / name).is_file()
        and any(
            marker in (ROOT / name).read_text(encoding="utf-8", errors="replace")
            for marker in outside
        )
    ]
    assert citing == []

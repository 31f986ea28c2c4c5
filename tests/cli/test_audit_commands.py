"""`complaintlog audit digest` and `audit verify`: tampering with a SQLite row behind the
application's back is found, named by its position in the log, with a non-zero exit."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DIGEST = re.compile(r"^\d+:[0-9a-f]{64}$")


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def receive_and_resolve(log: ComplaintLog, n: int, amount: str) -> None:
    complaint = log.receive(
        customer={"id": f"C-{n}"},
        channel="web",
        subject="Invoice",
        description="Charged twice",
        external_ref=f"CRM-{n}",
        at=T0,
    )
    log.acknowledge(complaint, at=T0 + timedelta(minutes=5))
    log.resolve(
        complaint,
        remedy="refund",
        summary="Refunded",
        compensation={"amount": amount, "currency": "EUR"},
        at=T0 + timedelta(hours=2),
    )


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "audited.db"
    with ComplaintLog(f"sqlite:///{path}", clock=lambda: T0 + timedelta(days=1)) as log:
        for n, amount in enumerate(("12.50", "30.00", "7.25")):
            receive_and_resolve(log, n, amount)
    return f"sqlite:///{path}", path


def tamper(path: Path, old: bytes, new: bytes) -> int:
    """Edit the one stored event holding ``old`` with plain SQL; its position (rowid)."""
    with sqlite3.connect(path) as conn:
        rows = [
            (rowid, bytes(state))
            for rowid, state in conn.execute("SELECT rowid, state FROM stored_events")
            if old in bytes(state)
        ]
        assert len(rows) == 1
        position, state = rows[0]
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (state.replace(old, new), position),
        )
    return int(position)


def test_an_untouched_store_verifies_and_has_a_digest(store: tuple[str, Path]) -> None:
    url, _ = store
    digest = run("--store", url, "audit", "digest")
    assert digest.exit_code == 0, digest.output
    head = digest.stdout.strip()
    assert DIGEST.match(head)
    checked = run("--store", url, "audit", "verify", "--digest", head)
    assert checked.exit_code == 0, checked.output
    assert "nothing altered up to the kept digest" in checked.stdout
    report = json.loads(run("--store", url, "--json", "audit", "verify").stdout)
    assert (report["ok"], report["complaints"], report["problems"]) == (True, 3, [])
    assert report["head"] == head


def test_a_tampered_row_fails_verify_with_its_position(store: tuple[str, Path]) -> None:
    url, path = store
    kept = run("--store", url, "audit", "digest").stdout.strip()
    position = tamper(path, b"12.50", b"92.50")
    result = run("--store", url, "audit", "verify")
    assert result.exit_code == 1
    assert f"position {position}" in result.stdout
    assert "edited" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: the stored history was altered")
    assert f"position {position}" in lines[0]
    assert "Traceback" not in result.output
    against_kept = run("--store", url, "--json", "audit", "verify", "--digest", kept)
    assert against_kept.exit_code == 1
    kinds = {(p["position"], p["kind"]) for p in json.loads(against_kept.stdout)["problems"]}
    assert (position, "edited") in kinds
    assert any(kind == "head-mismatch" for _, kind in kinds)


def test_no_digest_for_a_tampered_log(store: tuple[str, Path]) -> None:
    url, path = store
    position = tamper(path, b"7.25", b"1.25")
    result = run("--store", url, "audit", "digest")
    assert result.exit_code == 1
    assert not DIGEST.search(result.stdout)
    assert f"position {position}" in result.stderr


def test_history_appended_later_keeps_the_old_digest_valid(store: tuple[str, Path]) -> None:
    url, _ = store
    kept = run("--store", url, "audit", "digest").stdout.strip()
    with ComplaintLog(url, clock=lambda: T0 + timedelta(days=2)) as log:
        receive_and_resolve(log, 9, "5.00")
    later = run("--store", url, "audit", "verify", "--digest", kept)
    assert later.exit_code == 0, later.output
    assert run("--store", url, "audit", "digest").stdout.strip() != kept


def test_a_malformed_digest_is_a_one_line_usage_error(store: tuple[str, Path]) -> None:
    url, _ = store
    result = run("--store", url, "audit", "verify", "--digest", "not-a-digest")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: --digest 'not-a-digest'")


def test_export_opens_sealed_personal_data_and_shows_erased_data_as_erased(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'personal.db'}"
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with ComplaintLog(url) as log:
        for customer in ("C-1", "C-2"):
            log.receive(
                customer={"id": customer, "name": f"Name of {customer}"},
                channel="web",
                subject="Bill",
                description="Wrong",
                at=at,
            )
        log.erase_personal_data("C-2", reason="GDPR art. 17 request")
    result = CliRunner().invoke(app, ["--store", url, "export"])
    assert result.exit_code == 0, result.output
    received = [json.loads(line) for line in result.stdout.splitlines() if '"Received"' in line]
    customers = {r["payload"]["customer"]["id"]: r["payload"]["customer"] for r in received}
    assert customers["C-1"]["name"] == "Name of C-1"
    assert customers["C-2"]["name"] is None
    assert customers["C-2"]["erased"] is True

"""Read authorisation: which complaints a team may read, and who sees personal data (the
others see it masked), in the API (memory, SQLite, PostgreSQL) and in `show` / `export`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog, NotAuthorizedError, Policy
from complaintlog.cli import app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = """
[roles.agent]
commands = ["receive", "acknowledge", "assign", "resolve"]
personal_data = true

[roles.billing]
inherits = ["agent"]
read_teams = ["billing"]

[roles.auditor]
commands = []
personal_data = false

[actors]
ana = ["agent"]
bea = ["billing"]
kim = ["auditor"]
"""


def policy() -> Policy:
    import tomllib

    return Policy.from_mapping(tomllib.loads(POLICY))


def fill(log: ComplaintLog) -> tuple[UUID, UUID]:
    ids = []
    for n, team in enumerate(("billing", "cards")):
        complaint_id = log.receive(
            customer={"id": f"C-{n}", "name": "Ana Lima", "email": "ana@example.org"},
            channel="web",
            subject="Direct debit",
            description="IBAN PT50 0002 0123 failed",
            personal_fields=("description",),
            external_ref=f"R-{n}",
            at=T0,
            actor="ana",
        )
        log.assign(complaint_id, assignee="x", team=team, at=T0 + timedelta(hours=1), actor="ana")
        ids.append(complaint_id)
    return ids[0], ids[1]


@pytest.fixture
def guarded(store_url: str) -> Iterator[ComplaintLog]:
    with ComplaintLog(store_url, authorization=policy()) as log:
        yield log


def test_a_reader_without_the_right_sees_personal_data_masked(guarded: ComplaintLog) -> None:
    billing, _ = fill(guarded)
    assert guarded.get(billing).customer.name == "Ana Lima"  # the application sees all
    view = guarded.reading_as("kim").get(billing)
    assert (view.customer.name, view.customer.email) == ("[masked]", "[masked]")
    assert view.description == "[masked]"
    assert view.subject == "Direct debit"  # not marked personal
    assert view.customer.id == "C-0"
    (received, _) = guarded.reading_as("kim").history(billing)
    assert received.payload["customer"]["name"] == "[masked]"
    assert received.payload["description"] == "[masked]"
    text = repr([s.state for s in guarded.reading_as("kim").steps(billing)])
    assert "Ana Lima" not in text
    assert "PT50" not in text
    assert guarded.reading_as("ana").get(billing).customer.name == "Ana Lima"


def test_a_team_reads_only_its_complaints(guarded: ComplaintLog) -> None:
    billing, cards = fill(guarded)
    bea = guarded.reading_as("bea")
    assert bea.get(billing).customer.name == "Ana Lima"
    with pytest.raises(NotAuthorizedError, match="team 'cards'") as refused:
        bea.get(cards)
    assert refused.value.command == "read"
    with pytest.raises(NotAuthorizedError):
        bea.history(cards)
    assert bea.find("R-1") is None
    assert bea.find("R-0") == billing
    with pytest.raises(NotAuthorizedError):
        guarded.reading_as("stranger").get(billing)  # no role: reads nothing
    with pytest.raises(NotAuthorizedError):
        guarded.reading_as(None).get(billing)


def test_without_a_policy_a_reader_sees_everything(store_url: str) -> None:
    with ComplaintLog(store_url) as log:
        billing, _ = fill(log)
        assert log.reading_as("anyone").get(billing).customer.name == "Ana Lima"


@pytest.fixture
def cli_store(tmp_path: Path) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with ComplaintLog(url) as log:
        fill(log)
    file = tmp_path / "policy.toml"
    file.write_text(POLICY, encoding="utf-8")
    return url, file


def test_show_as_an_auditor_masks(cli_store: tuple[str, Path]) -> None:
    url, file = cli_store
    shown = CliRunner().invoke(
        app, ["--store", url, "--authorization", str(file), "--as", "kim", "--json", "show", "R-0"]
    )
    assert shown.exit_code == 0, shown.output
    assert "Ana Lima" not in shown.stdout
    assert "PT50" not in shown.stdout
    assert "[masked]" in shown.stdout
    refused = CliRunner().invoke(
        app, ["--store", url, "--authorization", str(file), "--as", "bea", "show", "R-1"]
    )
    assert refused.exit_code == 1
    assert "may not run read" in refused.stderr
    alone = CliRunner().invoke(app, ["--store", url, "--as", "bea", "show", "R-0"])
    assert alone.exit_code == 2
    assert "--as needs an authorisation policy" in alone.stderr


def test_export_as_a_team(cli_store: tuple[str, Path]) -> None:
    url, file = cli_store
    result = CliRunner().invoke(
        app, ["--store", url, "--authorization", str(file), "--as", "bea", "export"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    ids = {r["aggregate_id"] for r in records if r["aggregate"] == "Complaint"}
    refs = {r["payload"]["external_ref"] for r in records if r["aggregate"] == "ExternalReference"}
    assert len(ids) == 1
    assert refs == {"R-0"}
    everything = CliRunner().invoke(app, ["--store", url, "export"])
    assert len(everything.stdout.splitlines()) == 6  # 2 x (received, index, assigned)
    assert len(records) == 3
    masked = CliRunner().invoke(
        app, ["--store", url, "--authorization", str(file), "--as", "kim", "export", "-f", "csv"]
    )
    assert masked.exit_code == 0, masked.output
    assert "Ana Lima" not in masked.stdout
    assert "[masked]" in masked.stdout

"""Issue #14: a report on imported history says which policy and zone it used, shows the
periods that have data and where the data ends.

The expected figures come from tests/importing/data/city.csv read by hand: four requests
received in January, February and March 2013 (two in March), closed in January, March
(two) and one still open.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app
from complaintlog.data import bundled_csv
from complaintlog.importing import import_csv
from complaintlog.report import report_data, report_policy, store_time_zone, to_rich
from complaintlog.report.render import headline_rows

DATA = Path(__file__).parents[1] / "importing" / "data"
NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def _city() -> ComplaintLog:
    log = ComplaintLog(clock=lambda: NOW)
    import_csv(log, DATA / "city.csv", mapping=DATA / "city.toml")
    return log


def test_the_neutral_default_takes_the_zone_the_data_was_imported_in() -> None:
    log = _city()
    assert store_time_zone(log) == "America/Chicago"
    policy = report_policy(log)
    assert (policy.name, policy.calendar.time_zone.key) == ("default", "America/Chicago")
    assert report_policy(log, "default", "Europe/Paris").calendar.time_zone.key == "Europe/Paris"
    assert report_policy(log, "fca").calendar.time_zone.key == "Europe/London"  # its own
    assert store_time_zone(ComplaintLog(clock=lambda: NOW)) is None


def test_the_report_names_policy_zone_and_where_the_data_ends() -> None:
    log = _city()
    data = report_data(log, policy=report_policy(log), period="month")
    assert (data.policy, data.time_zone, data.data_ends) == (
        "default",
        "America/Chicago",
        "2013-03",
    )
    from rich.console import Console

    console = Console(width=100, record=True)
    console.print(to_rich(data))
    text = " ".join(console.export_text().split())
    assert "policy 'default' in America/Chicago" in text
    assert "the data ends in 2013-03" in text
    # the periods table shows the three months with data, not the 2026 months without
    assert "2013-01" in text
    assert "2013-03" in text
    assert "2026-11" not in text


def test_the_report_command_uses_the_store_zone_and_takes_time_zone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    imported = runner.invoke(
        app,
        ["--store", url, "import", str(DATA / "city.csv"), "--mapping", str(DATA / "city.toml")],
    )
    assert imported.exit_code == 0, imported.output
    shown = runner.invoke(app, ["--store", url, "report", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    head = json.loads(shown.stdout)["headline"]
    assert (head["time_zone"], head["data_ends"]) == ("America/Chicago", "2013-03")
    other = runner.invoke(
        app, ["--store", url, "report", "--format", "json", "--time-zone", "Asia/Tokyo"]
    )
    assert json.loads(other.stdout)["headline"]["time_zone"] == "Asia/Tokyo"
    bad = runner.invoke(app, ["--store", url, "report", "--time-zone", "Mars/Base"])
    assert bad.exit_code == 2
    assert "--time-zone 'Mars/Base'" in bad.stderr


def test_cfpb_timely_response_no_is_a_figure_of_its_own() -> None:
    path = bundled_csv()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        expected = sum(row["Timely response?"] == "No" for row in csv.DictReader(handle))
    assert expected > 0
    log = ComplaintLog(clock=lambda: NOW)
    import_csv(log, path)
    data = report_data(log, policy=report_policy(log, "cfpb"))
    assert data.late_by_source == expected
    assert data.headline()["late_by_source"] == expected
    assert ("Late by the source's own verdict", f"{expected:,}") in headline_rows(data)


def test_report_by_category_groups_by_all_three_parts() -> None:
    log = ComplaintLog(clock=lambda: NOW)
    at = datetime(2025, 3, 3, 10, tzinfo=UTC)
    for customer, category in (
        ("a", {"dimension": "reliability", "cause": "billing", "product": "Card"}),
        ("b", {"dimension": "reliability", "cause": "billing", "product": "Card"}),
        ("c", {"cause": "billing", "product": "Loan"}),
        ("d", None),
    ):
        log.receive(
            customer={"id": customer},
            channel="web",
            subject="s",
            description="d",
            category=category,  # type: ignore[arg-type]
            at=at,
        )
    data = report_data(log, policy=report_policy(log), by="category")
    received = {row.group: row.received for row in data.groups}
    assert received == {"reliability/billing/Card": 2, "-/billing/Loan": 1, "(none)": 1}


def test_the_report_command_takes_by_category(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    runner.invoke(
        app,
        ["--store", url, "import", str(DATA / "city.csv"), "--mapping", str(DATA / "city.toml")],
    )
    shown = runner.invoke(app, ["--store", url, "report", "--by", "category", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["by"] == "category"


def test_the_broken_promises_column_says_fulfilled_late_not_kept() -> None:
    from complaintlog.report.render import sections

    log = ComplaintLog(clock=lambda: NOW)
    at = datetime(2025, 3, 3, 10, tzinfo=UTC)
    cid = log.receive(customer={"id": "c"}, channel="web", subject="s", description="d", at=at)
    log.acknowledge(cid, at=at)
    log.make_promise(cid, promise="call back", due=at + timedelta(hours=2), at=at)
    log.inform(cid, message="called", at=at + timedelta(hours=5))  # fulfilled, late
    data = report_data(log, policy=report_policy(log))
    (section,) = [s for s in sections(data) if s.key == "broken-promises"]
    assert "fulfilled late" in section.columns
    assert "kept" not in section.columns
    assert len(section.rows) == 1

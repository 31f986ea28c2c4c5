"""What the screens showed then: --as-known-at on show, file, export and report.

A hand-moved clock plays "when the store learned it"; the team lead types Thursday's
escalation to management in on Friday morning (as in docs/howto-audit.md).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app

runner = CliRunner()
FRIDAY_9 = "2026-03-06T09:00:00+00:00"


class HandClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _invoke(store: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store", store, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'late.db'}"
    clock = HandClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with ComplaintLog(url, clock=clock) as log:
        cid = log.receive(
            customer={"id": "C-7"},
            channel="letter",
            subject='=HYPERLINK("http://evil.example","refund")',
            description="I returned the dryer three weeks ago and have no refund",
            category={"product": "appliances"},
            external_ref="CRM-7",
            actor="agent-ana",
        )
        clock.now += timedelta(hours=1)
        log.acknowledge(cid, actor="agent-ana")
        clock.now = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
        log.escalate(cid, level="supervisor", reason="mentions the regulator", actor="agent-ana")
        clock.now = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # Friday: the lead types it in
        log.escalate(
            cid,
            level="management",
            reason="refund above the supervisor's limit",
            at=datetime(2026, 3, 5, 15, 0, tzinfo=UTC),
            actor="lead-ivo",
        )
    return url


def test_show_as_known_at_leaves_out_the_late_entry(store: str) -> None:
    code, stdout, err = _invoke(store, "--json", "show", "CRM-7", "--as-known-at", FRIDAY_9)
    assert code == 0, err
    shown = json.loads(stdout)
    assert [e["event"] for e in shown["events"]] == ["Received", "Acknowledged", "Escalated"]
    assert shown["events"][-1]["payload"]["level"] == "supervisor"
    code, stdout, _ = _invoke(store, "--json", "show", "CRM-7")
    assert json.loads(stdout)["events"][-1]["payload"]["level"] == "management"


def test_file_as_known_at_and_the_backdated_flag(store: str) -> None:
    code, stdout, err = _invoke(store, "--json", "file", "CRM-7", "--as-known-at", FRIDAY_9)
    assert code == 0, err
    known = json.loads(stdout)
    assert [e["level"] for e in known["escalations"]] == ["supervisor"]
    code, stdout, _ = _invoke(store, "--json", "file", "CRM-7")
    now = json.loads(stdout)
    assert [e["level"] for e in now["escalations"]] == ["supervisor", "management"]
    assert [e["backdated"] for e in now["timeline"]] == [False, False, False, True]


def test_export_as_known_at(store: str) -> None:
    code, stdout, err = _invoke(store, "export", "--as-known-at", FRIDAY_9)
    assert code == 0, err
    events = [json.loads(line)["event"] for line in stdout.splitlines()]
    assert events == ["Received", "Acknowledged", "Escalated"]


def test_report_dated_in_the_past_says_open_at_that_moment(store: str) -> None:
    code, stdout, err = _invoke(store, "report", "--as-known-at", FRIDAY_9, "--format", "markdown")
    assert code == 0, err
    assert "Open at 2026-03-06 09:00" in stdout
    assert "Open now" not in stdout
    assert "as recorded by 2026-03-06 09:00" in stdout
    code, stdout, _ = _invoke(store, "report", "--format", "markdown")
    assert "Open now" in stdout


def test_as_of_a_date_is_the_end_of_that_day_in_the_policys_zone(store: str) -> None:
    code, stdout, err = _invoke(
        store, "--json", "report", "--policy", "fca", "--as-of", "2026-07-01"
    )
    assert code == 0, err
    as_of = datetime.fromisoformat(json.loads(stdout)["as_of"])
    expected = datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=ZoneInfo("Europe/London"))
    assert as_of == expected  # 22:59:59.999999 UTC in summer, not 23:59 UTC


def test_formula_text_stays_text_in_csv_and_xlsx(store: str, tmp_path: Path) -> None:
    code, stdout, err = _invoke(store, "export", "--format", "csv")
    assert code == 0, err
    assert stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(stdout.removeprefix("\ufeff"))))
    assert rows[0]["subject"] == '\'=HYPERLINK("http://evil.example","refund")'
    book = tmp_path / "events.xlsx"
    code, _, err = _invoke(store, "export", "--format", "xlsx", "-o", str(book))
    assert code == 0, err
    sheet = load_workbook(book)["events"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    subject = sheet.cell(row=2, column=header.index("subject") + 1)
    assert subject.value == '=HYPERLINK("http://evil.example","refund")'
    assert subject.data_type == "s"


def test_the_html_report_lists_are_complete(tmp_path: Path) -> None:
    """More breaches than the terminal shows (15): the page lists every one."""
    url = f"sqlite:///{tmp_path / 'many.db'}"
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with ComplaintLog(url, clock=lambda: datetime(2026, 6, 1, tzinfo=UTC)) as log:
        for n in range(20):
            log.receive(
                customer={"id": f"C-{n}"},
                channel="web",
                subject="Late parcel",
                description="Nothing came",
                at=start + timedelta(hours=n),
            )
    page = tmp_path / "report.html"
    code, stdout, err = _invoke(url, "--json", "report", "--policy", "fca", "--html", str(page))
    assert code == 0, err
    breaches = json.loads(stdout)["breaches"]
    assert len(breaches) == 20
    html = page.read_text()
    table = html.split('data-table="breaches"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 20  # the header and every breach

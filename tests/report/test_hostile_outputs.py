"""Stored values cannot be turned against the readers of reports and exports: Markdown
escapes them (rendered by Python-Markdown, no tag survives), and CSV cells a spreadsheet
would run as formulas start with an apostrophe (OWASP); the rejects file keeps its rows
verbatim and says so in its header."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import markdown
import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app
from complaintlog.report.spreadsheet import safe_cell

NOW = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


@pytest.fixture
def hostile(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with ComplaintLog(url, clock=lambda: NOW) as log:
        for n, text in enumerate([SCRIPT, *FORMULAS]):
            log.receive(  # never acknowledged: breaching, so listed by reference
                customer={"id": f"C-{n}"},
                channel="web",
                subject=text,
                description=text,
                external_ref=f"{text}-{n}",
                attributes={"product": text},
                at=NOW - timedelta(days=20),
                actor=text,
            )
    return url


def report(url: str, format: str, *more: str) -> str:
    result = CliRunner().invoke(
        app, ["--store", url, "report", "--format", format, "--as-of", NOW.isoformat(), *more]
    )
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_markdown_renders_stored_values_as_text(hostile: str) -> None:
    text = report(hostile, "markdown", "--by", "product")
    assert SCRIPT in text.replace("&lt;", "<").replace("&gt;", ">").replace("\\", "")
    rendered = markdown.markdown(text, extensions=["tables"])
    assert "<script" not in rendered
    assert "&lt;script&gt;alert" in rendered  # shown, as text
    assert '<a href="http://evil' not in rendered


def test_the_escaping_is_needed() -> None:
    """The attack: the same text unescaped in a table cell reaches the HTML."""
    rendered = markdown.markdown(f"| a |\n| --- |\n| {SCRIPT} |", extensions=["tables"])
    assert "<script>" in rendered


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(("=", "+", "@", "-"))]


def test_report_csv_neutralises_formulas(hostile: str) -> None:
    rows = list(csv.reader(io.StringIO(report(hostile, "csv", "--by", "product"))))
    texts = {cell for row in rows for cell in row}
    assert any(cell.startswith("'=HYPERLINK") for cell in texts)
    assert formula_cells(rows) == []


def test_export_csv_neutralises_formulas(hostile: str) -> None:
    result = CliRunner().invoke(app, ["--store", hostile, "export", "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert formula_cells(rows) == []
    actors = {row[rows[0].index("actor")] for row in rows[1:]}
    assert "'@SUM(1+1)" in actors
    subjects = {row[rows[0].index("subject")] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","x")' in subjects
    jsonl = CliRunner().invoke(app, ["--store", hostile, "export"])  # JSON keeps values as is
    assert '"actor":"@SUM(1+1)"' in jsonl.stdout


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-2+3", "'-2+3"),
        ("plain", "plain"),
        (12, 12),
    ],
)
def test_which_cells_are_neutralised(value: object, shown: object) -> None:
    assert safe_cell(value) == shown


def test_rejects_keep_rows_verbatim_and_warn(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("Ticket,Opened\n=HYPERLINK(1),not a date\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[source]\nname = "x"\ntimezone = "UTC"\ndate_formats = ["%Y-%m-%d"]\n'
        'external_ref = "x:{Ticket}"\n[steps]\nreceived = "Opened"\n'
        '[fields]\ncustomer_id = "{Ticket}"\nchannel = "web"\nsubject = "{Ticket}"\n'
        'description = "{Ticket}"\n',
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        app,
        [
            "--store",
            f"sqlite:///{tmp_path / 'r.db'}",
            "import",
            str(source),
            "-m",
            str(mapping),
            "--rejects",
            str(rejects),
        ],
    )
    assert result.exit_code == 3, result.output  # every row rejected (#14)
    with rejects.open(encoding="utf-8", newline="") as handle:
        header, row = list(csv.reader(handle))
    assert "WARNING" in header[1]
    assert "formula" in header[1]
    assert row[2] == "=HYPERLINK(1)"  # as it was

"""The `complaintlog` command through its real entry point, on temporary SQLite stores."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app
from complaintlog.data import CFPB_2013_2017, CFPB_SAMPLE, bundled_csv

COMMANDS = (
    "demo",
    "import",
    "show",
    "export",
    "schema",
    "report",
    "what-if",
    "audit",
    "audit digest",
    "audit verify",
    "rules",
    "rules check",
)
WIDE = {"COLUMNS": "200"}  # a wide terminal: the output must still fit 100 columns


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


def sqlite_store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'complaints.db'}"


def assert_one_line_error(result: Any, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(*command.split(), "--help")
    assert result.exit_code == 0
    assert "Example: complaintlog" in result.stdout


def test_the_module_entry_point_runs_and_fails_cleanly(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "complaintlog.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0
    assert "demo" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "complaintlog.cli", "import", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [f"error: {tmp_path / 'missing.csv'}: no such file"]


def test_import_counts_add_up_and_a_second_import_adds_no_event(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)
    file = str(bundled_csv(CFPB_2013_2017))
    first = run("--store", store, "--json", "import", file)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["rows"] == 3186
    parts = ("imported", "corrected", "duplicate", "rejected")
    assert sum(summary[name] for name in parts) == summary["rows"]
    assert summary["events"] > 3186 * 3
    second = json.loads(run("--store", store, "--json", "import", file).stdout)
    assert (second["duplicate"], second["events"]) == (3186, 0)


def test_import_shows_a_summary_table_that_fits_100_columns(tmp_path: Path) -> None:
    result = run(
        "--store", sqlite_store(tmp_path), "import", str(bundled_csv(CFPB_SAMPLE)), env=WIDE
    )
    assert result.exit_code == 0, result.output
    assert "imported with a correction" in result.stdout
    assert "corrected line 1056" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100


def test_import_writes_rejects_and_names_lines(tmp_path: Path) -> None:
    with bundled_csv(CFPB_SAMPLE).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        rows = [next(reader) for _ in range(4)]
    rows[2] = rows[2][:5]
    source = tmp_path / "few.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    rejects = tmp_path / "rejects.csv"
    result = run(
        "--store", sqlite_store(tmp_path), "import", str(source), "--rejects", str(rejects)
    )
    assert result.exit_code == 0, result.output
    assert "rejected line 3: 5 cells" in result.stdout
    assert rejects.read_text(encoding="utf-8").splitlines()[1].startswith("3,5 cells")


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("a,b\n1,2\n", ("unknown layout", "--mapping")),
        ('{cfpb}\n2020-01-01,"never closed\n', ("bad.csv:2", "malformed CSV")),
    ],
)
def test_import_of_an_unreadable_file_is_one_line(
    tmp_path: Path, content: str, fragments: tuple[str, ...]
) -> None:
    source = tmp_path / "bad.csv"
    header = bundled_csv(CFPB_SAMPLE).read_text(encoding="utf-8").splitlines()[0]
    source.write_text(content.replace("{cfpb}", header), encoding="utf-8")
    result = run("--store", sqlite_store(tmp_path), "import", str(source))
    assert_one_line_error(result, 1, *fragments)


def test_a_bad_mapping_is_one_line(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text("[steps]\nassigned = 'x'\n", encoding="utf-8")
    source = str(bundled_csv(CFPB_SAMPLE))
    result = run("--store", sqlite_store(tmp_path), "import", source, "--mapping", str(mapping))
    assert_one_line_error(result, 1, "m.toml", "steps.received is required")


def test_an_unreachable_store_is_one_line(tmp_path: Path) -> None:
    result = run("--store", f"sqlite:///{tmp_path}/no/such/folder.db", "report")
    assert_one_line_error(result, 1, "does not exist")
    result = run("--store", "mysql://db/x", "report")
    assert_one_line_error(result, 1, "unknown scheme")
    result = run("--store", f"sqlite:///{tmp_path}/empty.db", "report")
    assert_one_line_error(result, 1, "no store at")


def test_the_store_comes_from_the_environment(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)
    run("--store", store, "--quiet", "import", str(bundled_csv(CFPB_SAMPLE)))
    result = run("--json", "show", "cfpb:3790251", env={"COMPLAINTLOG_STORE": store})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["external_ref"] == "cfpb:3790251"


def test_demo_builds_a_store_and_a_report(demo: tuple[str, str]) -> None:
    assert Path(demo.html).stat().st_size > 20_000
    with ComplaintLog(demo.store) as log:
        assert log.find("cfpb:3790251") is not None
        assert log.find("sim:7:1") is not None


def test_show_tells_the_timeline_with_both_times_and_actors(demo: tuple[str, str]) -> None:
    result = run("--store", demo.store, "show", "cfpb:3790251", env=WIDE)
    assert result.exit_code == 0, result.output
    for text in ("Received", "Assigned", "import:cfpb", "simulation", "happened", "recorded"):
        assert text in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    early = json.loads(
        run("--store", demo.store, "--json", "show", "cfpb:3790251", "--as-of", "2020-08-08").stdout
    )
    assert [event["event"] for event in early["events"]] == ["Received"]
    assert early["status"] == "received"


def test_show_of_an_unknown_complaint_is_one_line(demo: tuple[str, str]) -> None:
    assert_one_line_error(run("--store", demo.store, "show", "cfpb:0"), 1, "no complaint 'cfpb:0'")
    assert_one_line_error(run("--store", demo.store, "show", "x", "--as-of", "soon"), 2, "--as-of")


def test_export_streams_every_event_as_jsonl_and_csv(demo: tuple[str, str]) -> None:
    with ComplaintLog(demo.store) as log:
        positions = log.max_position()
    lines = run("--store", demo.store, "export").stdout.splitlines()
    assert len(lines) == positions
    first = json.loads(lines[0])
    assert {"position", "event", "occurred_at", "recorded_at", "actor", "payload"} <= set(first)
    table = list(
        csv.DictReader(io.StringIO(run("--store", demo.store, "export", "-f", "csv").stdout))
    )
    assert len(table) == positions
    assert table[0]["event"] == "Received"


def test_schema_describes_every_event_type() -> None:
    result = run("schema")
    assert result.exit_code == 0
    events = json.loads(result.stdout)["events"]
    assert {"Received", "Acknowledged", "Resolved", "Reopened", "Surveyed", "Withdrawn"} <= set(
        events
    )
    assert "remedy" in events["Resolved"]["properties"]


def test_report_in_every_format(demo: tuple[str, str]) -> None:
    table = run("--store", demo.store, "report", env=WIDE)
    assert table.exit_code == 0, table.output
    for title in ("Current state", "SLA clocks", "Breaching now", "Statistics per month"):
        assert title in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 100
    data = json.loads(
        run("--store", demo.store, "report", "--format", "json", "--policy", "fca").stdout
    )
    assert data["policy"] == "fca"
    assert data["complaints"] == data["headline"]["complaints"] > 1000
    assert [row["target"] for row in data["informational"]] == ["summary_resolution"]
    assert {row["target"] for row in data["breaches"]} <= {"final_response", "promise"}
    csv_text = run("--store", demo.store, "report", "-f", "csv", "--by", "channel").stdout
    assert csv_text.startswith("section,key,subkey,value")
    markdown = run(
        "--store", demo.store, "report", "-f", "markdown", "--as-of", "2019-12-31"
    ).stdout
    assert markdown.startswith("# Complaint handling as of 2019-12-31")
    assert "## Statistics per month" in markdown


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter", "year"])
def test_report_per_period_fits_100_columns(demo: tuple[str, str], period: str) -> None:
    result = run("--store", demo.store, "report", "--period", period, "--by", "team", env=WIDE)
    assert result.exit_code == 0, result.output
    assert f"Statistics per {period}" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--format", "xml"), "--format 'xml'"),
        (("--policy", "nope"), "known presets"),
        (("--period", "decade"), "--period"),
        (("--by", "mood"), "--by"),
        (("--since", "last spring"), "--since"),
    ],
)
def test_report_refuses_bad_options_in_one_line(
    demo: tuple[str, str], args: tuple[str, ...], fragment: str
) -> None:
    assert_one_line_error(run("--store", demo.store, "report", *args), 2, fragment)


def test_what_if_compares_two_policies(demo: tuple[str, str]) -> None:
    result = run("--store", demo.store, "--json", "what-if", "--policy", "fca", "--against", "cfpb")
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    both = set(diff["under_both"])
    assert diff["breaching_under_policy"] == len(both) + len(diff["only_under_policy"])
    assert diff["breaching_under_against"] == len(both) + len(diff["only_under_against"])


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    result = run(
        "--store", sqlite_store(tmp_path), "--quiet", "import", str(bundled_csv(CFPB_SAMPLE))
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""

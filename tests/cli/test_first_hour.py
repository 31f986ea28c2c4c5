"""Issue #14: the command line as a newcomer meets it on their own data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from complaintlog.cli import app
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


DATA = ROOT / "tests" / "importing" / "data"


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _store(tmp_path: Path) -> tuple[str, Path]:
    file = tmp_path / "complaints.db"
    return f"sqlite:///{file}", file


@pytest.mark.parametrize(
    ("mapping_text", "fragment"),
    [
        (None, "no such file"),
        ("[steps]\nassigned = 'x'\n", "steps.received is required"),
        ("[steps]\nreceived = 'Nope'\n", "no column 'Nope'"),
    ],
)
def test_a_command_failing_before_any_write_leaves_no_store_file(
    tmp_path: Path, mapping_text: str | None, fragment: str
) -> None:
    url, _ = _store(tmp_path)
    mapping = tmp_path / "m.toml"
    if mapping_text is not None:
        mapping.write_text(mapping_text, encoding="utf-8")
    result = run("--store", url, "import", str(DATA / "city.csv"), "--mapping", str(mapping))
    assert result.exit_code == 1, result.output
    assert fragment in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == (["m.toml"] if mapping_text else [])


def test_an_unknown_layout_leaves_no_store_file(tmp_path: Path) -> None:
    url, file = _store(tmp_path)
    result = run("--store", url, "import", str(DATA / "city.csv"))
    assert result.exit_code == 1
    assert not file.exists()


def test_an_import_that_rejects_every_row_exits_3(tmp_path: Path) -> None:
    url, _ = _store(tmp_path)
    source = tmp_path / "bad.csv"
    rows = (DATA / "city.csv").read_text(encoding="utf-8").splitlines()
    source.write_text(
        "\n".join([rows[0], *(row.replace("2013", "x013", 1) for row in rows[1:])]) + "\n",
        encoding="utf-8",
    )
    result = run("--store", url, "import", str(source), "--mapping", str(DATA / "city.toml"))
    assert result.exit_code == 3, result.output
    assert "4 of 4 rows rejected" in result.stderr


def test_strict_makes_any_rejected_row_a_failure(tmp_path: Path) -> None:
    url, _ = _store(tmp_path)
    args = ("import", str(DATA / "acme.csv"), "--mapping", str(DATA / "acme.toml"))
    assert run("--store", url, *args).exit_code == 0  # two rows rejected, four recorded
    url2, _ = _store(tmp_path / "second")
    (tmp_path / "second").mkdir()
    result = run("--store", url2, *args, "--strict")
    assert result.exit_code == 3, result.output
    assert "2 of 7 rows rejected (--strict)" in result.stderr


def test_the_import_summary_names_the_events_the_export_lists(tmp_path: Path) -> None:
    url, _ = _store(tmp_path)
    result = run(
        "--store",
        url,
        "--json",
        "import",
        str(DATA / "city.csv"),
        "--mapping",
        str(DATA / "city.toml"),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    exported = run("--store", url, "export").stdout.strip().splitlines()
    assert summary["events_in_store"] == len(exported)
    assert summary["events"] + summary["index_events"] == len(exported)


def test_show_wraps_a_long_attribute_instead_of_cutting_it(tmp_path: Path) -> None:
    url, _ = _store(tmp_path)
    source = tmp_path / "long.csv"
    note = " ".join(f"word{i}" for i in range(150))  # about 1,200 characters
    rows = (DATA / "city.csv").read_text(encoding="utf-8").splitlines()
    source.write_text(f"{rows[0]}\n{rows[1].removesuffix(',3')},{note}\n", encoding="utf-8")
    imported = run("--store", url, "import", str(source), "--mapping", str(DATA / "city.toml"))
    assert imported.exit_code == 0, imported.output
    shown = run("--store", url, "show", "city:R-1")
    assert shown.exit_code == 0, shown.output
    text = "".join(ch for ch in shown.stdout if ch.isalnum() or ch == " ")
    assert "word149" in text
    assert "..." not in shown.stdout

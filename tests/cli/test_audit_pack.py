"""The audit pack checks with the standard library alone, and fails on any changed byte."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaintlog.cli import app

from .conftest import Demo
from .test_digest_journal import copy_of, keyed_env

runner = CliRunner()


def _invoke(store: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store", store, *args])
    return result.exit_code, result.stdout, result.stderr


def _verify(folder: Path) -> subprocess.CompletedProcess[str]:
    """`python -I -S verify.py`: isolated, no site-packages, so no complaintlog at all."""
    return subprocess.run(
        [sys.executable, "-I", "-S", "verify.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def pack(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed checkpoint of (a copy of) the demo store, then the pack with it."""
    folder = tmp_path_factory.mktemp("pack")
    store = copy_of(demo, folder / "copy.db")
    env = keyed_env(folder)
    journal = folder / "journal.jsonl"
    result = runner.invoke(
        app,
        ["--store", store, "audit", "checkpoint", "--journal", str(journal), "--adopt-unsealed"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    out = folder / "pack.zip"
    result = runner.invoke(
        app,
        ["--store", store, "audit", "pack", "--out", str(out), "--journal", str(journal)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    stdout = result.stdout
    assert "manifest SHA-256" in stdout
    return out


def _unzip(pack: Path, into: Path) -> Path:
    with zipfile.ZipFile(pack) as archive:
        archive.extractall(into)
    return into


def test_the_verifier_imports_only_the_standard_library(pack: Path, tmp_path: Path) -> None:
    source = (_unzip(pack, tmp_path) / "verify.py").read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_an_untouched_pack_verifies_without_complaintlog(pack: Path, tmp_path: Path) -> None:
    folder = _unzip(pack, tmp_path)
    result = _verify(folder)
    assert result.returncode == 0, result.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    records = (folder / "log.jsonl").read_text().splitlines()
    complaints = {
        json.loads(line)["originator_id"]
        for line in records
        if json.loads(line)["topic"].startswith("complaintlog.domain.complaint:")
    }
    assert f"{len(complaints)} complaints chain correctly" in result.stdout
    assert f"{len(records)} records give the head digest {manifest['head']}" in result.stdout
    assert "1 kept checkpoints hold" in result.stdout
    assert (folder / "digest.txt").read_text().strip() == manifest["head"]


@pytest.mark.parametrize(
    "name",
    [
        "log.jsonl",
        "report.json",
        "report.html",
        "schemas.json",
        "checkpoints.jsonl",
        "digest.txt",
        "README.txt",
        "verify.py",
        "manifest.json",
    ],
)
def test_one_changed_byte_in_any_file_fails_naming_it(
    pack: Path, tmp_path: Path, name: str
) -> None:
    folder = _unzip(pack, tmp_path)
    path = folder / name
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] = ord("#") if data[middle] != ord("#") else ord("%")
    path.write_bytes(bytes(data))
    if name == "verify.py":  # an edited verifier cannot be trusted to run: check it apart
        shutil.copy(_unzip(pack, tmp_path / "clean") / "verify.py", folder / "verify.py")
        digest = hashlib.sha256(bytes(data)).hexdigest()
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["files"]["verify.py"] != digest
        return
    result = _verify(folder)
    assert result.returncode == 1
    assert result.stdout.startswith(f"FAIL: {name}"), result.stdout


def _rewrite_manifest(folder: Path) -> None:
    """A forger who also fixes the manifest: only the chains and digests catch it now."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    data = json.dumps(manifest).encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sha256").write_text(hashlib.sha256(data).hexdigest() + "  manifest.json\n")


def test_an_edited_event_with_a_fixed_manifest_fails_at_its_position(
    pack: Path, tmp_path: Path
) -> None:
    folder = _unzip(pack, tmp_path)
    lines = (folder / "log.jsonl").read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "Complaint.Resolved" in line)
    record = json.loads(lines[index])
    record["state"] = record["state"].replace('"remedy":"', '"remedy":"x', 1)
    lines[index] = json.dumps(record)
    (folder / "log.jsonl").write_text("\n".join(lines) + "\n")
    _rewrite_manifest(folder)
    result = _verify(folder)
    assert result.returncode == 1
    assert f"(position {record['position']})" in result.stdout
    assert "chain does not hold" in result.stdout


def test_a_consistently_rechained_log_still_fails_on_the_head(pack: Path, tmp_path: Path) -> None:
    """Dropping the last record and fixing everything else: the kept head names it."""
    folder = _unzip(pack, tmp_path)
    lines = (folder / "log.jsonl").read_text().splitlines()
    (folder / "log.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    _rewrite_manifest(folder)
    result = _verify(folder)
    assert result.returncode == 1
    assert "head digest differs" in result.stdout or "checkpoint" in result.stdout


def test_a_window_holds_whole_histories_of_its_complaints_only(demo: Demo, tmp_path: Path) -> None:
    code, export, err = _invoke(demo.store, "export", "--format", "jsonl")
    assert code == 0, err
    events = [json.loads(line) for line in export.splitlines()]
    since, until = (
        datetime.fromisoformat("2020-09-01T00:00+00:00"),
        datetime.fromisoformat("2020-09-30T23:59:59.999999+00:00"),
    )
    expected = {
        e["aggregate_id"]
        for e in events
        if e["aggregate"].endswith("Complaint")
        and since <= datetime.fromisoformat(e["occurred_at"]) <= until
    }
    assert expected
    out = tmp_path / "window.zip"
    code, _, err = _invoke(
        demo.store,
        "--quiet",
        "audit",
        "pack",
        "--out",
        str(out),
        "--since",
        "2020-09-01",
        "--until",
        "2020-09-30",
    )
    assert code == 0, err
    folder = _unzip(out, tmp_path / "window")
    records = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    whole = {r["originator_id"] for r in records if "state" in r and "Complaint." in r["topic"]}
    assert whole == expected
    assert len(records) == len(events)
    result = _verify(folder)
    assert result.returncode == 0, result.stdout
    assert f"of {len(expected)} complaints chain correctly" in result.stdout

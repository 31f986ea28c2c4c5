"""`audit checkpoint --publish`: the signed head also goes to a broker subject, where a
database administrator who rewrites the log and the checkpoint file cannot reach it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app

from .conftest import delete_stream, stream_messages

pytestmark = pytest.mark.nats

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def stream(nats_url: str) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:10]
    name, prefix = f"C{tag}", f"c{tag}"
    yield name, prefix
    delete_stream(nats_url, name)


def test_a_checkpoint_is_published_as_written_to_the_journal(
    tmp_path: Path, nats_url: str, stream: tuple[str, str]
) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text(run("audit", "new-key").stdout)
    env = {"COMPLAINTLOG_AUDIT_KEY_FILE": str(key_file)}
    url = f"sqlite:///{tmp_path / 'keyed.db'}"
    with ComplaintLog(url, env=env, clock=lambda: T0 + timedelta(days=1)) as log:
        cid = log.receive(customer={"id": "C-1"}, channel="web", subject="s", description="d")
        log.acknowledge(cid)
    journal = tmp_path / "checkpoints.jsonl"
    name, prefix = stream
    made = run(
        *("--store", url, "audit", "checkpoint", "-o", str(journal)),
        *("--publish", nats_url, "--stream", name, "--subject-prefix", prefix),
        env=env,
    )
    assert made.exit_code == 0, made.output
    ((headers, body),) = stream_messages(nats_url, name)
    (line,) = journal.read_text().splitlines()
    assert json.loads(body) == json.loads(line)
    assert headers["Nats-Msg-Id"] == f"checkpoint-{json.loads(line)['head']}"
    # the published copy checks the log as the file does
    (tmp_path / "from_broker.jsonl").write_bytes(body + b"\n")
    checked = run(
        *("--store", url, "audit", "verify", "--against", str(tmp_path / "from_broker.jsonl")),
        env=env,
    )
    assert checked.exit_code == 0, checked.output


def test_an_unreachable_broker_is_one_clear_line(tmp_path: Path) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text(run("audit", "new-key").stdout)
    env = {"COMPLAINTLOG_AUDIT_KEY_FILE": str(key_file)}
    url = f"sqlite:///{tmp_path / 'keyed.db'}"
    with ComplaintLog(url, env=env) as log:
        log.receive(customer={"id": "C-1"}, channel="web", subject="s", description="d")
    made = run(
        *("--store", url, "audit", "checkpoint", "-o", str(tmp_path / "c.jsonl")),
        *("--publish", "nats://127.0.0.1:1", "--stream", "S"),
        env=env,
    )
    assert made.exit_code != 0
    assert "Traceback" not in made.output
    assert "127.0.0.1:1" in made.output

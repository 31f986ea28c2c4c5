"""`complaintlog erase` and `complaintlog review`, under an authorisation policy file."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app

from .conftest import Demo
from .test_digest_journal import copy_of

runner = CliRunner()


def _invoke(store: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store", store, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """The shipped example policy: agent.ana is an agent, manager.omar a manager,
    audit.kim an auditor."""
    path = tmp_path / "policy.toml"
    path.write_text(
        (files("complaintlog.application.authorization") / "example_policy.toml").read_text()
    )
    return path


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'people.db'}"
    with ComplaintLog(url) as log:
        for n, customer in enumerate(("C-1", "C-1", "C-2")):
            cid = log.receive(
                customer={"id": customer, "name": f"Ana Lima {n}", "email": "ana@example.org"},
                channel="email",
                subject="Refund",
                description=f"My order {n} never came",
                personal_fields=("description",),
                external_ref=f"CRM-{n}",
            )
            log.acknowledge(cid)
    return url


def _export(url: str) -> list[dict[str, object]]:
    code, stdout, err = _invoke(url, "export")
    assert code == 0, err
    return [json.loads(line) for line in stdout.splitlines()]


def test_erase_needs_a_policy_that_allows_it(store: str, policy: Path) -> None:
    before = _export(store)
    code, _, err = _invoke(store, "erase", "C-1", "--reason", "GDPR 17", "--actor", "x")
    assert code == 2
    assert "--authorization" in err
    code, _, err = _invoke(
        store,
        "erase",
        "C-1",
        "--reason",
        "GDPR 17",
        "--actor",
        "agent.ana",
        "--authorization",
        str(policy),
    )
    assert code == 1
    assert err.startswith("error: ")
    assert "erase_personal_data" in err
    assert len(_export(store)) == len(before) + 1  # only the refusal, as an access attempt


def test_erase_by_a_manager_shreds_every_complaint_of_the_customer(
    store: str, policy: Path
) -> None:
    before = _export(store)
    theirs = {
        r["aggregate_id"]
        for r in before
        if r["event"] == "Received" and r["payload"]["customer"]["id"] == "C-1"  # type: ignore[index]
    }
    assert len(theirs) == 2
    code, stdout, err = _invoke(
        store,
        "--json",
        "erase",
        "C-1",
        "--reason",
        "GDPR art. 17, request 114",
        "--actor",
        "manager.omar",
        "--authorization",
        str(policy),
    )
    assert code == 0, err
    assert set(json.loads(stdout)["recorded"]) == theirs
    after = _export(store)
    erased = [r for r in after if r["event"] == "PersonalDataErased"]
    assert {r["aggregate_id"] for r in erased} == theirs
    assert all(r["actor"] == "manager.omar" for r in erased)
    for record in after:
        if record["event"] == "Received" and record["aggregate_id"] in theirs:
            assert record["payload"]["customer"]["name"] is None  # type: ignore[index]
            assert record["payload"]["description"] == "[erased]"  # type: ignore[index]
    code, _, err = _invoke(store, "audit", "verify")
    assert code == 0, err


def test_review_notes_and_sign_off_are_events_outside_the_handling(
    store: str, policy: Path
) -> None:
    code, before, _ = _invoke(store, "--json", "show", "CRM-0")
    code, _, err = _invoke(
        store,
        "review",
        "note",
        "CRM-0",
        "--note",
        "delay letter missing",
        "--actor",
        "agent.ana",
        "--authorization",
        str(policy),
    )
    assert code == 1  # agents do not review
    assert "note_review" in err
    for args in (
        ("note", "CRM-0", "--note", "delay letter missing"),
        ("sign-off", "CRM-0", "--note", "file complete"),
    ):
        code, _, err = _invoke(
            store, "review", *args, "--actor", "audit.kim", "--authorization", str(policy)
        )
        assert code == 0, err
    code, after, _ = _invoke(store, "--json", "show", "CRM-0")
    shown = json.loads(after)
    assert shown["status"] == json.loads(before)["status"] == "acknowledged"
    assert [e["event"] for e in shown["events"]][-2:] == ["ReviewNoted", "SignedOff"]
    code, stdout, err = _invoke(store, "--json", "file", "CRM-0", "--policy", "fca")
    assert code == 0, err
    reviews = json.loads(stdout)["reviews"]
    assert [(r["event"], r["actor"], r["note"]) for r in reviews] == [
        ("ReviewNoted", "audit.kim", "delay letter missing"),
        ("SignedOff", "audit.kim", "file complete"),
    ]
    code, _, err = _invoke(store, "audit", "verify")
    assert code == 0, err


def test_erasure_on_the_demo_store(demo: Demo, policy: Path, tmp_path: Path) -> None:
    """A simulated customer of the demo store: their name is sealed, then shredded."""
    url = copy_of(demo, tmp_path / "demo-copy.db")
    before = _export(url)
    named = [
        r
        for r in before
        if r["event"] == "Received" and r["payload"]["customer"]["name"]  # type: ignore[index]
    ]
    customer = named[0]["payload"]["customer"]["id"]  # type: ignore[index]
    theirs = {
        r["aggregate_id"]
        for r in before
        if r["event"] == "Received" and r["payload"]["customer"]["id"] == customer  # type: ignore[index]
    }
    code, stdout, err = _invoke(
        url,
        "--json",
        "erase",
        str(customer),
        "--reason",
        "request 7",
        "--actor",
        "manager.omar",
        "--authorization",
        str(policy),
    )
    assert code == 0, err
    assert set(json.loads(stdout)["recorded"]) == theirs
    for record in _export(url):
        if record["event"] == "Received" and record["aggregate_id"] in theirs:
            assert record["payload"]["customer"]["name"] is None  # type: ignore[index]
            assert record["payload"]["customer"]["erased"] is True  # type: ignore[index]
    code, _, err = _invoke(url, "audit", "verify")
    assert code == 0, err

"""Rows stored by complaintlog 0.1.0 replay through today's code into the same views.

The fixture (``fixtures/stored_events_v0_1_0.json``) holds the raw ``stored_events`` rows a
SQLite store written by 0.1.0 contained, and the views, histories and head digest that code
showed for them (see ``write_fixture_v0_1_0.py``). Since then ``Received`` gained
``personal`` (v2: personal data sealed) and ``Paused`` gained ``waiting_for`` (v2); with
the agenda (#15) ``Acknowledged`` gained ``regret`` and ``thanks``, ``PromiseMade``
``alongside``, ``CustomerInformed`` ``promise_id`` and ``Resolved`` ``options_offered`` and
``chosen`` (all v2). Their upcasters turn the v1 rows into today's events.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from complaintlog import ComplaintLog, WaitingFor
from complaintlog.audit import head_digest, verify

HERE = Path(__file__).parent
FIXTURE = json.loads((HERE / "fixtures" / "stored_events_v0_1_0.json").read_text("utf-8"))
CLOCK = datetime.fromisoformat(FIXTURE["written_by"]["clock"])


def _writer() -> Any:
    spec = importlib.util.spec_from_file_location("write_fixture", HERE / "write_fixture_v0_1_0.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


to_json = _writer().to_json


def _rows() -> list[tuple[int, str, int, str, bytes]]:
    return [
        (
            row["position"],
            row["originator_id"],
            row["originator_version"],
            row["topic"],
            base64.b64decode(row["state_b64"]),
        )
        for row in FIXTURE["rows"]
    ]


def load_into_sqlite(path: Path) -> None:
    """Put the old rows into a fresh SQLite store with plain SQL, positions and all."""
    ComplaintLog(f"sqlite:///{path}").close()  # today's code creates the tables
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            _rows(),
        )
        # 0.1.0 had no customer index: opening its store must build one from the log
        conn.execute("DROP TABLE complaintlog_customer_complaints")
    conn.close()


def load_through_recorder(log: ComplaintLog) -> None:
    """Put the old rows into any store through its recorder, in their recorded order."""
    for _, originator_id, version, topic, state in _rows():
        log.recorder.insert_events([StoredEvent(UUID(originator_id), version, topic, state)])


@pytest.fixture
def old_store(tmp_path: Path) -> Iterator[ComplaintLog]:
    path = tmp_path / "written-by-0.1.0.db"
    load_into_sqlite(path)
    with ComplaintLog(f"sqlite:///{path}", clock=lambda: CLOCK) as log:
        yield log


def test_the_fixture_was_written_by_the_earlier_version() -> None:
    written_by = FIXTURE["written_by"]
    assert written_by["complaintlog"] == "0.1.0"
    assert written_by["core_changes_since_commit"] == "none"
    states = [json.loads(base64.b64decode(r["state_b64"])) for r in FIXTURE["rows"]]
    received = [s for r, s in zip(FIXTURE["rows"], states, strict=True) if "Received" in r["topic"]]
    paused = [s for r, s in zip(FIXTURE["rows"], states, strict=True) if "Paused" in r["topic"]]
    assert received
    assert paused
    assert all("personal" not in s and "class_version" not in s for s in received)
    assert all("waiting_for" not in s and "class_version" not in s for s in paused)
    assert any(s["customer"].get("email") == "ana.lima@example.org" for s in received)


ADDED_TO_RESOLUTIONS = {"options_offered": [], "chosen": None}
"""What the views' resolutions gained since 0.1.0, as an old resolution shows it."""


def _then_today(then: dict[str, Any]) -> dict[str, Any]:
    """A view 0.1.0 wrote, with what its resolutions gained since filled as upcast."""
    resolutions = [{**r, **ADDED_TO_RESOLUTIONS} for r in then["resolutions"]]
    return {**then, "resolutions": resolutions}


def test_old_rows_replay_into_the_views_of_their_time(old_store: ComplaintLog) -> None:
    for complaint_id in FIXTURE["complaints"]:
        then = _then_today(FIXTURE["views"][complaint_id])
        now = to_json(old_store.get(UUID(complaint_id)))
        for resolution in now["resolutions"]:  # added since 0.1.0: unknown for old ones
            assert resolution.pop("upheld") is None
        assert {k: now[k] for k in then} == then
        assert now["regret_expressed"] is None
        assert now["thanked"] is None
        assert now["personal_fields"] == []
        assert now["personal_data_erased_at"] is None
        assert now["tenant"] == "default"


UPCAST_SINCE_0_1_0: dict[str, dict[str, Any]] = {
    "Acknowledged": {"regret": None, "thanks": None},
    "PromiseMade": {"alongside": False, "delay_reason": None},
    "CustomerInformed": {"promise_id": None},
    "Resolved": {"upheld": None, "options_offered": [], "chosen": None},
}
"""The fields events gained with the agenda (#15) and the holding reply (#14), as their
upcasters fill them."""


def test_old_rows_replay_into_the_histories_of_their_time(old_store: ComplaintLog) -> None:
    for complaint_id in FIXTURE["complaints"]:
        then = FIXTURE["histories"][complaint_id]
        now = to_json(old_store.history(UUID(complaint_id)))
        assert len(now) == len(then)
        for old_entry, entry in zip(then, now, strict=True):
            old_payload = old_entry.pop("payload")
            payload = entry.pop("payload")
            assert entry == old_entry
            assert {k: payload[k] for k in old_payload} == old_payload
            added = set(payload) - set(old_payload)
            if entry["event"] == "Received":
                assert added == {"personal", "tenant"}
                assert payload["personal"] == []
                assert payload["tenant"] == "default"  # one store served one tenant then
            elif entry["event"] == "Paused":
                assert added == {"waiting_for"}
                assert payload["waiting_for"] == "customer"
            elif entry["event"] in UPCAST_SINCE_0_1_0:
                assert {k: payload[k] for k in added} == UPCAST_SINCE_0_1_0[entry["event"]]
            else:
                assert not added


def test_old_pauses_read_as_waiting_for_the_customer(old_store: ComplaintLog) -> None:
    still_paused = old_store.get(UUID(FIXTURE["complaints"][-1]))
    assert still_paused.waiting_for is WaitingFor.CUSTOMER
    assert still_paused.pause_history[-1].ended_at is None
    first = old_store.get(UUID(FIXTURE["complaints"][0]))
    assert [p.waiting_for for p in first.pause_history] == [WaitingFor.CUSTOMER]
    assert [(p.started_at, p.ended_at) for p in first.pause_history] == list(first.pauses)


def test_old_rows_verify_against_the_head_kept_by_the_earlier_version(
    old_store: ComplaintLog,
) -> None:
    report = verify(old_store, expected_head=FIXTURE["head"])
    assert report.ok, report.problems
    assert head_digest(old_store) == FIXTURE["head"]


def test_today_continues_an_old_history_and_its_chain(old_store: ComplaintLog) -> None:
    complaint_id = UUID(FIXTURE["complaints"][-1])
    at = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
    old_store.resume(complaint_id, note="Photos arrived", at=at)
    old_store.pause(complaint_id, reason="Supplier checks the photos", waiting_for="third_party")
    view = old_store.get(complaint_id)
    assert [p.waiting_for for p in view.pause_history] == ["customer", "third_party"]
    assert verify(old_store, expected_head=FIXTURE["head"]).ok


def test_erasing_an_old_customer_reports_the_data_still_stored_in_plain(
    old_store: ComplaintLog,
) -> None:
    """0.1.0 stored personal data in plain: erasure hides it, and says it is still there."""
    erasure = old_store.erase_personal_data(
        "C-1001", reason="GDPR art. 17 request", at=CLOCK - timedelta(minutes=1)
    )
    assert len(erasure.complaints) == 2
    assert set(erasure.stored_in_plain) == set(erasure.complaints) == set(erasure.recorded)
    assert erasure.keys_destroyed == 0
    for complaint_id in erasure.complaints:
        for view in (
            old_store.get(complaint_id),
            old_store.get(complaint_id, as_of=old_store.get(complaint_id).received_at),
            next(iter(old_store.steps(complaint_id))).command.arguments,
        ):
            customer = view.customer if not isinstance(view, dict) else view["customer"]
            assert customer.erased
            assert customer.name is None
        received = old_store.history(complaint_id)[0].payload["customer"]
        assert received == {
            "id": "C-1001",
            "name": None,
            "email": None,
            "phone": None,
            "address": None,
            "erased": True,
        }
    exported = [old_store.event_state(n) for n in old_store.notifications()]
    assert not any("Ana Lima" in str(state) for state in exported)
    assert verify(old_store, expected_head=FIXTURE["head"]).ok


@pytest.mark.parametrize(
    "store", ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_old_rows_replay_on_every_store(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = {
        "memory": "memory://",
        "sqlite": f"sqlite:///{tmp_path / 'c.db'}",
    }.get(store) or str(request.getfixturevalue("postgres_schema_url"))
    with ComplaintLog(url, clock=lambda: CLOCK) as log:
        load_through_recorder(log)
        for complaint_id in FIXTURE["complaints"]:
            then = _then_today(FIXTURE["views"][complaint_id])
            now = to_json(log.get(UUID(complaint_id)))
            for resolution in now["resolutions"]:  # added since 0.1.0: unknown for old ones
                assert resolution.pop("upheld") is None
            assert {k: now[k] for k in then} == then
        assert verify(log, expected_head=FIXTURE["head"]).ok


def test_a_retry_of_a_receive_recorded_by_the_earlier_version_finds_its_complaint(
    old_store: ComplaintLog,
) -> None:
    """0.1.0's retry fingerprint covered the personal data; today's leaves it out."""
    retried = old_store.receive(
        customer={
            "id": "C-1001",
            "name": "Ana Lima",
            "email": "ana.lima@example.org",
            "phone": "+351 912 345 678",
            "address": "Rua das Flores 12\n4050-262 Porto",
        },
        channel="phone",
        subject="Broadband outage",
        description="No internet for three days; I work from home.",
        category={"dimension": "reliability", "cause": "product_quality", "product": "Broadband"},
        severity="high",
        desired_outcome="A refund for the days without service",
        external_ref="CRM-2025-0001",
        attributes={"source": "call centre", "queue": "priority"},
        idempotency_key="crm-call-88121",
    )
    assert retried == UUID(FIXTURE["complaints"][0])
    assert old_store.max_position() == len(FIXTURE["rows"])


def test_the_export_lifts_old_records_to_the_schema_of_today(old_store: ComplaintLog) -> None:
    """Every exported record has every field its JSON Schema names; old resolutions read
    ``upheld: null`` (unknown)."""
    from typer.testing import CliRunner

    from complaintlog.cli import app

    url = f"sqlite:///{old_store.settings.sqlite_path}"
    result = CliRunner().invoke(app, ["--store", url, "export"])
    assert result.exit_code == 0, result.output
    schemas = json.loads(CliRunner().invoke(app, ["schema"]).stdout)["events"]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    resolved = [r for r in records if r["event"] == "Resolved"]
    assert resolved
    assert all(r["payload"]["upheld"] is None for r in resolved)
    for record in records:
        if record["aggregate"] != "Complaint":
            continue
        required = set(schemas[record["event"]].get("required", ()))
        envelope = {"occurred_at", "timestamp", "actor", "originator_id", "originator_version"}
        envelope |= {"originator_topic"}
        assert required - envelope <= set(record["payload"]), record["event"]


def test_projections_see_old_events_through_the_upcasters(old_store: ComplaintLog) -> None:
    """Issue #14: the views read stored JSON directly; an old version reaches them lifted,
    exactly as the aggregate sees it."""
    from complaintlog.projections._framework.reader import LogReader

    reader = LogReader(old_store)
    try:
        events = reader.read(0, 10_000)
    finally:
        reader.close()
    pauses = [state for _, _, kind, _, state in events if kind == "Paused"]
    received = [state for _, _, kind, _, state in events if kind == "Received"]
    assert pauses
    assert received
    assert all(state["waiting_for"] == WaitingFor.CUSTOMER.value for state in pauses)
    assert all("personal" in state for state in received)
    assert not any("class_version" in state for _, _, _, _, state in events)

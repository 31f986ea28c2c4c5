"""An intruder with write access to the database, but not the audit key, tries to change
history so that ``verify`` still passes.

Each test first shows the attack working against plain SHA-256 chains (no audit key, no
checkpoint), then shows the seal or a signed checkpoint finding it. Tampering is plain SQL
on the real SQLite and PostgreSQL tables (tests/audit/conftest.py).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from complaintlog import ComplaintLog
from complaintlog.application.checkpoints import sign_checkpoint
from complaintlog.audit import (
    AuditKey,
    checkpoint,
    new_audit_key,
    read_checkpoints,
    verify,
    write_checkpoint,
)
from complaintlog.domain.chain import content_of, link
from complaintlog.errors import HistoryAlteredError, StoreConfigurationError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = os.urandom(32)
RESOLVED = "complaintlog.domain.complaint:Complaint.Resolved"

Keyed = tuple[ComplaintLog, Any]
Tamper = Any  # the tool of tests/audit/conftest.py


@pytest.fixture
def keyed(
    audited_url: str, tamper_with: Callable[[ComplaintLog], Tamper], fill_log: Any
) -> Iterator[Keyed]:
    """The usual three complaints, written with the audit key."""
    log = ComplaintLog(audited_url, clock=lambda: T0 + timedelta(days=1), audit_key=SECRET)
    fill_log(log)
    tamper = tamper_with(log)
    yield log, tamper
    tamper.close()
    log.close()


def kinds(report: Any) -> list[tuple[int, str]]:
    return [(p.position, p.kind) for p in report.problems]


def forge_resolution(log: ComplaintLog, tamper: Tamper, amount: str) -> tuple[UUID, int]:
    """A new complaint, acknowledged through the application; then a Resolved with a large
    compensation appended with SQL, its SHA-256 chain computed exactly as the code does."""
    complaint_id = log.receive(
        customer={"id": "C-9"}, channel="web", subject="Fee", description="Fee", at=T0
    )
    log.acknowledge(complaint_id, at=T0 + timedelta(minutes=1))
    (last_state,) = tamper.run(
        "SELECT state FROM TABLE WHERE originator_id = ? AND originator_version = 2",
        complaint_id.hex if tamper.kind == "sqlite" else complaint_id,
    )[0]
    previous = orjson.loads(bytes(last_state))["chain"]
    (genuine,) = tamper.run("SELECT state FROM TABLE WHERE POS = ?", 4)[0]  # a Resolved
    state = orjson.loads(bytes(genuine))
    state.pop("seal", None)  # the intruder cannot make one
    state["compensation"] = {"amount": amount, "currency": "USD"}
    state["chain"] = link(previous, RESOLVED, complaint_id, 3, content_of(state))
    tamper.run(
        "INSERT INTO TABLE (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
        complaint_id.hex if tamper.kind == "sqlite" else complaint_id,
        3,
        RESOLVED,
        orjson.dumps(state),
    )
    return complaint_id, log.max_position()


def test_a_forged_resolution_with_a_recomputed_chain(
    filled: tuple[ComplaintLog, Tamper], audited_url: str
) -> None:
    log, tamper = filled
    kept = verify(log).head
    complaint_id, position = forge_resolution(log, tamper, "250000.00")
    # the attack: the log reads the forgery, and plain chains and the kept head pass it
    compensation = log.get(complaint_id).resolutions[-1].compensation
    assert compensation is not None
    assert compensation.amount == Decimal("250000.00")
    assert verify(log).ok
    assert verify(log, expected_head=kept).ok
    # with the audit key, the record has no seal
    with ComplaintLog(audited_url, audit_key=SECRET) as keyed_log:
        assert kinds(verify(keyed_log)) == [(p, "unsealed") for p in range(1, position + 1)]


def test_a_forged_resolution_in_a_sealed_log_is_found(keyed: Keyed) -> None:
    log, tamper = keyed
    _, position = forge_resolution(log, tamper, "250000.00")
    report = verify(log)
    assert report.sealed
    assert kinds(report) == [(position, "unsealed")]
    assert str(report.first).startswith(f"position {position}, complaint ")


def test_a_copied_seal_does_not_fit_another_record(keyed: Keyed) -> None:
    log, tamper = keyed
    resolved = tamper.state(8)  # complaint 1's Resolved, with its own seal
    tamper.set_state(4, resolved)  # over complaint 0's Resolved
    assert kinds(verify(log)) == [(4, "bad-seal"), (4, "edited")]


def test_an_edited_schema_version_is_found(keyed: Keyed, audited_url: str) -> None:
    log, tamper = keyed
    state = tamper.state(1)
    assert b'"class_version":3' in state
    tamper.set_state(1, state.replace(b'"class_version":3', b'"class_version":1'))
    # the attack: class_version is outside the chain and drives the upcasters
    with ComplaintLog(audited_url) as plain:
        assert verify(plain).ok
    assert kinds(verify(log)) == [(1, "bad-seal")]


def test_an_edited_reference_index_is_found(keyed: Keyed, audited_url: str) -> None:
    log, tamper = keyed
    tamper.set_state(2, tamper.state(2).replace(b"CRM-0", b"CRM-9"))
    with ComplaintLog(audited_url) as plain:
        assert verify(plain).ok  # the attack: an index has no chain
    assert kinds(verify(log)) == [(2, "bad-seal")]


def test_the_first_bad_position_comes_first(keyed: Keyed) -> None:
    log, tamper = keyed
    tamper.set_state(11, tamper.state(11).replace(b"Invoice", b"Invoicf"))
    tamper.set_state(3, tamper.state(3).replace(b'"message":null', b'"message":"x"'))
    report = verify(log)
    assert [p.position for p in report.problems] == sorted(p.position for p in report.problems)
    assert report.first is not None
    assert report.first.position == 3


# -- whole-log coverage: signed checkpoints ---------------------------------------------------


def test_a_deleted_last_event_is_found_by_a_checkpoint(keyed: Keyed) -> None:
    log, tamper = keyed
    kept = checkpoint(log, block=2)
    tamper.run("DELETE FROM TABLE WHERE POS = ?", 4)  # complaint 0's last event, Resolved
    if log.settings.kind == "postgres":  # the attack: nothing else shows it on PostgreSQL
        assert verify(log).ok
    report = verify(log, checkpoints=[kept])
    assert ("head-mismatch", 3) in [(p.kind, p.position) for p in report.problems]
    mismatch = next(p for p in report.problems if p.kind == "head-mismatch")
    assert "positions 3..4 differ" in mismatch.detail


def test_a_deleted_complaint_is_found_by_a_checkpoint(keyed: Keyed) -> None:
    log, tamper = keyed
    kept = checkpoint(log, block=2)
    (originator,) = tamper.run("SELECT originator_id FROM TABLE WHERE POS = ?", 5)[0]
    tamper.run("DELETE FROM TABLE WHERE originator_id = ?", originator)  # complaint 1
    tamper.run("DELETE FROM TABLE WHERE POS = ?", 6)  # and its reference index
    if log.settings.kind == "postgres":
        assert verify(log).ok  # the attack
    mismatch = [p for p in verify(log, checkpoints=[kept]).problems if p.kind == "head-mismatch"]
    assert [(p.position, p.detail[:20]) for p in mismatch] == [(5, "positions 5..6 diffe")]


def test_the_last_complaint_deleted_is_found_by_a_checkpoint(keyed: Keyed) -> None:
    log, tamper = keyed
    kept = checkpoint(log)
    tamper.run("DELETE FROM TABLE WHERE POS >= ?", 9)  # complaint 2, at the end of the log
    assert verify(log).ok  # the attack: no gap is left behind
    assert kinds(verify(log, checkpoints=[kept])) == [(8, "missing")]


def test_positions_swapped_across_complaints_are_found_by_a_checkpoint(keyed: Keyed) -> None:
    log, tamper = keyed
    kept = checkpoint(log, block=2)
    # complaint 0's Resolved (4) and complaint 1's Received (5) trade places: every
    # complaint's own order is unchanged, so the chains and the seals still hold
    tamper.run("UPDATE TABLE SET POS = ? WHERE POS = ?", 1000, 4)
    tamper.run("UPDATE TABLE SET POS = ? WHERE POS = ?", 4, 5)
    tamper.run("UPDATE TABLE SET POS = ? WHERE POS = ?", 5, 1000)
    assert verify(log).ok  # the attack
    assert kinds(verify(log, checkpoints=[kept])) == [(3, "head-mismatch")]


def test_a_forged_or_foreign_checkpoint_is_not_trusted(keyed: Keyed, tmp_path: Path) -> None:
    log, tamper = keyed
    genuine = checkpoint(log)
    foreign = sign_checkpoint(  # the intruder's own key signs the same head
        AuditKey(os.urandom(32)),
        head=genuine.head,
        events=genuine.events,
        complaints=genuine.complaints,
        blocks=genuine.blocks,
        store=genuine.store,
    )
    path = tmp_path / "checkpoints.jsonl"
    write_checkpoint(genuine, path)
    write_checkpoint(foreign, path)
    line = genuine.to_json().replace(genuine.head[-8:], "00000000")
    path.write_text(path.read_text() + line + "\n")
    report = verify(log, checkpoints=read_checkpoints(path))
    assert [p.kind for p in report.problems] == ["bad-checkpoint", "bad-checkpoint"]
    assert report.checkpoints == 1  # only the genuine one was used
    # its public key alone checks it: an auditor need not hold the secret
    assert verify(log, checkpoints=[genuine], public_key=genuine.public_key).ok
    tamper.run("DELETE FROM TABLE WHERE POS = ?", 12)
    assert not verify(log, checkpoints=[genuine], public_key=genuine.public_key).ok


def test_an_altered_log_is_not_checkpointed(keyed: Keyed) -> None:
    log, tamper = keyed
    tamper.set_state(4, tamper.state(4).replace(b"12.50", b"92.50"))
    with pytest.raises(HistoryAlteredError, match="position 4"):
        checkpoint(log)


def test_records_from_before_the_key_are_adopted_by_a_checkpoint(
    audited_url: str, tamper_with: Callable[[ComplaintLog], Tamper], fill_log: Any
) -> None:
    def clock() -> datetime:
        return T0 + timedelta(days=1)

    with ComplaintLog(audited_url, clock=clock) as log:
        fill_log(log)
    with ComplaintLog(audited_url, clock=clock, audit_key=SECRET) as log:
        assert {p.kind for p in verify(log).problems} == {"unsealed"}
        with pytest.raises(HistoryAlteredError):
            checkpoint(log)
        adopted = checkpoint(log, adopt_unsealed=True)
        log.receive(customer={"id": "N"}, channel="web", subject="s", description="d", at=T0)
        assert verify(log, checkpoints=[adopted]).ok
        tamper = tamper_with(log)
        try:
            forge_resolution(log, tamper, "1.00")
        finally:
            tamper.close()
        assert [p.kind for p in verify(log, checkpoints=[adopted]).problems] == ["unsealed"]


# -- key deletion without an event -----------------------------------------------------------


def test_a_key_row_deleted_without_an_event_is_found(filled: tuple[ComplaintLog, Tamper]) -> None:
    log, tamper = filled
    if tamper.kind == "sqlite":
        table = "complaintlog_personal_keys"
    else:
        table = f'"{log.settings.env["POSTGRES_SCHEMA"]}".complaintlog_personal_keys'
    tamper.conn.execute(f"DELETE FROM {table} WHERE customer_id = 'C-1'")
    if tamper.kind == "sqlite":
        tamper.conn.commit()
    log.close()
    with ComplaintLog(log.settings.url) as fresh:  # no cached key
        assert kinds(verify(fresh)) == [(5, "key-missing")]
        fresh.erase_personal_data("C-2", reason="request", at=T0 + timedelta(hours=3))
        assert kinds(verify(fresh)) == [(5, "key-missing")]  # an erasure with its event is fine


# -- where the key comes from ----------------------------------------------------------------


def test_the_key_comes_from_the_environment_a_file_or_a_provider(tmp_path: Path) -> None:
    text = new_audit_key()
    file = tmp_path / "audit.key"
    file.write_text(text + "\n")
    url = f"sqlite:///{tmp_path}/k.db"
    ids = set()
    for source in (
        {"env": {"COMPLAINTLOG_AUDIT_KEY": text}},
        {"env": {"COMPLAINTLOG_AUDIT_KEY_FILE": str(file)}},
        {"audit_key": lambda: base64.b64decode(text)},
    ):
        with ComplaintLog(url, **source) as log:  # type: ignore[arg-type]
            assert log.audit_key is not None
            ids.add(log.audit_key.key_id)
            log.receive(customer={"id": "K"}, channel="web", subject="s", description="d")
            assert verify(log).ok
    assert len(ids) == 1
    assert text not in repr(AuditKey(base64.b64decode(text)))
    for bad in ({"COMPLAINTLOG_AUDIT_KEY": "c2hvcnQ="}, {"COMPLAINTLOG_AUDIT_KEY": "not base64!"}):
        with pytest.raises(StoreConfigurationError, match="COMPLAINTLOG_AUDIT_KEY"):
            ComplaintLog(url, env=bad)

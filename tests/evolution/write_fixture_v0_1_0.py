"""Write the stored-event fixture that tests/evolution replays through today's code.

WHO WROTE THE FIXTURE: this script, run against complaintlog 0.1.0 at git commit
22c3f8b03878950acd3d8a09750ceba63950cbd6 (2026-11-23, "The complaintlog command: ..."),
whose core modules (application.py, _mapper.py, domain/, views.py, audit.py) are those of
5087e73 unchanged, with no local changes to them, on eventsourcing 9.5.6 and Python 3.11.7.
That code stored ``Complaint.Received`` and ``Complaint.Paused`` at schema version 1:
customer personal fields in plain JSON and no ``personal`` field, pauses without
``waiting_for``. The fixture records which version wrote it in ``written_by``.

The rows are the real bytes of a SQLite store that code wrote, not rows made to fit: do
not regenerate the fixture with newer code, which would store the newer schema and prove
nothing. To reproduce it, run this script against that commit's sources, for example::

    git archive 22c3f8b src | tar -x -C /tmp/complaintlog-0.1.0
    PYTHONPATH=/tmp/complaintlog-0.1.0/src .venv/bin/python \
        tests/evolution/write_fixture_v0_1_0.py tests/evolution/fixtures/stored_events_v0_1_0.json

(ids and recording order are random per run, so a rerun writes different bytes with the
same shape).

Besides the rows, the fixture keeps what that code showed for them: each complaint's view
and history, and the log's head digest, so the test can compare today's replay with the
views of the time.
"""

from __future__ import annotations

import base64
import json
import platform
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel

T0 = datetime(2025, 3, 3, 8, 30, tzinfo=UTC)
"""Business time of the first complaint; the recording clock runs a year later."""


def to_json(value: Any) -> Any:
    """A view or history value as plain JSON: the form the fixture compares."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if hasattr(value, "__attrs_attrs__"):
        return {a.name: to_json(getattr(value, a.name)) for a in value.__attrs_attrs__}
    return value


def record_complaints(log: Any) -> list[UUID]:
    """A realistic month of complaints: every command, personal data, pauses, retries."""
    ids: list[UUID] = []
    customers = [
        {
            "id": "C-1001",
            "name": "Ana Lima",
            "email": "ana.lima@example.org",
            "phone": "+351 912 345 678",
            "address": "Rua das Flores 12\n4050-262 Porto",
        },
        {"id": "C-1002", "name": "Bjørn Ødegård", "email": "bjorn@example.net"},
        {"id": "C-1003"},
        {"id": "C-1004", "name": "Chidi Okafor", "phone": "+44 20 7946 0958"},
    ]
    at = T0

    # 1: full lifecycle with a pause for the customer, a kept promise and compensation
    cid = log.receive(
        customer=customers[0],
        channel="phone",
        subject="Broadband outage",
        description="No internet for three days; I work from home.",
        category={"dimension": "reliability", "cause": "product_quality", "product": "Broadband"},
        severity="high",
        desired_outcome="A refund for the days without service",
        external_ref="CRM-2025-0001",
        attributes={"source": "call centre", "queue": "priority"},
        at=at,
        actor="agent-ana",
        idempotency_key="crm-call-88121",
    )
    log.acknowledge(cid, message="We are on it", at=at + timedelta(minutes=3), actor="agent-ana")
    log.assign(cid, assignee="tech-joao", team="field", at=at + timedelta(minutes=10))
    log.pause(cid, reason="Waiting for the customer to be at home", at=at + timedelta(hours=1))
    log.resume(cid, note="Engineer visit booked", at=at + timedelta(days=1))
    log.make_promise(
        cid,
        promise="Engineer visit by Friday",
        due=at + timedelta(days=4),
        at=at + timedelta(days=1, minutes=5),
    )
    log.inform(cid, message="Engineer on the way", at=at + timedelta(days=3))
    log.resolve(
        cid,
        remedy="compensation",
        summary="Line repaired; three days refunded",
        compensation={"amount": "24.90", "currency": "EUR"},
        accepted=True,
        at=at + timedelta(days=3, hours=4),
        actor="supervisor-rita",
    )
    log.follow_up(cid, solved=True, note="Working fine", at=at + timedelta(days=10))
    log.record_survey(cid, score=4, comment="Slow start, good finish", at=at + timedelta(days=11))
    ids.append(cid)

    # 2: escalated twice, paused on a third party, reopened after an unsolved follow-up
    at = T0 + timedelta(days=2)
    cid = log.receive(
        customer=customers[1],
        channel="email",
        subject="Double charge",
        description="Charged twice for March.",
        category={"dimension": "reliability", "cause": "billing", "product": "Mobile"},
        at=at,
    )
    log.acknowledge(cid, at=at + timedelta(hours=2))
    log.escalate(cid, level="supervisor", reason="Customer angry", at=at + timedelta(hours=3))
    log.pause(cid, reason="Waiting for the payment provider", at=at + timedelta(hours=4))
    log.resume(cid, at=at + timedelta(days=2))
    log.escalate(cid, level="management", reason="Refund above limit", at=at + timedelta(days=2))
    log.resolve(
        cid,
        remedy="refund",
        summary="Second charge refunded",
        compensation={"amount": "150.00", "currency": "EUR"},
        at=at + timedelta(days=3),
    )
    log.follow_up(cid, solved=False, note="Refund not arrived", at=at + timedelta(days=9))
    log.reclassify(
        cid, reason="Repeat billing error", severity="critical", at=at + timedelta(days=9)
    )
    log.resolve(cid, remedy="refund", summary="Refund re-sent", at=at + timedelta(days=12))
    ids.append(cid)

    # 3: anonymous web complaint, withdrawn while paused
    at = T0 + timedelta(days=5)
    cid = log.receive(
        customer=customers[2],
        channel="web",
        subject="Rude staff",
        description="The shop assistant was rude.",
        category={"dimension": "empathy", "cause": "staff_attitude"},
        severity="low",
        at=at,
    )
    log.acknowledge(cid, at=at + timedelta(hours=1))
    log.pause(cid, reason="Waiting for the store's statement", at=at + timedelta(hours=2))
    log.withdraw(cid, reason="Sorted out in the shop", at=at + timedelta(days=1))
    ids.append(cid)

    # 4 to 6: a batch, as an import would write them; one still paused at the end
    at = T0 + timedelta(days=8)
    with log.batch() as batch:
        for n in range(3):
            start = at + timedelta(hours=5 * n)
            cid = batch.receive(
                customer=customers[3] if n != 1 else customers[0],
                channel=["letter", "social", "in_person"][n],
                subject=["Late delivery", "Broken washer", "Wrong invoice"][n],
                description=f"Imported complaint {n}",
                external_ref=f"IMPORT-{n}",
                at=start,
            )
            batch.resolve(
                cid,
                remedy="apology",
                summary="Apologised",
                first_contact=True,
                at=start + timedelta(hours=1),
            )
            batch.reopen(
                cid, reason="dispute", note="Customer disagrees", at=start + timedelta(days=1)
            )
            if n == 2:
                batch.pause(
                    cid, reason="Waiting for the customer's photos", at=start + timedelta(days=2)
                )
            ids.append(cid)
    return ids


def dump(sqlite_path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(sqlite_path) as conn:
        rows = conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            "FROM stored_events ORDER BY rowid"
        ).fetchall()
    conn.close()
    return [
        {
            "position": position,
            "originator_id": originator_id,
            "originator_version": version,
            "topic": topic,
            "state_b64": base64.b64encode(state).decode("ascii"),
        }
        for position, originator_id, version, topic, state in rows
    ]


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip()


def main(out: Path) -> None:
    import complaintlog
    from complaintlog import ComplaintLog
    from complaintlog.audit import head_digest
    from complaintlog.domain.complaint import Complaint

    if getattr(Complaint.Received, "class_version", 1) != 1:
        sys.exit(
            "this code stores Received at a newer schema version: the fixture must be "
            "written by complaintlog 0.1.0 (see the docstring)"
        )

    package = Path(complaintlog.__file__).resolve().parent
    clock_now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "complaints.db"
        with ComplaintLog(f"sqlite:///{path}", clock=lambda: clock_now) as log:
            ids = record_complaints(log)
            views = {str(cid): to_json(log.get(cid)) for cid in ids}
            histories = {str(cid): to_json(log.history(cid)) for cid in ids}
            head = head_digest(log)
        rows = dump(path)
    fixture = {
        "written_by": {
            "script": "tests/evolution/write_fixture_v0_1_0.py",
            "complaintlog": getattr(complaintlog, "__version__", "unknown"),
            "complaintlog_source": str(package),
            "git_commit": _git("-C", str(package), "rev-parse", "HEAD") or "unknown",
            "core_changes_since_commit": _git(
                "-C",
                str(package),
                "status",
                "--porcelain",
                "--",
                "application.py",
                "_mapper.py",
                "domain/complaint.py",
                "domain/values.py",
                "views.py",
            )
            or "none",
            "eventsourcing": metadata.version("eventsourcing"),
            "python": platform.python_version(),
            "clock": clock_now.isoformat(),
        },
        "head": head,
        "complaints": [str(cid) for cid in ids],
        "rows": rows,
        "views": views,
        "histories": histories,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rows of {len(ids)} complaints to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT.json  (see the docstring: run it on 0.1.0's code)")
    main(Path(sys.argv[1]))

"""Four writer processes on one store, racing on the same complaints and references.

Each process receives a few hundred complaints of its own and handles them, and at the
same points of its run it also acknowledges, assigns and resolves a set of shared
complaints and tries to receive complaints under a set of shared external references.
Each process reports every command it ran: accepted, or refused with the error it got.
Afterwards the store holds exactly the accepted commands (one event each, per complaint),
no stream has a gap, each shared complaint was acknowledged and resolved once, each shared
reference names the complaint of the one process that was told it won, every refusal was
a ``ConcurrencyError``, a process-rule error or a ``DuplicateExternalReferenceError``, and
``verify`` is clean. Runs on SQLite (one file) and PostgreSQL (one schema).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from complaintlog import ComplaintLog, DuplicateExternalReferenceError
from complaintlog.audit import verify

from .conftest import COMPLAINT_TOPIC, contents

WRITERS = 4
OWN = 200
"""Complaints each writer receives and handles alone."""
SHARED = 10
"""Complaints received before the writers start, which all four handle at once."""
RACED_REFS = 10
"""External references all four try to receive a complaint under."""
TIMEOUT = 120

CHILD = textwrap.dedent(
    """
    import json, sys
    from complaintlog import ComplaintLog, ComplaintLogError, ComplaintRuleError

    url, worker, own, plan_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    with open(plan_file, encoding="utf-8") as handle:
        plan = json.load(handle)
    shared, races = plan["shared"], plan["races"]
    accepted, refused, won = {}, [], {}

    def run(command, target, call):
        try:
            result = call()
        except ComplaintLogError as error:
            refused.append({
                "command": command, "target": target, "error": type(error).__name__,
                "rule": isinstance(error, ComplaintRuleError), "message": str(error),
            })
            return None
        except Exception as error:  # reported, and fails the test
            refused.append({
                "command": command, "target": target, "rule": False, "message": str(error),
                "error": f"{type(error).__module__}.{type(error).__qualname__} (unexpected)",
            })
            return None
        key = str(result) if command == "receive" else target
        accepted[key] = accepted.get(key, 0) + 1
        return result

    def complaint(ref):
        return dict(
            customer={"id": f"W{worker}"}, channel="web", subject="Parcel",
            description=f"written by worker {worker}", external_ref=ref,
        )

    with ComplaintLog(url) as log:
        print("ready", flush=True)
        sys.stdin.readline()  # all four start together
        step = own // max(len(shared), len(races))
        for n in range(own):
            turn, phase = divmod(n, step)
            if phase == 0 and turn < len(shared):
                cid = shared[turn]
                run("acknowledge", cid, lambda: log.acknowledge(cid, message=f"w{worker}"))
                run("assign", cid, lambda: log.assign(cid, assignee=f"worker-{worker}"))
                run("resolve", cid, lambda: log.resolve(
                    cid, remedy="explanation", summary=f"answered by worker {worker}"))
            if phase == step // 2 and turn < len(races):
                ref = races[turn]
                got = run("receive", ref, lambda: log.receive(**complaint(ref)))
                if got is not None:
                    won[ref] = str(got)
            mine = run("receive", None, lambda: log.receive(**complaint(f"w{worker}-{n}")))
            if mine is None:
                continue
            own_id = str(mine)
            run("acknowledge", own_id, lambda: log.acknowledge(own_id))
            if n % 3 == 0:
                run("resolve", own_id, lambda: log.resolve(
                    own_id, remedy="apology", summary="sorry"))
    print(json.dumps({"accepted": accepted, "refused": refused, "won": won}), flush=True)
    """
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


def run_writers(url: str, plan_file: Path, script: Path) -> list[dict[str, Any]]:
    """Start the writers, let them go at once, and collect their reports."""
    children = [
        subprocess.Popen(
            [sys.executable, str(script), url, str(worker), str(OWN), str(plan_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(WRITERS)
    ]
    reports = []
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            out, err = child.communicate(timeout=TIMEOUT)
            assert child.returncode == 0, err
            reports.append(json.loads(out))
    finally:
        for child in children:
            if child.returncode is None:  # not yet collected: a failure on the way
                child.kill()
                child.communicate()
    return reports


def test_four_writers_record_exactly_the_commands_they_were_told_were_accepted(
    store_url: str, tmp_path: Path
) -> None:
    with ComplaintLog(store_url) as log:
        shared = [
            str(
                log.receive(
                    customer={"id": "S"},
                    channel="phone",
                    subject="Shared",
                    description="handled by every writer at once",
                    external_ref=f"shared-{n}",
                )
            )
            for n in range(SHARED)
        ]
    races = [f"raced-{n}" for n in range(RACED_REFS)]
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"shared": shared, "races": races}), encoding="utf-8")
    script = tmp_path / "writer.py"
    script.write_text(CHILD, encoding="utf-8")

    reports = run_writers(store_url, plan_file, script)

    refusals = [refusal for report in reports for refusal in report["refused"]]
    unclear = [
        r
        for r in refusals
        if not (
            r["error"] == "ConcurrencyError"
            or r["rule"]
            or (r["error"] == "DuplicateExternalReferenceError" and r["target"] in races)
        )
    ]
    assert unclear == []
    assert all(r["message"] for r in refusals)
    lost = Counter((r["command"], r["target"]) for r in refusals)
    for complaint_id in shared:  # one writer acknowledged and resolved; three were refused
        assert lost["acknowledge", complaint_id] == lost["resolve", complaint_id] == WRITERS - 1
    for ref in races:
        assert lost["receive", ref] == WRITERS - 1
    accepted: Counter[str] = Counter()
    for report in reports:
        accepted.update(report["accepted"])
    winners = Counter(ref for report in reports for ref in report["won"])
    assert winners == dict.fromkeys(races, 1)  # each raced reference won by one writer

    with ComplaintLog(store_url) as log:
        found = contents(log)
        assert found.gaps == ()
        assert found.other_topics == {}
        assert set(found.registered.values()) == {1}
        per_complaint: Counter[str] = Counter()
        events: Counter[str] = Counter()
        for notification in log.notifications():
            if notification.topic.startswith(COMPLAINT_TOPIC):
                per_complaint[str(notification.originator_id)] += 1
                events[notification.topic.removeprefix(COMPLAINT_TOPIC)] += 1
        # one event per accepted command, on the complaint it was accepted for
        expected = accepted + Counter(dict.fromkeys(shared, 1))  # the shared receives
        assert per_complaint == expected
        assert sum(per_complaint.values()) == SHARED + sum(accepted.values())
        assert len(found.streams) == SHARED + RACED_REFS + WRITERS * OWN
        for report in reports:
            for ref, complaint_id in report["won"].items():
                assert str(log.find(ref)) == complaint_id
        for complaint_id in shared:
            view = log.get(complaint_id)
            history = [entry.event for entry in log.history(complaint_id)]
            assert history.count("Acknowledged") == 1
            assert history.count("Resolved") == 1
            assert view.resolutions[0].summary.startswith("answered by worker")
        audit = verify(log)
        assert list(audit.problems) == []
        assert (audit.events, audit.complaints) == (
            sum(per_complaint.values()) + sum(found.registered.values()),
            len(found.streams),
        )


@pytest.mark.parametrize(
    "store_url",
    [
        "sqlite",
        pytest.param("postgres", marks=[pytest.mark.postgres]),
    ],
    indirect=True,
)
def test_a_refused_write_is_not_taken_for_a_deleted_record(store_url: str) -> None:
    complaint: dict[str, Any] = {
        "customer": {"id": "C-1"},
        "channel": "web",
        "subject": "Bill",
        "description": "Charged twice",
    }
    with ComplaintLog(store_url) as log:
        first = log.receive(**complaint, external_ref="CRM-1")
        with pytest.raises(DuplicateExternalReferenceError):
            log.receive(**complaint, external_ref="CRM-1")
        log.receive(**complaint, external_ref="CRM-2")
        assert log.find("CRM-1") == first
        report = verify(log)
        assert report.problems == ()

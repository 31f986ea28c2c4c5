"""``complaintlog agenda``: the table, ``--json`` and ``--ics``, on a hand-written store and
on the demo store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app

from .conftest import Demo

WEDNESDAY_NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def scenario(path: Path) -> str:
    """One complaint held by ana with a call-back promised for Wednesday 12:00 UTC."""
    url = f"sqlite:///{path}"
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with ComplaintLog(url, clock=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) as log:
        complaint_id = log.receive(
            customer={"id": "C-1"},
            channel="web",
            subject="Bill",
            description="Charged twice",
            external_ref="REF-1",
            at=monday,
        )
        log.assign(complaint_id, assignee="ana", team="billing", at=monday)
        log.acknowledge(complaint_id, at=monday)
        log.make_promise(complaint_id, promise="Call back", due=WEDNESDAY_NOON, at=monday)
    return url


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_agenda_json_and_ics(tmp_path: Path) -> None:
    store = scenario(tmp_path / "c.db")
    ics = tmp_path / "ana.ics"
    common = ("--store", store, "--json", "agenda", "--assignee", "ana")
    morning = json.loads(
        run(
            *common,
            "--as-of",
            "2026-03-04T09:00Z",
            "--until",
            "2026-03-04T23:00Z",
            "--action",
            "inform",
            "--ics",
            str(ics),
        )
    )
    assert morning["items"] == [
        {
            "complaint_id": morning["items"][0]["complaint_id"],
            "external_ref": "REF-1",
            "action": "inform",
            "due": "2026-03-04T12:00:00+00:00",
            "opens": None,
            "assignee": "ana",
            "team": "billing",
            "overdue": False,
            "source": "promise",
            "target": "keep_promise",
            "promise_id": morning["items"][0]["promise_id"],
            "cycle": 1,
        }
    ]
    [todo] = Calendar.from_ical(ics.read_bytes()).walk("VTODO")
    assert todo.decoded("due") == WEDNESDAY_NOON
    assert todo.decoded("due").tzinfo is not None
    assert todo.decoded("due").utcoffset() == timedelta(0)
    assert str(todo["summary"]) == "inform: REF-1"
    uid = str(todo["uid"])
    # later the same day: overdue, with the same UID in the calendar
    afternoon = json.loads(
        run(*common, "--as-of", "2026-03-04T13:00Z", "--action", "inform", "--ics", str(ics))
    )
    assert [item["overdue"] for item in afternoon["items"]] == [True]
    [again] = Calendar.from_ical(ics.read_bytes()).walk("VTODO")
    assert str(again["uid"]) == uid
    assert (
        json.loads(run("--store", store, "--json", "agenda", "--assignee", "bruno"))["items"] == []
    )


def test_agenda_table_groups_overdue_today_and_later(tmp_path: Path) -> None:
    store = scenario(tmp_path / "c.db")
    out = run("--store", store, "agenda", "--as-of", "2026-03-04T12:30Z", "--until", "2026-03-06")
    overdue, rest = out.split("due today", 1)
    assert "inform" in overdue
    assert "REF-1" in overdue
    assert "later" in rest


def test_agenda_refuses_an_unknown_action(tmp_path: Path) -> None:
    store = scenario(tmp_path / "c.db")
    result = CliRunner().invoke(app, ["--store", store, "agenda", "--action", "dance"])
    assert result.exit_code == 2
    assert "--action 'dance'" in result.output


def test_agenda_on_the_demo_store(demo: Demo, tmp_path: Path) -> None:
    ics = tmp_path / "team.ics"
    found = json.loads(
        run("--store", demo.store, "--json", "agenda", "--team", "billing", "--ics", str(ics))
    )
    assert found["items"]
    assert {item["team"] for item in found["items"]} == {"billing"}
    todos = Calendar.from_ical(ics.read_bytes()).walk("VTODO")
    assert len(todos) == len(found["items"])
    assert len({str(todo["uid"]) for todo in todos}) == len(todos)


def test_show_lists_notes_and_evidence_in_the_timeline(tmp_path: Path) -> None:
    store = scenario(tmp_path / "c.db")
    with ComplaintLog(store, clock=lambda: WEDNESDAY_NOON) as log:
        complaint_id = log.find("REF-1")
        assert complaint_id is not None
        log.note(complaint_id, text="Prefers calls after four", at=WEDNESDAY_NOON)
        log.attach_evidence(
            complaint_id,
            name="invoice.pdf",
            media_type="application/pdf",
            sha256="ab" * 32,
            at=WEDNESDAY_NOON,
        )
    out = run("--store", store, "show", "REF-1")
    assert "NoteAdded" in out
    assert "Prefers calls after four" in out
    assert "EvidenceAttached" in out
    assert "invoice.pdf" in out


def test_agenda_of_one_tenant_under_its_policy(tmp_path: Path) -> None:
    """Two tenants' complaints in one store; the worker and the agenda open the views with
    the same tenant policies, and another set is refused with the tenant named."""
    url = f"sqlite:///{tmp_path / 't.db'}"
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with ComplaintLog(url, clock=lambda: monday) as log:
        for tenant, ref in (("brand-a", "A-1"), ("brand-b", "B-1")):
            log.receive(
                customer={"id": ref},
                channel="web",
                subject="Bill",
                description="Charged twice",
                external_ref=ref,
                tenant=tenant,
                at=monday,
            )
    policies = ("--tenant-policy", "brand-a=fca")
    run("--store", url, "project", "--once", *policies)
    week = ("--as-of", "2026-03-02T10:00Z", "--until", "2026-03-09T10:00Z")

    def refs(tenant: str) -> list[tuple[str, str]]:
        found = json.loads(
            run("--store", url, "--json", "agenda", *week, "--tenant", tenant, *policies)
        )
        return [(item["external_ref"], item["target"]) for item in found["items"]]

    assert {ref for ref, _ in refs("brand-b")} == {"B-1"}  # the default policy: due this week
    assert refs("brand-a") == []  # the FCA's final response is due in 8 weeks
    refused = CliRunner().invoke(app, ["--store", url, "agenda", *week, "--tenant", "brand-a"])
    assert refused.exit_code != 0
    assert "brand-a" in refused.output
    bad = CliRunner().invoke(app, ["--store", url, "agenda", "--tenant-policy", "brand-a"])
    assert bad.exit_code == 2
    assert "TENANT=POLICY" in bad.output

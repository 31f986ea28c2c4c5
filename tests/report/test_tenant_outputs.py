"""Every report output by tenant: two tenants under two policies in one store.

The store, checked by hand (every complaint received on the web, none paused):

=====  =======  ==================  ==================  ================================
ref    tenant   received (UTC)      resolved (UTC)      at 2026-03-25 12:00 UTC
=====  =======  ==================  ==================  ================================
A-1    brand-a  Mon 2026-03-02 09h  -                   open
A-2    brand-a  Mon 2026-03-02 09h  Tue 2026-03-03 10h  resolved on time
B-1    brand-b  Mon 2026-03-02 09h  -                   open
B-2    brand-b  Mon 2026-03-02 09h  Wed 2026-03-04 10h  resolved on time
B-3    brand-b  Tue 2026-03-10 09h  -                   open
=====  =======  ==================  ==================  ================================

brand-a is under the FCA's preset: a final response within 8 calendar weeks (A-1 due Mon
27 April 09:00 UTC: not breached) and an informational summary resolution by the third
business day (close of Thu 5 March: A-1 missed it, no breach, listed apart). brand-b is
under PSD2's: a reply by close of business (17:00) of the 15th Belgian business day after
receipt (docs/sla.md; no holiday in March 2026): B-1 is due Mon 23 March 17:00 Brussels =
16:00 UTC, so at the report's moment it is 44 hours late; B-3 is due Tue 31 March. Measured
under PSD2, A-1 would be breached too (the same 23 March); under the FCA's, B-1 would not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog, InvalidValueError
from complaintlog.cli import app
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import Projections
from complaintlog.report import report_data, what_if
from complaintlog.report.complaint_file import complaint_file
from complaintlog.report.event_export import Selection, records
from complaintlog.returns import FcaMapping, complaint_facts, fca_return

NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICIES = {"brand-a": "fca", "brand-b": "psd2"}
OPTIONS = ("--tenant-policy", "brand-a=fca", "--tenant-policy", "brand-b=psd2")
COMPLAINTS = (
    ("A-1", "brand-a", MONDAY, None),
    ("A-2", "brand-a", MONDAY, MONDAY + timedelta(days=1, hours=1)),
    ("B-1", "brand-b", MONDAY, None),
    ("B-2", "brand-b", MONDAY, MONDAY + timedelta(days=2, hours=1)),
    ("B-3", "brand-b", MONDAY + timedelta(days=8), None),
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('tenants') / 'store.db'}"
    with ComplaintLog(url, clock=lambda: NOW) as log:
        for ref, tenant, received, resolved in COMPLAINTS:
            complaint = log.receive(
                customer={"id": f"c-{ref}"},
                channel="web",
                subject="Bill",
                description="Charged twice",
                category={"product": "Current account", "cause": "billing"},
                external_ref=ref,
                tenant=tenant,
                at=received,
            )
            if resolved is not None:
                log.resolve(
                    complaint,
                    remedy="refund",
                    summary="refunded",
                    upheld="fully",
                    first_contact=True,
                    at=resolved,
                )
    return url


@pytest.fixture
def log(store: str) -> Iterator[ComplaintLog]:
    with ComplaintLog(store, clock=lambda: NOW) as opened:
        yield opened


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _breaching(rows: list[Any]) -> list[tuple[str, str, float]]:
    return sorted((row.complaint, row.target, row.late_by_hours) for row in rows)


# -- the report ------------------------------------------------------------------------------


def _report(log: ComplaintLog, tenant: str | None) -> Any:
    """The report at NOW, each tenant under its policy, of ``tenant``'s complaints."""
    return report_data(
        log, policy=SlaPolicy.named("default"), tenant_policies=POLICIES, tenant=tenant, as_of=NOW
    )


def test_one_tenants_report_counts_its_complaints_under_its_policy(log: ComplaintLog) -> None:
    a = _report(log, "brand-a")
    assert (a.tenant, a.policy, a.time_zone) == ("brand-a", "fca", "Europe/London")
    assert a.complaints == 2
    assert a.status_counts["resolved"] == 1
    assert a.breaches == []  # the FCA's 8 weeks run to 27 April
    assert [row.complaint for row in a.informational_open] == ["A-1"]
    b = _report(log, "brand-b")
    assert (b.policy, b.time_zone, b.complaints) == ("psd2", "Europe/Brussels", 3)
    assert _breaching(b.breaches) == [("B-1", "reply", 44.0)]
    assert b.informational_open == []
    assert b.totals.received == 3
    assert b.totals.resolved == 1


def test_without_a_tenant_each_complaint_is_measured_under_its_tenants_policy(
    log: ComplaintLog,
) -> None:
    every = _report(log, None)
    assert every.tenant is None
    assert every.policy == "default; brand-a: fca; brand-b: psd2"
    assert every.complaints == 5
    assert _breaching(every.breaches) == [("B-1", "reply", 44.0)]
    assert [row.complaint for row in every.informational_open] == ["A-1"]
    # one policy for all is another report: PSD2 breaches A-1 as well, the FCA's neither
    psd2 = report_data(log, policy=SlaPolicy.named("psd2"), as_of=NOW)
    assert sorted(row.complaint for row in psd2.breaches) == ["A-1", "B-1"]
    assert report_data(log, policy=SlaPolicy.named("fca"), as_of=NOW).breaches == []


def test_report_command_by_tenant(store: str) -> None:
    def report(*more: str) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(
            _run(
                "--store",
                store,
                "report",
                "-f",
                "json",
                "--as-of",
                "2026-03-25T12:00Z",
                *OPTIONS,
                *more,
            )
        )
        return found

    a, b, every = report("--tenant", "brand-a"), report("--tenant", "brand-b"), report()
    assert (a["tenant"], a["policy"], a["complaints"]) == ("brand-a", "fca", 2)
    assert a["breaches"] == []
    assert (b["policy"], b["complaints"]) == ("psd2", 3)
    assert [(r["complaint"], r["late_by_hours"]) for r in b["breaches"]] == [("B-1", 44.0)]
    assert every["complaints"] == 5
    assert [r["complaint"] for r in every["breaches"]] == ["B-1"]
    table = _run(
        "--store", store, "report", "--as-of", "2026-03-25T12:00Z", *OPTIONS, "--tenant", "brand-b"
    )
    assert "of tenant 'brand-b'" in table
    csv = _run(
        "--store",
        store,
        "report",
        "-f",
        "csv",
        "--as-of",
        "2026-03-25T12:00Z",
        *OPTIONS,
        "--tenant",
        "brand-b",
    ).splitlines()
    assert "headline,tenant,,brand-b" in csv
    assert "headline,policy,,psd2" in csv
    assert "headline,breaching_now,,1" in csv


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--tenant-policy", "brand-a"), "TENANT=POLICY"),
        (("--tenant-policy", "brand-a=nosuch"), "brand-a=nosuch"),
        (("--tenant-policy", "Brand-A=fca"), "lowercase"),
        (("--tenant-policy", "default=fca"), "--policy"),
        (("--tenant", "Brand A"), "lowercase"),
    ],
)
def test_a_bad_tenant_or_tenant_policy_is_a_usage_error(
    store: str, options: tuple[str, ...], message: str
) -> None:
    scoped: list[tuple[str, ...]] = [("report",), ("file", "A-1"), ("agenda",), ("serve",)]
    for command in scoped:
        if options[0] == "--tenant" and command[0] in {"file", "serve"}:
            continue  # one complaint's file, and the server of every tenant: no --tenant
        result = CliRunner().invoke(app, ["--store", store, *command, *options])
        assert result.exit_code == 2, (command, result.output)
        assert message in result.output
    filtered: list[tuple[str, ...]] = [
        ("export",),
        ("regulatory-return", "fca", "--since", "2026-03-01", "--until", "2026-03-31"),
        ("what-if", "--policy", "fca", "--against", "psd2"),
    ]
    for command in filtered:
        if options[0] == "--tenant":
            result = CliRunner().invoke(app, ["--store", store, *command, *options])
            assert result.exit_code == 2, (command, result.output)
            assert message in result.output


def test_the_python_api_refuses_a_malformed_tenant(log: ComplaintLog) -> None:
    with pytest.raises(InvalidValueError, match="tenant"):
        report_data(log, policy=SlaPolicy.named("default"), tenant="Brand A")


# -- the export ------------------------------------------------------------------------------


def _exported(rows: Iterator[dict[str, Any]], log: ComplaintLog) -> list[tuple[str, str]]:
    refs = {str(log.find(ref)): ref for ref, *_ in COMPLAINTS}
    return [(refs[row["aggregate_id"]], row["event"]) for row in rows]


def test_export_of_one_tenant_has_its_complaints_events_only(log: ComplaintLog) -> None:
    assert _exported(records(log, Selection(tenant="brand-a")), log) == [
        ("A-1", "Received"),
        ("A-2", "Received"),
        ("A-2", "Acknowledged"),  # resolved at first contact: acknowledged then too
        ("A-2", "Resolved"),
    ]
    assert _exported(records(log, Selection(tenant="brand-b")), log) == [
        ("B-1", "Received"),
        ("B-2", "Received"),
        ("B-2", "Acknowledged"),
        ("B-2", "Resolved"),
        ("B-3", "Received"),
    ]
    assert list(records(log, Selection(tenant="brand-c"))) == []
    both = Selection(tenant="brand-b", products=frozenset({"Current account"}))
    assert len(list(records(log, both))) == 5


def test_export_command_by_tenant(store: str, log: ComplaintLog) -> None:
    lines = _run("--store", store, "export", "--tenant", "brand-a").splitlines()
    assert _exported(iter(json.loads(line) for line in lines), log) == [
        ("A-1", "Received"),
        ("A-2", "Received"),
        ("A-2", "Acknowledged"),  # resolved at first contact: acknowledged then too
        ("A-2", "Resolved"),
    ]


# -- the complaint file ----------------------------------------------------------------------


def _deadlines(file: Any) -> list[tuple[str, str]]:
    return sorted((d["target"], d["state"]) for d in file.deadlines)


def test_a_complaints_file_is_measured_under_its_tenants_policy(log: ComplaintLog) -> None:
    default = SlaPolicy.named("default")
    a1, b1 = log.find("A-1"), log.find("B-1")
    assert a1 is not None
    assert b1 is not None
    a = complaint_file(log, a1, policy=default, tenant_policies=POLICIES)
    assert (a.policy, a.summary["tenant"]) == ("fca", "brand-a")
    assert _deadlines(a) == [("final_response", "open"), ("summary_resolution", "late")]
    b = complaint_file(log, b1, policy=default, tenant_policies=POLICIES)
    assert (b.policy, b.time_zone) == ("psd2", "Europe/Brussels")
    assert _deadlines(b) == [("reply", "late")]
    # without tenant policies, the one policy given, as before
    assert complaint_file(log, b1, policy=SlaPolicy.named("fca")).policy == "fca"


def test_file_command_with_tenant_policies(store: str) -> None:
    found = json.loads(_run("--store", store, "--json", "file", "B-1", *OPTIONS))
    assert found["policy"] == "psd2"
    assert [(d["target"], d["state"]) for d in found["deadlines"]] == [("reply", "late")]


# -- the regulatory return -------------------------------------------------------------------


def _totals(table: Any) -> tuple[int, int, int]:
    row = table.sections["totals"][0]
    return row["opened"], row["closed"], row["outstanding_at_end"]


def test_a_return_per_legal_entity(log: ComplaintLog) -> None:
    facts = list(complaint_facts(log))

    def march(tenant: str | None) -> Any:
        return fca_return(
            facts,
            since=datetime(2026, 3, 1, tzinfo=UTC),
            until=datetime(2026, 3, 31, 23, 59, tzinfo=UTC),
            policy=SlaPolicy.named("fca"),
            mapping=FcaMapping.load(),
            tenant=tenant,
        )

    assert _totals(march("brand-a")) == (2, 1, 1)
    assert _totals(march("brand-b")) == (3, 1, 2)
    assert _totals(march(None)) == (5, 2, 3)
    assert (march("brand-a").tenant, march(None).tenant) == ("brand-a", None)


def test_regulatory_return_command_by_tenant(store: str) -> None:
    found = json.loads(
        _run(
            "--store",
            store,
            "regulatory-return",
            "fca",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-31",
            "--tenant",
            "brand-b",
        )
    )
    assert found["tenant"] == "brand-b"
    total = found["totals"][0]
    assert (total["opened"], total["closed"], total["outstanding_at_end"]) == (3, 1, 2)


# -- what-if ---------------------------------------------------------------------------------


def _refs(log: ComplaintLog, ids: frozenset[UUID]) -> list[str]:
    return sorted(str(log.get(i).external_ref) for i in ids)


def test_what_if_for_one_tenant_compares_its_own_policy(log: ComplaintLog) -> None:
    with Projections(log, policy="default", tenant_policies=POLICIES) as views:
        views.catch_up()
        a = views.what_if(SlaPolicy.named("psd2"), NOW, ongoing_only=True, tenant="brand-a")
        assert a.breaches_a == ()  # brand-a's own: the FCA's
        assert _refs(log, a.complaints_newly_breaching) == ["A-1"]
        every = views.what_if(SlaPolicy.named("fca"), NOW, ongoing_only=True)
        assert _refs(log, every.complaints_no_longer_breaching) == ["B-1"]
        assert every.breaches_b == ()
        with pytest.raises(InvalidValueError, match="tenant"):
            views.what_if(SlaPolicy.named("fca"), NOW, tenant="Brand A")


def test_what_if_report_and_command_by_tenant(store: str, log: ComplaintLog) -> None:
    psd2, fca = SlaPolicy.named("psd2"), SlaPolicy.named("fca")
    b = what_if(log, policy=psd2, against=fca, as_of=NOW, tenant="brand-b")
    assert (b.only_policy, b.only_against, b.tenant) == (["B-1"], [], "brand-b")
    assert what_if(log, policy=psd2, against=fca, as_of=NOW).only_policy == ["A-1", "B-1"]
    found = json.loads(
        _run(
            "--store",
            store,
            "--json",
            "what-if",
            "--policy",
            "psd2",
            "--against",
            "fca",
            "--as-of",
            "2026-03-25T12:00Z",
            "--tenant",
            "brand-a",
        )
    )
    assert (found["tenant"], found["only_under_policy"]) == ("brand-a", ["A-1"])


# -- the dashboard ---------------------------------------------------------------------------


def test_the_dashboard_of_one_tenant(log: ComplaintLog) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from complaintlog.http import create_app

    views = Projections(log, policy="default", tenant_policies=POLICIES)
    with TestClient(create_app(log, projections=views)) as client:
        b = client.get("/", params={"tenant": "brand-b"})
        assert b.status_code == 200, b.text
        assert "Today: brand-b" in b.text
        assert "SLA policy psd2" in b.text
        assert "B-1" in b.text  # its reply is overdue
        assert "A-1" not in b.text
        assert "tenant=brand-b" in b.text  # the agenda refreshes for brand-b
        every = client.get("/")
        assert "SLA policy default; brand-a: fca; brand-b: psd2" in every.text
        listed = client.get("/ui/complaints", params={"tenant": "brand-a"}).text
        assert "A-1" in listed
        assert "A-2" in listed
        assert "B-1" not in listed
        assert client.get("/", params={"tenant": "Brand A"}).status_code in {400, 422}

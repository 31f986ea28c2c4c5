"""Tenants over HTTP: the POST body names the tenant, the complaint shows it, and every list,
the agenda, breaches and statistics take ``?tenant=``, each tenant under its own policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from http_support import MONDAY, NEW, MovingClock

from complaintlog import ComplaintLog
from complaintlog.http import create_app
from complaintlog.projections import Projections


@pytest.fixture
def tenants_client(log: ComplaintLog) -> Iterator[TestClient]:
    views = Projections(log, policy="default", tenant_policies={"brand-a": "fca"})
    with TestClient(create_app(log, projections=views)) as opened:
        yield opened


def test_each_tenant_sees_its_own_complaints_measured_under_its_policy(
    tenants_client: TestClient, moving_clock: MovingClock
) -> None:
    client = tenants_client
    made = {}
    for tenant, ref in (("brand-a", "A-1"), ("brand-b", "B-1"), (None, "D-1")):
        body = {**NEW, "external_ref": ref, **({"tenant": tenant} if tenant else {})}
        answer = client.post("/complaints", json=body)
        assert answer.status_code == 201, answer.text
        made[ref] = answer.json()["id"]
    assert client.get(f"/complaints/{made['A-1']}").json()["tenant"] == "brand-a"
    assert client.get(f"/complaints/{made['D-1']}").json()["tenant"] == "default"

    def listed(**params: str) -> list[str]:
        return [
            item["external_ref"]
            for item in client.get("/complaints", params=params).json()["items"]
        ]

    assert listed(tenant="brand-a") == ["A-1"]
    assert listed(tenant="default") == ["D-1"]
    assert sorted(listed()) == ["A-1", "B-1", "D-1"]
    assert {i["tenant"] for i in client.get("/complaints").json()["items"]} == {
        "brand-a",
        "brand-b",
        "default",
    }
    # brand-b and the default tenant share the default policy; brand-a has the FCA's
    later = (MONDAY + timedelta(days=10)).isoformat()
    moving_clock.advance(timedelta(days=10))

    def breached(tenant: str) -> set[str]:
        params = {"as_of": later, "tenant": tenant}
        return {c["target"] for c in client.get("/breaches", params=params).json()["items"]}

    assert breached("brand-b") == breached("default")
    assert breached("brand-b") & {"acknowledge_golden_hour", "acknowledge"}
    assert breached("brand-a") == set()  # the FCA's 8 weeks run (its 3 days: informational)
    weeks = (MONDAY + timedelta(weeks=9)).isoformat()  # past the FCA's 8 weeks

    def agenda(tenant: str) -> set[str]:
        params = {"tenant": tenant, "until": weeks}
        return {
            item["complaint_id"] for item in client.get("/agenda", params=params).json()["items"]
        }

    assert agenda("brand-a") == {made["A-1"]}
    assert agenda("brand-b") == {made["B-1"]}
    rows = client.get(
        "/statistics", params={"period": "month", "by": "tenant", "start": MONDAY.isoformat()}
    ).json()["items"]
    assert {row["group"]: row["received"] for row in rows if row["received"]} == {
        "brand-a": 1,
        "brand-b": 1,
        "default": 1,
    }
    only = client.get(
        "/statistics", params={"period": "month", "tenant": "brand-b", "start": MONDAY.isoformat()}
    ).json()["items"]
    assert sum(row["received"] for row in only) == 1


def test_a_bad_tenant_is_a_422_naming_it(tenants_client: TestClient) -> None:
    answer = tenants_client.post("/complaints", json={**NEW, "tenant": "Brand A"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "tenant"
    assert "lowercase" in answer.json()["detail"]

"""Queries a CRM needs: by team, combined filters (team + status + category), counts.

Expected answers come from a plain list of what each complaint was given, filtered in
Python, not from the view."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from complaintlog import ComplaintLog
from complaintlog.projections import Projections

TEAMS = ("billing", "network", None)
PRODUCTS = ("broadband", "mobile")


@pytest.fixture
def crm(any_log: ComplaintLog, clock: Any) -> Iterator[tuple[Projections, list[dict[str, Any]]]]:
    made: list[dict[str, Any]] = []
    for n, (team, product, acknowledged) in enumerate(
        itertools.product(TEAMS, PRODUCTS, (True, False))
    ):
        for copy in range(n % 3 + 1):
            clock.advance(timedelta(minutes=1))  # oldest first is the order made
            complaint_id = any_log.receive(
                customer={"id": f"C-{n}-{copy}"},
                channel="web",
                subject="s",
                description="d",
                category={"dimension": "reliability", "cause": "outage", "product": product},
            )
            if acknowledged:
                any_log.acknowledge(complaint_id)
            if team is not None:
                any_log.assign(complaint_id, assignee=f"{team}-agent", team=team)
            status = any_log.get(complaint_id).status.value  # the log's word, not the view's
            made.append({"id": complaint_id, "team": team, "product": product, "status": status})
    with Projections(any_log) as views:
        views.catch_up()
        yield views, made


def expected(made: list[dict[str, Any]], **wanted: Any) -> list[Any]:
    return [m["id"] for m in made if all(m[k] == v for k, v in wanted.items())]


def test_by_team(crm: tuple[Projections, list[dict[str, Any]]]) -> None:
    views, made = crm
    for team in ("billing", "network"):
        found = [row.complaint_id for row in views.current_state.by_team(team)]
        assert found == expected(made, team=team)


def test_combined_filters_and_counts(crm: tuple[Projections, list[dict[str, Any]]]) -> None:
    views, made = crm
    statuses = sorted({m["status"] for m in made})
    assert len(statuses) >= 2
    for team, product, status in itertools.product(("billing", "network"), PRODUCTS, statuses):
        want = expected(made, team=team, product=product, status=status)
        rows = views.current_state.search(team=team, status=status, product=product)
        assert [row.complaint_id for row in rows] == want
        assert views.current_state.count(team=team, status=status, product=product) == len(want)
    assert views.current_state.count() == len(made)
    assert views.current_state.count(team="billing") == len(expected(made, team="billing"))
    page = views.current_state.search(product="mobile", limit=2, offset=1)
    assert [row.complaint_id for row in page] == expected(made, product="mobile")[1:3]

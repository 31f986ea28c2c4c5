"""The report's figures agree whichever engine computes the lists to act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaintlog import ComplaintLog
from complaintlog.importing import PlanWriter
from complaintlog.report import load_policy, render_html, report_data, source, what_if
from complaintlog.simulation import Simulation

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def log() -> ComplaintLog:
    log = ComplaintLog("memory://", clock=lambda: NOW)
    writer = PlanWriter(log)
    for plan in Simulation(11, now=NOW).generate(120, start=NOW - timedelta(days=40)):
        writer.add(plan.checked(NOW))
    writer.flush()
    return log


def test_the_replay_engine_alone_gives_a_full_report(
    log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "_projections", lambda: None)
    data = report_data(log, policy=load_policy("default"))
    assert data.source.startswith("replay engine")
    assert data.complaints == 120
    assert sum(data.status_counts.values()) == 120
    assert data.breaches
    assert all(row.due < NOW for row in data.breaches)
    assert all(row.due >= NOW for row in data.at_risk)
    assert 'data-chart="received"' in render_html(data)
    diff = what_if(log, policy=load_policy("fca"), against=load_policy("cfpb"))
    assert set(diff.both) <= {row.complaint for row in diff.breaches}


def test_the_projection_lists_name_the_same_complaints(log: ComplaintLog) -> None:
    if source._projections() is None:
        pytest.skip("the projections package is not installed")
    data = report_data(log, policy=load_policy("default"))
    assert "SLA projection" in data.source
    refs = {f"sim:11:{n}" for n in range(1, 121)}
    assert {row.complaint for row in data.breaches} <= refs
    assert all(row.due < NOW for row in data.breaches)
    assert all(row.due >= NOW for row in data.at_risk)

"""The simulation: seeded, realistic, marked, and it never rewrites the source's facts."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, datetime, timedelta

from complaintlog import ComplaintLog
from complaintlog.data import CFPB_SAMPLE, bundled_csv
from complaintlog.importing import CFPB_18, CsvSource, PlanWriter, import_csv
from complaintlog.importing.simulation import Simulation

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _simulated_log(seed: int) -> ComplaintLog:
    log = ComplaintLog("memory://", clock=lambda: NOW)
    import_csv(log, bundled_csv(CFPB_SAMPLE), enrich=Simulation(seed, now=NOW).enrich)
    writer = PlanWriter(log)
    for plan in Simulation(seed, now=NOW).generate(100, start=NOW - timedelta(days=30)):
        writer.add(plan.checked(NOW))
    writer.flush()
    return log


@functools.cache
def _seven() -> ComplaintLog:
    return _simulated_log(7)


def _steps(seed: int) -> list[tuple[object, ...]]:
    simulation = Simulation(seed, now=NOW)
    plans = [CFPB_18.plan(row) for row in CsvSource.open(bundled_csv(CFPB_SAMPLE))]
    plans += list(simulation.generate(50, start=NOW - timedelta(days=30)))
    return [
        (plan.external_ref, step.command, step.at, step.actor, sorted(step.arguments.items()))
        for plan in plans
        for step in simulation.enrich(plan).steps
    ]


def test_the_same_seed_gives_the_same_steps() -> None:
    assert _steps(7) == _steps(7)
    assert _steps(7) != _steps(8)


def test_simulated_steps_cover_the_lifecycle_and_are_marked() -> None:
    log = _seven()
    kinds: Counter[str] = Counter()
    for notification in log.notifications():
        kinds[notification.topic.rsplit(".", 1)[-1]] += 1
    for kind in (
        "Acknowledged", "PromiseMade", "CustomerInformed", "Escalated", "Paused", "Resumed",
        "Resolved", "FollowedUp", "Surveyed", "Reopened", "Withdrawn",
    ):  # fmt: skip
        assert kinds[kind] > 0, kind
    complaint_id = log.find("cfpb:3790251")
    assert complaint_id is not None
    history = log.history(complaint_id)
    assert all(e.actor in {"import:cfpb", "simulation"} for e in history)
    assert [e.actor for e in history if e.event in {"Received", "Assigned"}] == ["import:cfpb"] * 2
    assert all(e.actor == "simulation" for e in history if e.event == "Acknowledged")
    assert all(e.occurred_at <= NOW for e in history)


def test_the_source_facts_survive_the_simulation() -> None:
    plain = ComplaintLog("memory://", clock=lambda: NOW)
    import_csv(plain, bundled_csv(CFPB_SAMPLE))
    simulated = _seven()
    for ref in ("cfpb:3790251", "cfpb:6569689", "cfpb:9224135"):
        before, after = plain.find(ref), simulated.find(ref)
        assert before is not None
        assert after is not None
        was, now = plain.get(before), simulated.get(after)
        assert (now.received_at, now.assignee, now.channel) == (
            was.received_at,
            was.assignee,
            was.channel,
        )
        assert now.resolutions[0].remedy is was.resolutions[0].remedy
        assert "Time simulated (seed 7)" in now.resolutions[0].summary


def test_generated_complaints_received_lately_are_still_open() -> None:
    log = ComplaintLog("memory://", clock=lambda: NOW)
    writer = PlanWriter(log)
    for plan in Simulation(3, now=NOW).generate(60, start=NOW - timedelta(days=3)):
        writer.add(plan.checked(NOW))
    writer.flush()
    views = [log.get(n.originator_id) for n in log.notifications() if n.topic.endswith(".Received")]
    assert len(views) == 60
    assert any(view.is_open for view in views)
    assert all(view.external_ref and view.external_ref.startswith("sim:3:") for view in views)

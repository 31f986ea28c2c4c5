"""The audit replay example runs, and its answers are the ones worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from team_lead_screen import ManualClock, changes_since, main

from complaintlog import ComplaintLog, Status


def test_the_example_runs(capsys: object) -> None:
    main()
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "as it happened: acknowledged" in out
    assert "as the screen showed it: received" in out


def test_changes_since_lists_only_what_was_recorded_later() -> None:
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = ManualClock(monday)
    with ComplaintLog(clock=clock) as log:
        cid = log.receive(customer={"id": "c"}, channel="web", subject="s", description="d")
        clock.now = monday + timedelta(days=1)
        log.acknowledge(cid, at=monday + timedelta(minutes=20), actor="agent-ivo")
        assert changes_since(log, cid, monday + timedelta(hours=8)) == [
            "Acknowledged (happened Mon 09:20, recorded Tue 09:00 by agent-ivo)"
        ]
        assert log.get(cid, as_known_at=monday + timedelta(hours=8)).status is Status.RECEIVED

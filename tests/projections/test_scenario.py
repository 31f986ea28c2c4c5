"""The written-down scenario on every store: hand-counted tables against the three views.

Times are UTC in the week of Monday 2 March 2026; business hours are Mon-Fri 09:00-17:00.
The expected values below were counted by hand from ``run_scenario`` (see conftest), not
computed by the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from complaintlog import ComplaintLog, Status
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import Projections, Rate

from .conftest import RecordingClock, Scenario, run_scenario, utc

H = timedelta(hours=1)


@pytest.fixture
def scenario(store_log: ComplaintLog, recording_clock: RecordingClock) -> Scenario:
    return run_scenario(store_log, recording_clock)


@pytest.fixture
def views(store_log: ComplaintLog, scenario: Scenario, policy: SlaPolicy) -> Iterator[Projections]:
    with Projections(store_log, policy=policy, batch_size=7) as projections:
        projections.catch_up()
        yield projections


def test_every_event_advances_every_position_including_the_external_reference(
    store_log: ComplaintLog, views: Projections
) -> None:
    # 21 complaint events (A 8, B 7, C 2, D 4) plus one
    # ExternalReference.Registered: the positions reach the last notification.
    assert store_log.max_position() == 22
    assert views.positions() == {"current_state": 22, "sla": 22, "statistics": 22}
    assert views.catch_up() == 0


def test_current_state_rows_now(views: Projections, scenario: Scenario) -> None:
    rows = {
        scenario.name(state.complaint_id): (
            state.status,
            state.assignee,
            state.team,
            state.cycle,
            state.promise_due,
            state.escalation_level,
            state.external_ref,
            state.version,
        )
        for complaint_id in (scenario.a, scenario.b, scenario.c, scenario.d)
        if (state := views.current_state.get(complaint_id)) is not None
    }
    assert rows == {
        "A": (Status.CLOSED, "ana", "billing", 1, None, None, "CRM-1", 8),
        "B": (Status.ESCALATED, None, None, 1, utc(5, 12), "supervisor", None, 7),
        "C": (Status.WITHDRAWN, None, None, 1, None, None, None, 2),
        "D": (Status.REOPENED, None, None, 2, None, None, None, 4),
    }


def test_current_state_lists_and_counts(views: Projections, scenario: Scenario) -> None:
    current = views.current_state
    assert [s.complaint_id for s in current.open()] == [scenario.b, scenario.d]
    assert [s.complaint_id for s in current.open(limit=1)] == [scenario.b]
    first = current.open(limit=1)[0]
    assert [s.complaint_id for s in current.open(after=current.cursor(first))] == [scenario.d]
    assert [s.complaint_id for s in current.open(offset=1)] == [scenario.d]
    assert [s.complaint_id for s in current.by_customer("C1")] == [scenario.a, scenario.c]
    assert [s.complaint_id for s in current.by_category(cause="billing")] == [
        scenario.a,
        scenario.c,
    ]
    assert [s.complaint_id for s in current.by_assignee("ana")] == [scenario.a]
    assert current.by_assignee("ana", open_only=True) == []
    assert [s.complaint_id for s in current.by_status("reopened")] == [scenario.d]
    assert current.counts_by_status() == {
        Status.CLOSED: 1,
        Status.ESCALATED: 1,
        Status.REOPENED: 1,
        Status.WITHDRAWN: 1,
    }
    assert current.count(open_only=True) == 2
    assert current.count(customer_id="C1") == 2


def test_current_state_as_of_a_past_business_time(views: Projections, scenario: Scenario) -> None:
    current = views.current_state
    wednesday_noon = utc(4, 12)
    # A closed by the follow-up at 10:00, B resumed at 12:00 (acknowledged, not yet
    # handled), C withdrawn at 10:00, D not yet received.
    assert current.counts_by_status(as_of=wednesday_noon) == {
        Status.ACKNOWLEDGED: 1,
        Status.CLOSED: 1,
        Status.WITHDRAWN: 1,
    }
    assert [s.complaint_id for s in current.open(as_of=wednesday_noon)] == [scenario.b]
    b_paused = current.get(scenario.b, as_of=utc(4, 11, 59))
    assert b_paused is not None
    assert b_paused.status is Status.PAUSED
    assert current.get(scenario.d, as_of=wednesday_noon) is None
    # Thursday 13:00: B acknowledged and promised, D reopened at 12:00
    assert [(s.status, s.cycle) for s in current.open(as_of=utc(5, 13))] == [
        (Status.IN_PROGRESS, 1),
        (Status.REOPENED, 2),
    ]
    assert current.count(status="closed", as_of=utc(3, 15)) == 0  # resolved, not followed up
    assert current.count(status="resolved", as_of=utc(3, 15)) == 1


def test_breaches_and_their_times(views: Projections, scenario: Scenario) -> None:
    friday_noon = utc(6, 12)
    breaches = [
        (scenario.name(c.complaint_id), c.target, c.breached_at, c.met_at)
        for c in views.sla.breaches(friday_noon)
    ]
    assert breaches == [
        ("B", "ack", utc(3, 10), utc(3, 11)),  # due Mon 16:00 + 2 business hours
        ("B", "keep_promise", utc(5, 12), utc(5, 14)),  # informed two hours late
        # 16 business hours from Mon 16:00 = Wed 16:00, moved by the pause Tue 12:00 to
        # Wed 12:00: the 12 business hours left then count from Wed 12:00
        ("B", "resolve", utc(5, 16), None),
    ]
    assert [c.target for c in views.sla.breaches(friday_noon, ongoing_only=True)] == ["resolve"]
    assert [c.target for c in views.sla.breaches(utc(4, 12))] == ["ack"]
    assert [c.target for c in views.sla.breaches(utc(3, 10, 30), ongoing_only=True)] == ["ack"]
    assert views.sla.breaches(utc(3, 10)) == []  # due at 10:00 is not yet late at 10:00
    assert views.sla.count_breaches(friday_noon) == 3
    assert views.sla.count_breaches(friday_noon, metric="promise") == 1


def test_pause_moves_the_resolve_clock_of_b(views: Projections, scenario: Scenario) -> None:
    resolve = next(c for c in views.sla.clocks(scenario.b) if c.target == "resolve")
    assert (resolve.started_at, resolve.due, resolve.warn_at, resolve.paused_total) == (
        utc(2, 16),
        utc(5, 16),
        # warning at 12 business hours: Wed 12:00 before the pause, moved like the due time
        utc(5, 12),
        8 * H,  # Tue 12:00-17:00 and Wed 09:00-12:00
    )


def test_clocks_as_of_a_past_time(views: Projections, scenario: Scenario) -> None:
    clocks = [
        (c.target, c.cycle, c.met_at, c.cancelled_at)
        for c in views.sla.clocks(scenario.d, as_of=utc(5, 11))
    ]
    assert clocks == [
        ("ack", 1, utc(5, 9, 30), None),
        ("resolve", 1, utc(5, 10), None),
        ("follow_up", 1, None, None),  # cancelled only at 12:00
        ("survey", 1, None, None),
    ]


def test_clocks_of_a_reopened_complaint(views: Projections, scenario: Scenario) -> None:
    clocks = [
        (c.target, c.cycle, c.due, c.met_at, c.cancelled_at) for c in views.sla.clocks(scenario.d)
    ]
    assert clocks == [
        ("ack", 1, utc(5, 11), utc(5, 9, 30), None),
        ("resolve", 1, utc(6, 17), utc(5, 10), None),
        ("follow_up", 1, utc(6, 10), None, utc(5, 12)),
        ("survey", 1, utc(7, 10), None, utc(5, 12)),
        ("resolve", 2, datetime(2026, 3, 9, 12, tzinfo=UTC), None, None),
    ]


def test_at_risk_promises_and_history(views: Projections, scenario: Scenario) -> None:
    # D's second resolve clock warns at 12 of 16 business hours: Fri 16:00
    assert [
        (scenario.name(c.complaint_id), c.target) for c in views.sla.at_risk(utc(6, 16, 30))
    ] == [("D", "resolve")]
    assert views.sla.at_risk(utc(6, 15)) == []
    # B's resolve clock warned at Thu 12:00 (moved by the pause), due Thu 16:00
    assert [(scenario.name(c.complaint_id), c.target) for c in views.sla.at_risk(utc(5, 13))] == [
        ("B", "resolve")
    ]
    # A's resolve clock, met Tue 15:00, was at risk from Tue 14:00 (12 business hours)
    assert [
        (scenario.name(c.complaint_id), c.target) for c in views.sla.at_risk(utc(3, 14, 30))
    ] == [("A", "resolve")]
    broken = views.sla.broken_promises(utc(6, 12), due_from=utc(1, 0), due_until=utc(6, 0))
    assert [(scenario.name(c.complaint_id), c.due) for c in broken] == [("B", utc(5, 12))]
    assert views.sla.broken_promises(utc(5, 11)) == []
    late = views.sla.breach_history(utc(6, 12))
    assert [(c.target, c.met_at) for c in late] == [
        ("ack", utc(3, 11)),
        ("keep_promise", utc(5, 14)),
    ]


def test_monthly_statistics_by_cause(views: Projections) -> None:
    report = views.statistics.report(
        "month", utc(1, 0), datetime(2026, 4, 1, tzinfo=UTC), group_by="cause", as_of=utc(6, 17)
    )
    figures = {
        row.group: (
            row.received,
            row.resolved,
            row.withdrawn,
            row.open_at_end,
            row.acknowledge_median,
            row.resolve_median,
            row.escalated,
            row.reopened,
            row.repeat_complaints,
        )
        for row in report
    }
    assert figures == {
        "billing": (2, 1, 1, 0, 1 * H, 13 * H, Rate(0, 2), Rate(0, 1), 1),
        "delay": (1, 0, 0, 1, 3 * H, None, Rate(1, 1), Rate(0, 0), 0),
        "staff_attitude": (1, 1, 0, 1, 30 * H / 60, 1 * H, Rate(0, 1), Rate(1, 1), 0),
    }
    billing = next(row for row in report if row.group == "billing")
    assert billing.remedies == {"refund": 1}
    assert billing.compensation == {"EUR": Decimal("25.50")}
    assert billing.follow_up_confirmed == Rate(1, 1)
    assert billing.survey_mean == 4.0
    assert billing.survey_responses == Rate(1, 1)
    assert billing.promise_kept == Rate(1, 1)
    assert billing.sla_compliance == {
        "acknowledge": Rate(1, 1),
        "follow_up": Rate(1, 1),
        "promise": Rate(1, 1),
        "resolve": Rate(1, 1),
        "survey": Rate(1, 1),
    }
    delay = next(row for row in report if row.group == "delay")
    assert delay.sla_compliance == {
        "acknowledge": Rate(0, 1),
        "promise": Rate(0, 1),
        "resolve": Rate(0, 1),
    }
    assert delay.escalation_levels == {"supervisor": 1}
    staff = next(row for row in report if row.group == "staff_attitude")
    # cycle 1 resolved on time; the cancelled follow-up and survey clocks count for nothing
    assert staff.sla_compliance == {"acknowledge": Rate(1, 1), "resolve": Rate(1, 1)}
    assert staff.survey_responses == Rate(0, 1)


def test_monthly_totals_with_exact_percentiles(views: Projections) -> None:
    (march,) = views.statistics.monthly(utc(1, 0), utc(31, 0), as_of=utc(6, 17))
    assert (march.period, march.group, march.received, march.resolved, march.open_at_end) == (
        "2026-03",
        None,
        4,
        2,
        2,
    )
    # acknowledged after 30 min (D), 1 h (A), 3 h (B): median 1 h, p90 (nearest rank 3) 3 h
    assert (march.acknowledge_median, march.acknowledge_p90) == (1 * H, 3 * H)
    # resolved after 1 h (D) and 13 h (A): median 7 h (mean of the two), p90 13 h
    assert (march.resolve_median, march.resolve_p90) == (7 * H, 13 * H)


def test_daily_statistics(views: Projections) -> None:
    days = views.statistics.report("day", utc(2, 0), utc(7, 0), as_of=utc(6, 17))
    assert [(d.period, d.received, d.resolved, d.withdrawn, d.open_at_end) for d in days] == [
        ("2026-03-02", 2, 0, 0, 2),
        ("2026-03-03", 0, 1, 0, 1),
        ("2026-03-04", 1, 0, 1, 1),
        ("2026-03-05", 1, 1, 0, 2),
        ("2026-03-06", 0, 0, 0, 2),
    ]


def test_as_known_at_leaves_out_the_late_entry(views: Projections, scenario: Scenario) -> None:
    friday_nine = utc(6, 9)
    # As of Friday 09:00 B had been escalated (Thursday 14:30)...
    b_as_of = views.current_state.get(scenario.b, as_of=friday_nine)
    assert b_as_of is not None
    assert b_as_of.status is Status.ESCALATED
    # ...but the escalation was recorded only at Friday 10:00: the screens showed otherwise.
    with views.as_known_at(friday_nine) as known:
        b_known = known.current_state.get(scenario.b)
        assert b_known is not None
        assert b_known.status is Status.IN_PROGRESS
        assert known.current_state.count(status="escalated") == 0
        b_known_as_of = known.current_state.get(scenario.b, as_of=friday_nine)
        assert b_known_as_of is not None
        assert b_known_as_of.status is Status.IN_PROGRESS
        assert [c.target for c in known.sla.breaches(friday_nine)] == [
            "ack",
            "keep_promise",
            "resolve",
        ]


def test_what_if_a_calendar_clock_policy(
    store_log: ComplaintLog, views: Projections, scenario: Scenario, policy: SlaPolicy
) -> None:
    from complaintlog.domain.calendar import BusinessCalendar

    around_the_clock = policy.with_calendar(BusinessCalendar.always("UTC"))
    result = views.what_if(around_the_clock, utc(6, 12))
    # Counting every hour: A's resolve clock (16 h from Mon 10:00) is due Tue 02:00 and was
    # met Tue 15:00; A's follow-up (8 h from Tue 15:00) is due Tue 23:00, met Wed 10:00;
    # D's second resolve clock (16 h from Thu 12:00) is due Fri 04:00: newly breaching.
    # B's ack (due Mon 18:00), promise and resolve (due Tue 08:00, before the pause began,
    # so the pause does not move it) breach under both; nothing stops breaching.
    assert sorted((scenario.name(c.complaint_id), c.target) for c in result.newly_breaching) == [
        ("A", "follow_up"),
        ("A", "resolve"),
        ("D", "resolve"),
    ]
    assert result.no_longer_breaching == ()
    assert result.complaints_newly_breaching == frozenset({scenario.a, scenario.d})
    # the stored view is untouched
    assert views.sla.count_breaches(utc(6, 12)) == 3

"""SLA clock rules, one behaviour each, on small hand-checked histories (office hours
Mon-Fri 09:00-17:00 UTC; 2 March 2026 is a Monday)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy, SlaTarget
from complaintlog.projections import Projections
from complaintlog.projections._store import compose
from complaintlog.projections.statistics import median, percentile, periods

from .conftest import OFFICE, utc

LATER = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def log() -> Iterator[ComplaintLog]:
    with ComplaintLog("memory://", clock=lambda: LATER) as complaint_log:
        yield complaint_log


def receive(log: ComplaintLog, at: datetime) -> UUID:
    return log.receive(customer={"id": "C"}, channel="email", subject="s", description="d", at=at)


def clocks(log: ComplaintLog, policy: SlaPolicy, cid: UUID) -> list[tuple[object, ...]]:
    with Projections(log, policy=policy) as views:
        views.catch_up()
        return [
            (c.target, c.due, c.met_at, c.cancelled_at, c.breached_at)
            for c in views.sla.clocks(cid)
        ]


def test_a_new_promise_made_while_one_is_open_supersedes_it(
    log: ComplaintLog, policy: SlaPolicy
) -> None:
    cid = receive(log, utc(2, 9))
    log.make_promise(cid, promise="call", due=utc(3, 12), at=utc(2, 10))
    log.make_promise(cid, promise="call again", due=utc(4, 12), at=utc(3, 11))
    promises = [c for c in clocks(log, policy, cid) if c[0] == "keep_promise"]
    assert promises == [
        ("keep_promise", utc(3, 12), None, utc(3, 11), None),
        ("keep_promise", utc(4, 12), None, None, utc(4, 12)),
    ]


def test_a_promise_past_due_is_not_superseded_but_broken(
    log: ComplaintLog, policy: SlaPolicy
) -> None:
    cid = receive(log, utc(2, 9))
    log.make_promise(cid, promise="call", due=utc(3, 12), at=utc(2, 10))
    log.make_promise(cid, promise="call again", due=utc(4, 12), at=utc(3, 13))
    log.inform(cid, message="done", at=utc(3, 14))
    promises = [c for c in clocks(log, policy, cid) if c[0] == "keep_promise"]
    assert promises == [
        ("keep_promise", utc(3, 12), utc(3, 14), None, utc(3, 12)),  # kept late
        ("keep_promise", utc(4, 12), utc(3, 14), None, None),
    ]


def test_a_withdrawal_cancels_running_clocks_but_not_a_past_breach(
    log: ComplaintLog, policy: SlaPolicy
) -> None:
    cid = receive(log, utc(2, 9))  # ack due Mon 11:00
    log.withdraw(cid, at=utc(2, 12))
    assert clocks(log, policy, cid) == [
        ("ack", utc(2, 11), None, utc(2, 12), utc(2, 11)),
        ("resolve", utc(3, 17), None, utc(2, 12), None),
    ]


def test_an_early_survey_is_neither_compliant_nor_a_breach(
    log: ComplaintLog, policy: SlaPolicy
) -> None:
    cid = receive(log, utc(2, 9))
    log.resolve(cid, remedy="apology", summary="sorry", first_contact=True, at=utc(2, 10))
    log.record_survey(cid, score=5, at=utc(2, 12))  # before 24 h had passed
    with Projections(log, policy=policy) as views:
        views.catch_up()
        survey = next(c for c in views.sla.clocks(cid) if c.target == "survey")
        assert (survey.not_before, survey.met_at, survey.breached_at) == (
            utc(3, 10),
            utc(2, 12),
            None,
        )
        (march,) = views.statistics.monthly(utc(1, 0), utc(31, 0), as_of=utc(6, 0))
        assert march.sla_compliance["survey"].part == 0
        assert march.sla_compliance["survey"].whole == 1


def test_a_pause_after_the_due_time_does_not_undo_the_breach(
    log: ComplaintLog, policy: SlaPolicy
) -> None:
    cid = receive(log, utc(2, 9))  # ack due Mon 11:00
    log.pause(cid, reason="waiting", at=utc(2, 12))
    log.resume(cid, at=utc(3, 12))
    ack = next(c for c in clocks(log, policy, cid) if c[0] == "ack")
    assert ack == ("ack", utc(2, 11), None, None, utc(2, 11))


def test_a_paused_clock_stands_still_and_never_breaches_while_paused(
    log: ComplaintLog, policy: SlaPolicy
) -> None:
    cid = receive(log, utc(2, 9))  # resolve due Tue 17:00 (16 business hours)
    log.acknowledge(cid, at=utc(2, 9, 30))
    log.pause(cid, reason="waiting", at=utc(2, 13))
    with Projections(log, policy=policy) as views:
        views.catch_up()
        resolve = next(c for c in views.sla.clocks(cid) if c.target == "resolve")
        assert (resolve.due, resolve.paused_since, resolve.breached_at) == (
            utc(3, 17),
            utc(2, 13),
            None,
        )
        assert views.sla.breaches(utc(20, 12)) == []
        # at risk from 12 business hours (Tue 13:00) on, but it paused at Mon 13:00 before that
        assert views.sla.at_risk(utc(5, 12)) == []


def test_calendar_clock_targets_count_nights_and_weekends(log: ComplaintLog) -> None:
    policy = SlaPolicy(
        "calendar",
        (SlaTarget("resolve", "resolve", timedelta(days=2), clock="calendar"),),
        OFFICE,
    )
    cid = receive(log, utc(6, 16))  # a Friday
    log.pause(cid, reason="waiting", at=utc(7, 10))
    log.resume(cid, at=utc(7, 16))
    resolve = clocks(log, policy, cid)
    assert resolve == [("resolve", utc(8, 22), None, None, utc(8, 22))]  # 48 h + 6 h paused


def test_percentiles_and_medians_are_exact() -> None:
    assert median([1, 2, 3, 10]) == 2  # (2 + 3) // 2
    assert median([5]) == 5
    assert median([]) is None
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 12)), 0.9) == 10
    assert percentile([7], 0.9) == 7


def test_period_labels_in_the_report_time_zone() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Zagreb")
    labels = [p[0] for p in periods("week", utc(1, 0), utc(10, 0), zone)]
    assert labels == ["2026-W09", "2026-W10", "2026-W11"]
    quarters = periods("quarter", datetime(2025, 12, 31, tzinfo=UTC), utc(1, 0), zone)
    assert [(p[0], p[1].isoformat()) for p in quarters] == [
        ("2025-Q4", "2025-10-01T00:00:00+02:00"),
        ("2026-Q1", "2026-01-01T00:00:00+01:00"),
    ]


def test_sql_fragments_with_quotes_or_comments_are_refused() -> None:
    assert compose("SELECT {column} FROM t", column="status") == "SELECT status FROM t"
    for fragment in ("x'; DROP TABLE t", "x -- y", 'x"', "x /* y */"):
        with pytest.raises(ValueError, match="SQL fragment"):
            compose("SELECT {column} FROM t", column=fragment)

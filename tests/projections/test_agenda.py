"""The agenda, derived by hand from a written scenario, on memory, SQLite and PostgreSQL.

The policy works Monday to Friday 09:00-17:00 UTC, so every due time below is counted by
hand: acknowledge within 2 working hours, resolve within 3 working days (24 h), keep each
promise by its time (pauses do not move it), follow up within 16 working hours, send the
survey 24 to 48 hours after the resolution (calendar time).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import attrs
import pytest

from complaintlog import ComplaintLog, InvalidValueError
from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import SlaPolicy, SlaTarget
from complaintlog.projections import AgendaAction, AgendaItem, Projections

from .conftest import dump


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026 (the 2nd is a Monday, the 4th a Wednesday)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


END_OF = {day: at(day, 23, 59) for day in range(1, 32)}

POLICY = SlaPolicy(
    "agenda test",
    (
        SlaTarget("ack", "acknowledge", timedelta(hours=2)),
        SlaTarget("resolve", "resolve", timedelta(hours=24)),
        SlaTarget("keep_promise", "promise", timedelta(0), pauses_stop_clock=False),
        SlaTarget("follow_up", "follow_up", timedelta(hours=16)),
        SlaTarget(
            "survey",
            "survey",
            timedelta(hours=48),
            clock="calendar",
            not_before=timedelta(hours=24),
            pauses_stop_clock=False,
        ),
    ),
    BusinessCalendar("UTC", {day: [(time(9), time(17))] for day in range(5)}),
)


@pytest.fixture
def views(any_log: ComplaintLog) -> Iterator[Projections]:
    with Projections(any_log, policy=POLICY) as projections:
        yield projections


def shown(items: list[AgendaItem]) -> list[tuple[str, str, datetime, bool, str | None]]:
    return [(i.external_ref or "", i.action.value, i.due, i.overdue, i.assignee) for i in items]


def received(log: ComplaintLog, ref: str, when: datetime) -> object:
    return log.receive(
        customer={"id": "C-" + ref},
        channel="web",
        subject="Bill",
        description="Charged twice",
        external_ref=ref,
        at=when,
    )


def test_a_promise_on_the_agenda_of_its_day(any_log: ComplaintLog, views: Projections) -> None:
    log = any_log
    a = received(log, "A", at(2, 10))
    log.assign(a, assignee="ana", team="billing", at=at(2, 10, 30))
    log.acknowledge(a, at=at(2, 11))
    promise = log.make_promise(a, promise="Call back", due=at(4, 12), at=at(3, 15))
    views.catch_up()

    # Wednesday morning: the call-back is due today, not yet overdue; the resolution
    # (received Monday 10:00 + 24 working hours = Thursday 10:00) is not due today.
    wednesday = views.agenda.due(as_of=at(4, 8), until=END_OF[4], assignee="ana")
    assert shown(wednesday) == [("A", "inform", at(4, 12), False, "ana")]
    [item] = wednesday
    assert (item.source, item.promise_id, item.team) == ("promise", promise, "billing")
    assert views.agenda.due(as_of=at(4, 8), until=END_OF[4], assignee="bruno") == []
    assert views.agenda.due(as_of=at(4, 8), until=END_OF[4], team="billing") == wednesday
    assert shown(views.agenda.due(as_of=at(4, 8), until=END_OF[5], assignee="ana")) == [
        ("A", "inform", at(4, 12), False, "ana"),
        ("A", "resolve", at(5, 10), False, "ana"),
    ]

    # After 12:00 it is overdue, and stays on the agenda until the customer is informed.
    assert shown(views.agenda.due(as_of=at(4, 12, 30), assignee="ana")) == [
        ("A", "inform", at(4, 12), True, "ana")
    ]
    log.inform(a, message="Called back", at=at(4, 13))
    views.catch_up()
    assert views.agenda.due(as_of=at(4, 13, 30), until=END_OF[4], assignee="ana") == []
    # As of 9:00 the agenda answers as it stood then.
    assert shown(views.agenda.due(as_of=at(4, 9), until=END_OF[4], assignee="ana")) == [
        ("A", "inform", at(4, 12), False, "ana")
    ]
    assert views.agenda.due(as_of=at(4, 12, 30), assignee="ana")[0].overdue

    # A rebuild from the log answers the same.
    views.rebuild()
    assert shown(views.agenda.due(as_of=at(4, 9), until=END_OF[4], assignee="ana")) == [
        ("A", "inform", at(4, 12), False, "ana")
    ]
    assert views.agenda.due(as_of=at(4, 13, 30), until=END_OF[4], assignee="ana") == []


def test_a_kept_promise_is_still_on_the_agenda_as_of_before_it_was_kept(
    any_log: ComplaintLog, views: Projections
) -> None:
    log = any_log
    b = received(log, "B", at(2, 9))
    log.assign(b, assignee="ana", at=at(2, 9))
    log.acknowledge(b, at=at(2, 9, 30))
    log.make_promise(b, promise="Call back", due=at(4, 12), at=at(3, 9))
    log.inform(b, message="Called", at=at(4, 11))
    views.catch_up()
    assert shown(views.agenda.due(as_of=at(4, 9), until=END_OF[4], assignee="ana")) == [
        ("B", "inform", at(4, 12), False, "ana"),
        ("B", "resolve", at(4, 17), False, "ana"),  # Monday 09:00 + 24 working hours
    ]
    assert shown(views.agenda.due(as_of=at(4, 11), until=END_OF[4], assignee="ana")) == [
        ("B", "resolve", at(4, 17), False, "ana")
    ]


def test_every_action_comes_and_goes(any_log: ComplaintLog, views: Projections) -> None:
    log = any_log
    c = received(log, "C", at(2, 10))
    views.catch_up()
    # Unassigned and unacknowledged: due Monday 12:00, overdue after.
    assert shown(views.agenda.due(as_of=at(2, 13), actions=["acknowledge"])) == [
        ("C", "acknowledge", at(2, 12), True, None)
    ]
    log.assign(c, assignee="ana", team="billing", at=at(2, 13))
    log.acknowledge(c, at=at(2, 14))
    # Two promises alongside each other: two items, each by its own time.
    call = log.make_promise(c, promise="Call back", due=at(3, 12), at=at(2, 15))
    letter = log.make_promise(
        c, promise="Written answer", due=at(4, 12), alongside=True, at=at(2, 15, 5)
    )
    # Reassigned on Tuesday 10:00: before, the items were ana's; after, bruno's.
    log.assign(c, assignee="bruno", team="billing", at=at(3, 10))
    views.catch_up()
    informs = views.agenda.due(as_of=at(2, 16), until=END_OF[4], actions=[AgendaAction.INFORM])
    assert [(i.promise_id, i.due, i.assignee) for i in informs] == [
        (call, at(3, 12), "ana"),
        (letter, at(4, 12), "ana"),
    ]
    assert views.agenda.due(as_of=at(3, 11), until=END_OF[4], assignee="ana") == []
    assert len(views.agenda.due(as_of=at(3, 11), until=END_OF[5], assignee="bruno")) == 3
    log.inform(c, message="Called", promise_id=call, at=at(3, 11, 30))
    # A pause waiting for the customer stops the resolution clock: the item leaves the
    # agenda; the promise's clock runs on.
    log.pause(c, reason="Waiting for the bank statement", at=at(3, 12))
    views.catch_up()
    during = views.agenda.due(as_of=at(3, 13), until=END_OF[9], assignee="bruno")
    assert shown(during) == [("C", "inform", at(4, 12), False, "bruno")]
    # Resumed Wednesday 09:00: 24 working hours from Monday 10:00, less the time from
    # Tuesday 12:00 to Wednesday 09:00 (5 working hours) = Thursday 15:00... counted:
    # Mon 10-17 (7) + Tue 9-12 (3) = 10 used, 14 left from Wed 09:00: Wed 8, Thu 6 -> 15:00.
    log.resume(c, at=at(4, 9))
    log.inform(c, message="Letter sent", promise_id=letter, at=at(4, 10))
    views.catch_up()
    assert shown(views.agenda.due(as_of=at(4, 10), until=END_OF[9], assignee="bruno")) == [
        ("C", "resolve", at(5, 15), False, "bruno")
    ]
    # Resolved Thursday 10:00: the survey window opens Friday 10:00 and closes Saturday
    # 10:00; the follow-up is due 16 working hours later: Thu 7 + Fri 8 + Mon 1 -> Mon 10:00.
    log.resolve(c, remedy="refund", summary="Refunded", at=at(5, 10))
    views.catch_up()
    assert shown(views.agenda.due(as_of=at(5, 12), until=END_OF[5], assignee="bruno")) == []
    friday = views.agenda.due(as_of=at(6, 11), until=END_OF[6], assignee="bruno")
    assert shown(friday) == [("C", "send_survey", at(7, 10), False, "bruno")]
    assert friday[0].opens == at(6, 10)
    assert shown(views.agenda.due(as_of=at(6, 11), until=END_OF[9], assignee="bruno")) == [
        ("C", "send_survey", at(7, 10), False, "bruno"),
        ("C", "follow_up", at(9, 10), False, "bruno"),
    ]
    log.send_survey(c, channel="email", at=at(6, 11))
    log.follow_up(c, solved=True, at=at(9, 9))
    views.catch_up()
    assert views.agenda.due(as_of=at(9, 9), until=END_OF[20]) == []
    assert len(views.agenda.due(as_of=at(6, 10, 30), until=END_OF[9])) == 2


def test_withdrawn_complaints_leave_and_breaches_filter_by_holder(
    any_log: ComplaintLog, views: Projections, clock: Any
) -> None:
    log = any_log
    clock.now = at(2, 9, 5)
    d = received(log, "D", at(2, 9))
    e = received(log, "E", at(2, 9))
    log.assign(d, assignee="ana", team="billing", at=at(2, 9))
    log.assign(e, assignee="bruno", team="loans", at=at(2, 9))
    views.catch_up()
    assert {i.external_ref for i in views.agenda.due(as_of=at(2, 12))} == {"D", "E"}
    assert [c.complaint_id for c in views.sla.breaches(at(2, 12), assignee="ana")] == [d]
    assert [c.complaint_id for c in views.sla.breaches(at(2, 12), team="loans")] == [e]
    assert views.sla.count_breaches(at(2, 12), assignee="bruno") == 1
    assert [c.complaint_id for c in views.sla.at_risk(at(2, 10, 45), assignee="bruno")] == [e]
    clock.now = at(2, 13, 5)
    log.withdraw(e, at=at(2, 13))
    views.catch_up()
    assert {i.external_ref for i in views.agenda.due(as_of=at(2, 14))} == {"D"}
    assert {i.external_ref for i in views.agenda.due(as_of=at(2, 12))} == {"D", "E"}
    assert len(views.agenda.due(as_of=at(2, 14), limit=1)) == 1
    with views.as_known_at(at(2, 12)) as then:  # before the withdrawal was recorded
        assert {i.external_ref for i in then.agenda.due(as_of=at(2, 14))} == {"D", "E"}


def test_bad_questions_are_refused(views: Projections) -> None:
    with pytest.raises(InvalidValueError) as naive:
        views.agenda.due(as_of=datetime(2026, 3, 2, 9))
    assert naive.value.field == "as_of"
    with pytest.raises(InvalidValueError) as backwards:
        views.agenda.due(as_of=at(3, 9), until=at(2, 9))
    assert backwards.value.field == "until"
    with pytest.raises(InvalidValueError) as action:
        views.agenda.due(as_of=at(3, 9), actions=["dance"])
    assert action.value.field == "actions"
    with pytest.raises(InvalidValueError):
        views.agenda.due(as_of=at(3, 9), limit=0)


def test_what_if_the_agenda_under_another_policy(any_log: ComplaintLog) -> None:
    """A throwaway view under another policy: the stored views are not touched."""
    from complaintlog.projections._store import SqliteViewStore

    received(any_log, "W", at(2, 10))
    slower = attrs.evolve(
        POLICY,
        name="slower",
        targets=tuple(
            attrs.evolve(t, within=timedelta(hours=4)) if t.name == "ack" else t
            for t in POLICY.targets
        ),
    )
    with Projections(any_log, policy=slower, store=SqliteViewStore(":memory:")) as other:
        other.catch_up()
        [item] = other.agenda.due(as_of=at(2, 15), actions=["acknowledge"])
    assert item.due == at(2, 14)  # 4 working hours from Monday 10:00


def test_a_stretch_of_no_length_is_replaced_by_the_one_started_at_its_moment(
    any_log: ComplaintLog, views: Projections
) -> None:
    # Paused and resumed at the same moment, caught up in between: the resolution item's
    # stretch before the pause ends where it began, and the one after the resume starts
    # there, with the same clock and start. The table has no key index to upsert by: the
    # catch-up must still leave one row for them, as a rebuild (one batch) does.
    log = any_log
    c = received(log, "Z", at(2, 10))
    log.pause(c, reason="Waiting for the bank statement", at=at(2, 10))
    views.catch_up()
    log.resume(c, at=at(2, 10))
    views.catch_up()
    caught_up = dump(views.store)
    views.rebuild()
    assert dump(views.store) == caught_up
    assert [i.action.value for i in views.agenda.due(as_of=at(2, 10), until=END_OF[5])] == [
        "acknowledge",
        "resolve",
    ]

"""Issue #14: PSD2 art. 101(2), a holding reply by day 15 moves the reply to its date.

A holding reply is a promise made with a ``delay_reason`` (why the final reply is late; its
``due`` is the date of the final reply). Every date below is counted by hand on the member
state's calendar, 09:00-17:00 on weekdays. Belgium (the preset's default), 2025: Whit
Monday 9 June and the National Day 21 July are holidays. A complaint received Monday 2 June
10:00: business days Tue 3 (1st) ... Fri 6 (4th), Tue 10 (5th) ... Fri 13 (8th), Mon 16
(9th) ... Fri 20 (13th), Mon 23 (14th), Tue 24 June (15th): the reply is due then, 17:00.
Then Wed 25 (16th) ... Fri 27 (18th), Mon 30 (19th), Tue 1 July (20th) ... Fri 4 (23rd),
Mon 7 (24th) ... Fri 11 (28th), Mon 14 (29th) ... Fri 18 (33rd), Tue 22 (34th), Wed 23
July (35th): a holding reply can move it to 23 July 17:00 at most.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from complaintlog import ComplaintLog, Projections, SlaPolicy, SlaTarget
from complaintlog.errors import InvalidValueError
from complaintlog.report.source import report_data

BRUSSELS = ZoneInfo("Europe/Brussels")
PSD2 = SlaPolicy.preset("psd2")


def brussels(month: int, day: int, hour: int = 17, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=BRUSSELS)


RECEIVED = brussels(6, 2, 10)
DAY_15 = brussels(6, 24)
DAY_35 = brussels(7, 23)
LATER = brussels(8, 29, 12)


def _complaint(log: ComplaintLog, ref: str) -> UUID:
    cid = log.receive(
        customer={"id": "c"},
        channel="email",
        subject="Card payment",
        description="Charged twice",
        external_ref=ref,
        at=RECEIVED,
    )
    log.acknowledge(cid, at=brussels(6, 3, 9))
    return cid


def _hold(log: ComplaintLog, cid: UUID, at: datetime, final: datetime) -> None:
    log.make_promise(
        cid,
        promise="Our final reply",
        due=final,
        delay_reason="The card scheme has not yet decided the chargeback",
        at=at,
    )


@pytest.fixture
def log() -> ComplaintLog:
    log = ComplaintLog(clock=lambda: LATER)
    on_time = _complaint(log, "ON-TIME")  # held on day 14, answered before the date given
    _hold(log, on_time, brussels(6, 20, 11), brussels(7, 16))
    log.resolve(on_time, remedy="refund", summary="Refunded", at=brussels(7, 15, 10))
    capped = _complaint(log, "CAPPED")  # held in time, with a date past day 35
    _hold(log, capped, brussels(6, 24, 16, 30), brussels(8, 1))
    log.resolve(capped, remedy="refund", summary="Refunded", at=brussels(7, 24, 10))
    late = _complaint(log, "LATE")  # the holding reply came after day 15
    _hold(log, late, brussels(6, 25, 9), brussels(7, 16))
    log.resolve(late, remedy="refund", summary="Refunded", at=brussels(7, 15, 10))
    plain = _complaint(log, "PLAIN")  # a call-back promise is no holding reply
    log.make_promise(plain, promise="Call back", due=brussels(7, 16), at=brussels(6, 20, 11))
    log.resolve(plain, remedy="refund", summary="Refunded", at=brussels(7, 15, 10))
    early = _complaint(log, "EARLY")  # a date before day 15 does not shorten the deadline
    _hold(log, early, brussels(6, 5, 11), brussels(6, 19))
    log.resolve(early, remedy="refund", summary="Refunded", at=brussels(6, 23, 10))
    still_open = _complaint(log, "OPEN")  # held on day 10, not answered yet
    _hold(log, still_open, brussels(6, 17, 11), brussels(7, 9))
    return log


def _reply_clocks(views: Projections, log: ComplaintLog) -> dict[str, tuple[datetime, bool]]:
    found = {}
    for ref in ("ON-TIME", "CAPPED", "LATE", "PLAIN", "EARLY", "OPEN"):
        cid = log.find(ref)
        assert cid is not None
        (clock,) = [c for c in views.sla.clocks(cid, as_of=LATER) if c.target == "reply"]
        found[ref] = (clock.due, clock.breached_at is not None)
    return found


def test_the_preset_extends_its_reply_target_by_a_holding_reply() -> None:
    (reply,) = PSD2.targets  # the 35-day hard limit is the reply's own limit now
    assert (reply.within, reply.holding_reply_limit) == (timedelta(days=15), timedelta(days=35))
    assert reply.due(RECEIVED, PSD2.calendar) == DAY_15
    assert reply.holding_limit(RECEIVED, PSD2.calendar) == DAY_35


def test_the_sla_view_moves_the_reply_to_the_date_of_a_timely_holding_reply(
    log: ComplaintLog,
) -> None:
    with Projections(log, policy=PSD2) as views:
        views.catch_up()
        assert _reply_clocks(views, log) == {
            "ON-TIME": (brussels(7, 16), False),
            "CAPPED": (DAY_35, True),  # resolved on the 36th business day
            "LATE": (DAY_15, True),
            "PLAIN": (DAY_15, True),
            "EARLY": (DAY_15, False),
            "OPEN": (brussels(7, 9), True),  # past the date it gave, still not answered
        }
        refs = {log.find(ref): ref for ref in ("CAPPED", "LATE", "PLAIN", "OPEN")}
        breaching = {
            refs.get(b.complaint_id) for b in views.sla.breaches(as_of=LATER, target="reply")
        }
        assert breaching == {"CAPPED", "LATE", "PLAIN", "OPEN"}
        # before the date its holding reply gave, the open complaint's reply is no breach
        still_open = log.find("OPEN")
        assert still_open is not None
        assert still_open not in {
            b.complaint_id for b in views.sla.breaches(as_of=brussels(7, 8), target="reply")
        }


def test_the_agenda_lists_the_reply_at_the_date_of_the_holding_reply() -> None:
    log = ComplaintLog(clock=lambda: LATER)
    cid = _complaint(log, "OPEN")
    _hold(log, cid, brussels(6, 17, 11), brussels(7, 9))
    with Projections(log, policy=PSD2) as views:
        views.catch_up()
        items = views.agenda.due(as_of=brussels(6, 25, 9), until=brussels(12, 31))
        assert [(i.target, i.due, i.overdue) for i in items if i.source == "target"] == [
            ("reply", brussels(7, 9), False)
        ]


def test_the_report_counts_what_the_holding_replies_allow(log: ComplaintLog) -> None:
    """Decided: ON-TIME and EARLY on time; CAPPED, LATE and PLAIN late, and OPEN, past the
    date its holding reply gave. Breaching now (what someone can still act on): OPEN's
    reply, and that holding reply itself, a promise broken."""
    data = report_data(log, policy=PSD2, as_of=LATER)
    assert sorted((row.complaint, row.target, row.due) for row in data.breaches) == [
        ("OPEN", "promise", brussels(7, 9)),
        ("OPEN", "reply", brussels(7, 9)),
    ]
    (resolve,) = [m for m in data.metrics if m.metric == "resolve"]
    assert resolve.targets == ("reply",)
    assert (resolve.decided, resolve.on_time, resolve.breaching_now) == (6, 2, 1)


def test_a_member_states_own_calendar_caps_the_holding_reply() -> None:
    """Germany, 2025: German Unity Day, Friday 3 October, is its only national holiday from
    late September to mid November (Reformation Day and All Saints' are regional). Received
    Wednesday 24 September 10:00: Thu 25 (1st), Fri 26 (2nd), Mon 29 (3rd), Tue 30 (4th),
    Wed 1 (5th), Thu 2 October (6th), Mon 6 (7th) ... Fri 10 (11th), Mon 13 (12th) ... Thu 16
    October (15th); Fri 17 (16th), 20-24 (17th-21st), 27-31 (22nd-26th), 3-7 November
    (27th-31st), Mon 10 (32nd) ... Thu 13 November (35th)."""
    policy = SlaPolicy.preset("psd2", country="DE")
    log = ComplaintLog(clock=lambda: datetime(2025, 12, 1, tzinfo=BRUSSELS))
    received = datetime(2025, 9, 24, 10, tzinfo=BRUSSELS)
    cid = log.receive(
        customer={"id": "c"}, channel="web", subject="s", description="d", at=received
    )
    log.acknowledge(cid, at=received + timedelta(hours=1))
    reply = policy.target("reply")
    assert reply.due(received, policy.calendar) == datetime(2025, 10, 16, 17, tzinfo=BRUSSELS)
    _hold(
        log,
        cid,
        datetime(2025, 10, 13, 12, tzinfo=BRUSSELS),
        datetime(2025, 11, 14, 17, tzinfo=BRUSSELS),
    )
    with Projections(log, policy=policy) as views:
        views.catch_up()
        (clock,) = [c for c in views.sla.clocks(cid) if c.target == "reply"]
        assert clock.due == datetime(2025, 11, 13, 17, tzinfo=BRUSSELS)


def test_holding_reply_limit_in_toml_and_its_errors() -> None:
    text = (
        'name = "p"\n[[targets]]\nname = "r"\nmetric = "resolve"\n'
        'within = "15 business days"\nholding_reply_limit = "35 business days"\n'
    )
    (target,) = SlaPolicy.from_toml(text).targets
    assert target.holding_reply_limit == timedelta(days=35)
    for change, field in [
        ('"35 business days"', "holding_reply_limit"),
        ('"280h"', "holding_reply_limit"),  # written unlike within
        ('"10 business days"', "holding_reply_limit"),  # not above within
    ]:
        broken = text.replace('"35 business days"', change) if change != text else text
        if change == '"35 business days"':
            broken = broken.replace('metric = "resolve"', 'metric = "acknowledge"')
        with pytest.raises(InvalidValueError) as caught:
            SlaPolicy.from_toml(broken)
        assert caught.value.field.endswith(field), caught.value
    with pytest.raises(InvalidValueError, match="holding_reply_limit"):
        SlaTarget("r", "resolve", timedelta(hours=10), holding_reply_limit=timedelta(hours=5))


def test_a_promise_records_its_delay_reason() -> None:
    log = ComplaintLog(clock=lambda: LATER)
    cid = _complaint(log, "X")
    _hold(log, cid, brussels(6, 20, 11), brussels(7, 16))
    (made,) = [e for e in log.history(cid) if e.event == "PromiseMade"]
    assert made.payload["delay_reason"] == "The card scheme has not yet decided the chargeback"
    with pytest.raises(InvalidValueError, match="delay_reason"):
        log.make_promise(cid, promise="p", due=brussels(7, 16), delay_reason=3, at=LATER)  # type: ignore[arg-type]

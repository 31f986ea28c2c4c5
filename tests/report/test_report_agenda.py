"""The report carries the agenda of its date: what is due by the end of that day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from complaintlog import ComplaintLog
from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import SlaPolicy, SlaTarget
from complaintlog.report import render_html, report_data

POLICY = SlaPolicy(
    "report agenda",
    (
        SlaTarget("ack", "acknowledge", timedelta(hours=2)),
        SlaTarget("resolve", "resolve", timedelta(hours=40)),
        SlaTarget("keep_promise", "promise", timedelta(0)),
    ),
    BusinessCalendar("UTC", {day: [(time(9), time(17))] for day in range(5)}),
)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2026; the 2nd is a Monday."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_the_report_shows_the_agenda_of_its_date(log: ComplaintLog) -> None:
    complaint_id = log.receive(
        customer={"id": "C-1"},
        channel="web",
        subject="Bill",
        description="Charged twice",
        external_ref="REF-9",
        at=utc(2, 9),
    )
    log.assign(complaint_id, assignee="ana", team="billing", at=utc(2, 9))
    log.acknowledge(complaint_id, at=utc(2, 10))
    log.make_promise(complaint_id, promise="Call back", due=utc(4, 12), at=utc(3, 9))
    data = report_data(log, policy=POLICY, as_of=utc(4, 13))
    # the promise (Wednesday 12:00) is overdue at 13:00; the resolution (40 working hours
    # from Monday 09:00: Friday 17:00) is not due that day
    assert [(r.complaint, r.action, r.due, r.assignee, r.overdue) for r in data.agenda] == [
        ("REF-9", "inform", utc(4, 12), "ana", True)
    ]
    page = render_html(data)
    assert 'data-table="agenda"' in page
    assert "Agenda of 2026-03-04" in page
    assert "REF-9" in page.split('data-table="agenda"')[1].split("</table>")[0]

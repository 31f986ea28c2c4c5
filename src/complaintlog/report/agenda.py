"""The agenda as handlers read it: grouped for a table, and as iCalendar to-dos.

``groups`` sorts items into overdue / due today / later (today in the policy's time
zone); ``to_ics`` writes one ``VTODO`` per item with the ``icalendar`` package, its ``DUE``
in UTC and a ``UID`` stable across runs (the complaint and the action), so a calendar
program that subscribes to the file updates its to-dos instead of duplicating them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, tzinfo

from icalendar import Calendar, Todo

from complaintlog.projections import AgendaItem, AgendaView
from complaintlog.report.data import AgendaRow

__all__ = ["GROUPS", "agenda_rows", "groups", "to_ics"]

GROUPS = ("overdue", "due today", "later")


def groups(
    items: Sequence[AgendaItem], as_of: datetime, zone: tzinfo
) -> dict[str, list[AgendaItem]]:
    """Overdue (due before ``as_of``), due today (on ``as_of``'s day in ``zone``), later."""
    today = as_of.astimezone(zone).date()
    grouped: dict[str, list[AgendaItem]] = {name: [] for name in GROUPS}
    for item in items:
        if item.overdue:
            grouped["overdue"].append(item)
        elif item.due.astimezone(zone).date() == today:
            grouped["due today"].append(item)
        else:
            grouped["later"].append(item)
    return grouped


def _summary(item: AgendaItem) -> str:
    what = item.action.value.replace("_", " ")
    return f"{what}: {item.external_ref or item.complaint_id}"


def to_ics(items: Sequence[AgendaItem], stamp: datetime) -> bytes:
    """An iCalendar file (RFC 5545) with one ``VTODO`` per item; ``stamp`` is its DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", "-//complaintlog//agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "complaintlog agenda")
    stamped = stamp.astimezone(UTC)
    for item in items:
        todo = Todo()
        todo.add("uid", item.uid)
        todo.add("dtstamp", stamped)
        todo.add("summary", _summary(item))
        todo.add("due", item.due.astimezone(UTC))
        if item.opens is not None:
            todo.add("dtstart", item.opens.astimezone(UTC))
        todo.add("status", "NEEDS-ACTION")
        todo.add("categories", [item.action.value])
        todo.add("priority", 1 if item.overdue else 5)
        lines = [
            f"complaint {item.complaint_id}",
            f"action {item.action.value} ({item.source}: {item.target})",
            f"assignee {item.assignee or '-'}, team {item.team or '-'}",
        ]
        if item.promise_id is not None:
            lines.append(f"promise {item.promise_id}")
        todo.add("description", "\n".join(lines))
        calendar.add_component(todo)
    ical: bytes = calendar.to_ical()
    return ical


def agenda_rows(
    agenda: AgendaView, as_of: datetime, zone: tzinfo, tenant: str | None = None
) -> list[AgendaRow]:
    """The report's agenda: what is due by the end of ``as_of``'s day in ``zone`` (of
    ``tenant``'s complaints, if given)."""
    day_end = datetime.combine(as_of.astimezone(zone).date(), time.max, tzinfo=zone)
    return [
        AgendaRow(
            complaint=item.external_ref or str(item.complaint_id),
            action=item.action.value,
            due=item.due,
            assignee=item.assignee,
            team=item.team,
            overdue=item.overdue,
        )
        for item in agenda.due(as_of=as_of, until=max(day_end, as_of), tenant=tenant)
    ]

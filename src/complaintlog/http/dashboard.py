"""The team lead's page, server-rendered with Jinja2: no build step, no script needed.

``GET /`` shows what is due and who is behind (breaches and clocks at risk per person),
the week's intake and resolutions (the report's chart code), and a search by reference;
``/ui/complaints`` lists complaints and ``/ui/complaints/{id}`` is one complaint's
timeline: business time beside recording time, the promises, the SLA clocks. ``?tenant=T``
narrows the page, the agenda and the list to one tenant's complaints, measured and shown
under that tenant's policy; a reader whose roles cover some tenants only sees theirs (the
page of figures of one of them, as ``/statistics``). Every link and form works without
JavaScript; a few lines of script refresh the agenda in place.
Nothing here shows a customer's personal data once it is erased: names and texts come
from the log, which reads them as erased.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import attrs
import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from complaintlog.domain.status import Status
from complaintlog.http.agenda import AgendaItem, agenda_items
from complaintlog.http.context import Reader, reader
from complaintlog.http.security import figures_tenant, readable, readable_row, tenant_filter
from complaintlog.projections import ComplaintState, CurrentStateView, Projections
from complaintlog.report import render_chart, report_data
from complaintlog.report.scope import TenantScope

__all__ = ["dashboard_routes"]

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("complaintlog.http", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
Read = Annotated[Reader, Depends(reader)]
Tenant = Annotated[
    str | None, Query(max_length=64, description="Only this tenant's complaints, under its policy")
]
_PAGE = 50
_SCAN = 200
"""Complaints read at a time while looking for a page of readable ones."""
_AGENDA = 30
"""Agenda items shown on the page, soonest due first (the API has them all)."""


def _when(moment: datetime | None, zone: Any) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def _scope(views: Projections, tenant: str | None) -> TenantScope:
    """The views' policies and the one tenant asked for (a malformed name refused)."""
    return TenantScope.of(views.policies, tenant=tenant or None)


def _figures_scope(read: Reader, views: Projections, tenant: str | None) -> TenantScope:
    """The tenant whose figures and agenda the page shows: as asked, or the reader's only
    one; a tenant the reader may not read is refused."""
    return _scope(views, figures_tenant(read.access, tenant or None))


def _render(
    request: Request, template: str, views: Projections, tenant: str | None = None, **values: Any
) -> HTMLResponse:
    scope = _scope(views, tenant)
    zone = scope.policy.calendar.time_zone if scope.tenant else views.statistics.time_zone

    def when(moment: datetime | None) -> str:
        return _when(moment, zone)

    page = _env.get_template(template).render(
        request=request, zone=str(zone), when=when, tenant=scope.tenant or "", **values
    )
    return HTMLResponse(page)


def _summary(payload: dict[str, Any]) -> str:
    """An event's payload in one short line: ``key: value`` pairs, long values cut."""
    parts = []
    for key, value in payload.items():
        if value in (None, "", [], {}, ()):
            continue
        text = (
            ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, False))
            if isinstance(value, dict)
            else str(value)
        )
        parts.append(f"{key}: {text if len(text) <= 80 else text[:77] + '...'}")
    return "; ".join(parts)


def _by_person(items: list[AgendaItem]) -> list[dict[str, Any]]:
    """Who is behind: overdue and at-risk counts per assignee, most overdue first."""
    people: dict[str, dict[str, Any]] = defaultdict(lambda: {"overdue": 0, "at_risk": 0})
    for item in items:
        person = people[item.assignee or "(unassigned)"]
        person["overdue" if item.overdue else "at_risk"] += 1
    rows = [{"assignee": name, **counts} for name, counts in people.items()]
    return sorted(rows, key=lambda row: (-row["overdue"], -row["at_risk"], row["assignee"]))


def _agenda(read: Reader, views: Projections, scope: TenantScope) -> dict[str, Any]:
    now = read.services.log.clock()
    due = agenda_items(views, now, tenant=scope.tenant)
    items = [i for i in due if readable_row(read.access, i.team, scope.tenant or "")]
    return {"now": now, "items": items[:_AGENDA], "total": len(items), "people": _by_person(items)}


def _readable_rows(
    read: Reader, views: Projections, wanted: int, **filters: Any
) -> list[ComplaintState]:
    """The first ``wanted`` complaints of the list that the reader may see: read on, page
    after page, past those of teams or tenants they may not (a page is never cut short by
    them)."""
    found: list[ComplaintState] = []
    after = None
    while len(found) < wanted:
        rows = views.current_state.search(**filters, limit=_SCAN, after=after)
        found.extend(row for row in rows if readable_row(read.access, row.team, row.tenant))
        if len(rows) < _SCAN:
            break
        after = CurrentStateView.cursor(rows[-1])
    return found[:wanted]


def dashboard_routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse, name="dashboard")
    def dashboard(request: Request, read: Read, tenant: Tenant = None) -> HTMLResponse:
        log = read.services.log
        with read.services.caught_up() as views:
            scope = _figures_scope(read, views, tenant)
            agenda = _agenda(read, views, scope)
            now = agenda["now"]
            week = report_data(
                log,
                policy=views.policy,
                tenant_policies=views.tenant_policies,
                tenant=scope.tenant,
                period="day",
                by="team",
                since=now - timedelta(days=6),
                views=views,
            )
            counts = views.current_state.counts_by_status(tenant=scope.tenant)
            return _render(
                request,
                "dashboard.html",
                views,
                scope.tenant,
                **agenda,
                charts=[render_chart(week, "intake"), render_chart(week, "sla-now")],
                counts={status.value: n for status, n in counts.items()},
                policy=scope.name,
            )

    @router.get("/ui/agenda", response_class=HTMLResponse, name="agenda_fragment")
    def agenda_fragment(request: Request, read: Read, tenant: Tenant = None) -> HTMLResponse:
        with read.services.caught_up() as views:
            scope = _figures_scope(read, views, tenant)
            agenda = _agenda(read, views, scope)
            return _render(request, "agenda.html", views, scope.tenant, **agenda)

    @router.get("/ui/search", name="search")
    def search(
        request: Request, read: Read, ref: Annotated[str, Query(max_length=200)] = ""
    ) -> Response:
        log = read.services.log
        found = log.find(ref.strip()) if ref.strip() else None
        # another tenant's complaint is not found: its id is not told by a redirect
        if found is not None and read.access.may_read_tenant(log.get(found).tenant):
            return RedirectResponse(request.url_for("timeline", complaint_id=found), 303)
        with read.services.caught_up() as views:
            response = _render(request, "not_found.html", views, ref=ref)
        response.status_code = 404
        return response

    @router.get("/ui/complaints", response_class=HTMLResponse, name="complaints")
    def complaints(
        request: Request,
        read: Read,
        status: Status | None = None,
        assignee: Annotated[str | None, Query(max_length=200)] = None,
        page: Annotated[int, Query(ge=0, le=10_000)] = 0,
        tenant: Tenant = None,
    ) -> HTMLResponse:
        with read.services.caught_up() as views:
            any_readable, asked = tenant_filter(read.access, _scope(views, tenant).tenant)
            wanted = _PAGE * (page + 1) + 1  # the page, and one more to tell there is more
            rows = (
                _readable_rows(read, views, wanted, status=status, assignee=assignee or None,
                               tenant=asked)
                if any_readable
                else []
            )  # fmt: skip
            shown = rows[_PAGE * page : _PAGE * (page + 1)]
            return _render(
                request,
                "complaints.html",
                views,
                tenant,
                rows=shown,
                status=status.value if status else "",
                assignee=assignee or "",
                page=page,
                more=len(rows) > _PAGE * (page + 1),
                statuses=[s.value for s in Status],
            )

    @router.get("/ui/complaints/{complaint_id}", response_class=HTMLResponse, name="timeline")
    def timeline(request: Request, read: Read, complaint_id: UUID) -> HTMLResponse:
        log = read.services.log
        view = readable(read.access, log.get(complaint_id))
        history = [
            attrs.evolve(e, payload=read.access.shown_payload(e.payload, view.personal_fields))
            for e in log.history(complaint_id)
        ]
        with read.services.caught_up() as views:
            clocks = views.sla.clocks(complaint_id)
            return _render(
                request,
                "timeline.html",
                views,
                view=view,
                history=history,
                clocks=clocks,
                now=log.clock(),
                summary=_summary,
            )

    return router

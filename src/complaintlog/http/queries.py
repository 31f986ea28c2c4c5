"""Routes that read: a complaint, its history and clocks, lists, the agenda, breaches,
statistics. Reads never record anything; lists come from the projections, one complaint's
state and history from the log itself (so they are never behind)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Annotated, Generic, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel

from complaintlog.domain.sla_policy import Metric
from complaintlog.domain.status import Status
from complaintlog.errors import ComplaintNotFoundError, InvalidValueError
from complaintlog.http.agenda import AgendaItem, agenda_items
from complaintlog.http.context import Reader, reader
from complaintlog.http.models import (
    ClockOut,
    ComplaintOut,
    Created,
    HistoryEntryOut,
    Moment,
    Page,
    StatisticsOut,
    SummaryOut,
)
from complaintlog.http.problems import responses
from complaintlog.http.security import figures_tenant, readable, readable_row, tenant_filter
from complaintlog.projections import Projections

__all__ = ["query_routes"]

Read = Annotated[Reader, Depends(reader)]
PeriodName = Literal["day", "week", "month", "quarter", "year"]
GroupName = Literal["dimension", "cause", "product", "channel", "severity", "team", "tenant"]
_PERIOD_DAYS = {"day": 1, "week": 7, "month": 28, "quarter": 90, "year": 365}
_MAX_PERIODS = 1000


T = TypeVar("T")


class Items(BaseModel, Generic[T]):
    items: list[T]


def _cursor(received_at: datetime, complaint_id: UUID) -> str:
    text = f"{received_at.isoformat()}|{complaint_id.hex}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, hex_id = text.partition("|")
        after = (datetime.fromisoformat(moment), UUID(hex=hex_id))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        msg = "a next_cursor from an earlier page"
        raise InvalidValueError("cursor", cursor, msg) from None
    if after[0].tzinfo is None:
        raise InvalidValueError("cursor", cursor, "a next_cursor from an earlier page")
    return after


def _state(
    read: Reader, complaint_id: UUID, as_of: datetime | None, as_known_at: datetime | None
) -> ComplaintOut:
    if as_of is not None or as_known_at is not None:  # its team and tenant now decide
        readable(read.access, read.services.log.get(complaint_id))
    view = read.services.log.get(complaint_id, as_of=as_of, as_known_at=as_known_at)
    return ComplaintOut.of(readable(read.access, view))


def _complaint_routes(router: APIRouter) -> None:
    @router.get(
        "/complaints",
        summary="List complaints, oldest first",
        responses=responses(401, 403, 422, 503),
    )
    def list_complaints(
        read: Read,
        status: Status | None = None,
        assignee: Annotated[str | None, Query(max_length=200)] = None,
        team: Annotated[str | None, Query(max_length=200)] = None,
        category: Annotated[
            str | None, Query(max_length=200, description="The category's dimension")
        ] = None,
        cause: Annotated[str | None, Query(max_length=200)] = None,
        product: Annotated[str | None, Query(max_length=200)] = None,
        open_only: bool = False,
        tenant: Annotated[
            str | None, Query(max_length=64, description="Only this tenant's complaints")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query(max_length=400)] = None,
    ) -> Page:
        after = _after(cursor)
        any_readable, tenant = tenant_filter(read.access, tenant)
        if not any_readable:
            return Page(items=[], next_cursor=None)
        with read.services.caught_up() as views:
            found = views.current_state.search(
                status=status,
                assignee=assignee,
                team=team,
                dimension=category,
                cause=cause,
                product=product,
                open_only=open_only,
                tenant=tenant,
                limit=limit + 1,
                after=after,
            )
        scanned = found[:limit]
        more = len(found) > limit
        last = scanned[-1] if scanned else None
        shown = [s for s in scanned if readable_row(read.access, s.team, s.tenant)]
        return Page(
            items=[SummaryOut.of(state) for state in shown],
            next_cursor=_cursor(last.received_at, last.complaint_id) if more and last else None,
        )

    @router.get(
        "/complaints/by-ref/{external_ref}",
        summary="The complaint the CRM knows by this reference",
        responses=responses(401, 403, 404, 422, 503),
    )
    def by_ref(
        read: Read, external_ref: Annotated[str, PathParam(min_length=1, max_length=200)]
    ) -> Created:
        found = read.services.log.find(external_ref)
        if found is None:
            raise ComplaintNotFoundError(external_ref)
        readable(read.access, read.services.log.get(found), asked=external_ref)
        return Created(id=found)

    @router.get(
        "/complaints/{complaint_id}",
        summary="A complaint's state: now, as of a business time, or as known at a moment",
        responses=responses(401, 403, 404, 422, 503),
    )
    async def get_complaint(
        read: Read,
        complaint_id: UUID,
        as_of: Moment | None = None,
        as_known_at: Moment | None = None,
    ) -> ComplaintOut:
        return await read.services.offload.read(_state, read, complaint_id, as_of, as_known_at)

    @router.get(
        "/complaints/{complaint_id}/history",
        summary="Every recorded event, with business and recording time",
        responses=responses(401, 403, 404, 422, 503),
    )
    def history(read: Read, complaint_id: UUID) -> Items[HistoryEntryOut]:
        view = readable(read.access, read.services.log.get(complaint_id))
        entries = read.services.log.history(complaint_id)
        shown = read.access.shown_payload
        return Items[HistoryEntryOut](
            items=[HistoryEntryOut.of(e, shown(e.payload, view.personal_fields)) for e in entries]
        )

    @router.get(
        "/complaints/{complaint_id}/clocks",
        summary="The complaint's SLA clocks",
        responses=responses(401, 403, 404, 422, 503),
    )
    def clocks(read: Read, complaint_id: UUID, as_of: Moment | None = None) -> Items[ClockOut]:
        readable(read.access, read.services.log.get(complaint_id))
        with read.services.caught_up() as views:
            found = views.sla.clocks(complaint_id, as_of=as_of)
        return Items[ClockOut](items=[ClockOut.of(clock) for clock in found])


def _work_routes(router: APIRouter) -> None:
    @router.get(
        "/agenda",
        summary="What is due by until (default as_of, default now), as the agenda stood at as_of",
        responses=responses(401, 403, 422, 503),
    )
    def agenda(
        read: Read,
        assignee: Annotated[str | None, Query(max_length=200)] = None,
        team: Annotated[str | None, Query(max_length=200)] = None,
        until: Moment | None = None,
        as_of: Moment | None = None,
        tenant: Annotated[
            str | None, Query(max_length=64, description="Only this tenant's complaints")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Items[AgendaItem]:
        moment = as_of or read.services.log.clock()
        any_readable, tenant = tenant_filter(read.access, tenant)
        if not any_readable:
            return Items[AgendaItem](items=[])
        with read.services.caught_up() as views:
            items = agenda_items(
                views, moment, until=until, assignee=assignee, team=team, tenant=tenant
            )
            tenants = _tenants(views, [item.complaint_id for item in items], read)
        shown = [
            item
            for item in items
            if readable_row(read.access, item.team, tenants.get(item.complaint_id, tenant or ""))
        ]
        return Items[AgendaItem](items=shown[:limit])

    @router.get(
        "/breaches",
        summary="SLA clocks breached by as_of (default now), by due time",
        responses=responses(401, 403, 422, 503),
    )
    def breaches(
        read: Read,
        as_of: Moment | None = None,
        metric: Metric | None = None,
        ongoing_only: bool = True,
        tenant: Annotated[
            str | None, Query(max_length=64, description="Only this tenant's complaints")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> Items[ClockOut]:
        moment = as_of or read.services.log.clock()
        any_readable, tenant = tenant_filter(read.access, tenant)
        if not any_readable:
            return Items[ClockOut](items=[])
        with read.services.caught_up() as views:
            found = views.sla.breaches(
                moment,
                metric=metric,
                ongoing_only=ongoing_only,
                tenant=tenant,
                limit=limit,
                offset=offset,
            )
            if read.access.teams is not None or read.access.tenants is not None:
                states = {c.complaint_id: views.current_state.get(c.complaint_id) for c in found}
                found = [
                    c
                    for c in found
                    if (state := states[c.complaint_id]) is not None
                    and readable_row(read.access, state.team, state.tenant)
                ]
        return Items[ClockOut](items=[ClockOut.of(clock) for clock in found])

    @router.get(
        "/statistics",
        summary="Figures per period (and group): volumes, times, SLA compliance, outcomes",
        responses=responses(401, 403, 422, 503),
    )
    def statistics(
        read: Read,
        period: PeriodName = "week",
        by: GroupName | None = None,
        start: Moment | None = None,
        end: Moment | None = None,
        tenant: Annotated[
            str | None, Query(max_length=64, description="Only this tenant's complaints")
        ] = None,
    ) -> Items[StatisticsOut]:
        until = end or read.services.log.clock()
        since = start or until - timedelta(days=12 * _PERIOD_DAYS[period])
        if since >= until:
            raise InvalidValueError("start", since.isoformat(), "start comes before end")
        if (until - since).days / _PERIOD_DAYS[period] > _MAX_PERIODS:
            rule = f"at most {_MAX_PERIODS} periods at once"
            raise InvalidValueError("start", since.isoformat(), rule)
        tenant = figures_tenant(read.access, tenant)
        with read.services.caught_up() as views:
            rows = views.statistics.report(period, since, until, group_by=by, tenant=tenant)
        return Items[StatisticsOut](items=[StatisticsOut.of(row) for row in rows])


def _tenants(views: Projections, complaint_ids: list[UUID], read: Reader) -> dict[UUID, str]:
    """The tenants of listed complaints, looked up only for a reader of some tenants."""
    if read.access.tenants is None:
        return {}
    found: dict[UUID, str] = {}
    for complaint_id in set(complaint_ids):
        state = views.current_state.get(complaint_id)
        if state is not None:
            found[complaint_id] = state.tenant
    return found


def query_routes() -> APIRouter:
    router = APIRouter(tags=["queries"])
    _complaint_routes(router)
    _work_routes(router)
    return router

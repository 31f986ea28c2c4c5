"""The JSON the API speaks: request bodies derived from ``ComplaintLog``'s own signatures,
and answers built from its immutable views.

A step's body is its method's keyword arguments, with the same pydantic types the method
validates with, minus what the request itself says: the complaint (the path), the actor
(authentication) and the idempotency key (the ``Idempotency-Key`` header). A step added to
``complaintlog.rules.STEP_COMMANDS`` gets its body model here without a change.
"""

from __future__ import annotations

import inspect
import typing
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, create_model

from complaintlog.application import ComplaintLog
from complaintlog.application.history import HistoryEntry
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.values import Category, Money
from complaintlog.projections import Clock, ComplaintState, PeriodStatistics, Rate

__all__ = [
    "BODY_EXCLUDED",
    "ClockOut",
    "ComplaintOut",
    "Created",
    "HistoryEntryOut",
    "Moment",
    "Page",
    "StatisticsOut",
    "StepResult",
    "SummaryOut",
    "body_model",
]

BODY_EXCLUDED = frozenset({"self", "complaint_id", "actor", "idempotency_key"})


_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _in_range(moment: datetime) -> datetime:
    if not _EARLIEST <= moment <= _LATEST:
        msg = "a moment between 1900 and 2200"
        raise ValueError(msg)
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""A timezone-aware ISO 8601 time (``2026-03-02T09:15:00+01:00``) in a sane range: times
near year 1 or 9999 cannot even be converted between time zones."""


def _bounded(hint: Any) -> Any:
    """The hint with its times bounded to :data:`Moment`."""
    if hint is AwareDatetime:
        return Moment
    if hint == AwareDatetime | None:
        return Moment | None
    return hint


def body_model(command: str) -> type[BaseModel]:
    """A pydantic model of ``ComplaintLog.<command>``'s keyword arguments."""
    method = getattr(ComplaintLog, command)
    hints = typing.get_type_hints(method, include_extras=True)
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(method).parameters.items():
        if name in BODY_EXCLUDED:
            continue
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[name] = (_bounded(hints[name]), default)
    title = "".join(part.title() for part in command.split("_"))
    return create_model(
        f"{title}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=inspect.getdoc(method) or command,
        **fields,
    )


class Created(BaseModel):
    id: UUID


class StepResult(BaseModel):
    complaint_id: UUID
    step: str
    result: UUID | None = None
    """What the step returns: a promise's id for ``make_promise``, else ``null``."""


class CustomerOut(BaseModel):
    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    erased: bool = False


class PromiseOut(BaseModel):
    promise_id: UUID
    promise: str
    made_at: datetime
    due: datetime
    cycle: int
    kept_at: datetime | None
    superseded_at: datetime | None
    state: str


class ResolutionOut(BaseModel):
    cycle: int
    resolved_at: datetime
    remedy: str
    summary: str
    compensation: Money | None
    accepted: bool | None


class ComplaintOut(BaseModel):
    """A complaint as it stands at ``reference_time``; erased personal data is ``null``."""

    id: UUID
    version: int
    reference_time: datetime
    status: str
    customer: CustomerOut
    channel: str
    subject: str
    description: str
    category: Category | None
    severity: str
    desired_outcome: str | None
    external_ref: str | None
    attributes: dict[str, str]
    received_at: datetime
    acknowledged_at: datetime | None
    assignee: str | None
    team: str | None
    escalation_level: str | None
    promises: list[PromiseOut]
    paused_since: datetime | None
    waiting_for: str | None
    cycle: int
    resolutions: list[ResolutionOut]
    followed_up_at: datetime | None
    surveyed_at: datetime | None
    satisfaction: int | None
    withdrawn_at: datetime | None
    last_activity_at: datetime
    personal_data_erased_at: datetime | None
    tenant: str

    @classmethod
    def of(cls, view: ComplaintView) -> ComplaintOut:
        customer = view.customer
        return cls(
            id=view.id,
            version=view.version,
            reference_time=view.reference_time,
            status=view.status.value,
            customer=CustomerOut(
                id=customer.id,
                name=customer.name,
                email=customer.email,
                phone=customer.phone,
                address=customer.address,
                erased=customer.erased,
            ),
            channel=view.channel.value,
            subject=view.subject,
            description=view.description,
            category=view.category,
            severity=view.severity.value,
            desired_outcome=view.desired_outcome,
            external_ref=view.external_ref,
            attributes=dict(view.attributes),
            received_at=view.received_at,
            acknowledged_at=view.acknowledged_at,
            assignee=view.assignee,
            team=view.team,
            escalation_level=view.escalation_level.value if view.escalation_level else None,
            promises=[
                PromiseOut(
                    promise_id=p.promise_id,
                    promise=p.promise,
                    made_at=p.made_at,
                    due=p.due,
                    cycle=p.cycle,
                    kept_at=p.kept_at,
                    superseded_at=p.superseded_at,
                    state=p.state.value,
                )
                for p in view.promises
            ],
            paused_since=view.paused_since,
            waiting_for=view.waiting_for.value if view.waiting_for else None,
            cycle=view.cycle,
            resolutions=[
                ResolutionOut(
                    cycle=r.cycle,
                    resolved_at=r.resolved_at,
                    remedy=str(r.remedy),
                    summary=r.summary,
                    compensation=r.compensation,
                    accepted=r.accepted,
                )
                for r in view.resolutions
            ],
            followed_up_at=view.followed_up_at,
            surveyed_at=view.surveyed_at,
            satisfaction=view.satisfaction,
            withdrawn_at=view.withdrawn_at,
            last_activity_at=view.last_activity_at,
            personal_data_erased_at=view.personal_data_erased_at,
            tenant=view.tenant,
        )


class HistoryEntryOut(BaseModel):
    """One recorded event: business time (``occurred_at``) beside recording time."""

    complaint_id: UUID
    version: int
    event: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    payload: dict[str, Any]

    @classmethod
    def of(cls, entry: HistoryEntry, payload: dict[str, Any]) -> HistoryEntryOut:
        """``payload``: the entry's payload as the reader may see it."""
        return cls(
            complaint_id=entry.complaint_id,
            version=entry.version,
            event=entry.event,
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            actor=entry.actor,
            payload=payload,
        )


class SummaryOut(BaseModel):
    """A complaint's row in the current-state view: no personal data."""

    id: UUID
    external_ref: str | None
    status: str
    customer_id: str | None
    channel: str
    category: Category | None
    severity: str
    assignee: str | None
    team: str | None
    escalation_level: str | None
    promise_due: datetime | None
    received_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    withdrawn_at: datetime | None
    paused_since: datetime | None
    last_activity_at: datetime
    tenant: str

    @classmethod
    def of(cls, state: ComplaintState) -> SummaryOut:
        return cls(
            id=state.complaint_id,
            external_ref=state.external_ref,
            status=state.status.value,
            customer_id=state.customer_id,
            channel=state.channel.value,
            category=state.category,
            severity=state.severity.value,
            assignee=state.assignee,
            team=state.team,
            escalation_level=state.escalation_level.value if state.escalation_level else None,
            promise_due=state.promise_due,
            received_at=state.received_at,
            acknowledged_at=state.acknowledged_at,
            resolved_at=state.resolved_at,
            withdrawn_at=state.withdrawn_at,
            paused_since=state.paused_since,
            last_activity_at=state.last_activity_at,
            tenant=state.tenant,
        )


class Page(BaseModel):
    items: list[SummaryOut]
    next_cursor: str | None = None
    """Pass as ``cursor`` for the next page; ``null`` on the last one."""


class ClockOut(BaseModel):
    """One SLA clock."""

    complaint_id: UUID
    target: str
    metric: str
    cycle: int
    promise_id: UUID | None
    clock: str
    started_at: datetime
    due: datetime
    paused_total_seconds: float
    paused_since: datetime | None
    met_at: datetime | None
    cancelled_at: datetime | None
    breached_at: datetime | None

    @classmethod
    def of(cls, clock: Clock) -> ClockOut:
        return cls(
            complaint_id=clock.complaint_id,
            target=clock.target,
            metric=clock.metric.value,
            cycle=clock.cycle,
            promise_id=clock.promise_id,
            clock=clock.clock.value,
            started_at=clock.started_at,
            due=clock.due,
            paused_total_seconds=clock.paused_total.total_seconds(),
            paused_since=clock.paused_since,
            met_at=clock.met_at,
            cancelled_at=clock.cancelled_at,
            breached_at=clock.breached_at,
        )


class RateOut(BaseModel):
    part: int
    whole: int

    @classmethod
    def of(cls, rate: Rate) -> RateOut:
        return cls(part=rate.part, whole=rate.whole)


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if value is not None else None


class StatisticsOut(BaseModel):
    """One period's (and group's) figures; durations in seconds of business time."""

    period: str
    start: datetime
    end: datetime
    group: str | None
    received: int
    resolved: int
    withdrawn: int
    open_at_end: int
    acknowledge_median_seconds: float | None
    resolve_median_seconds: float | None
    resolve_p90_seconds: float | None
    sla_compliance: dict[str, RateOut]
    promise_kept: RateOut
    escalated: RateOut
    reopened: RateOut
    remedies: dict[str, int]
    compensation: dict[str, Decimal] = Field(json_schema_extra={"examples": [{"EUR": "50.00"}]})
    survey_mean: float | None
    repeat_complaints: int

    @classmethod
    def of(cls, row: PeriodStatistics) -> StatisticsOut:
        return cls(
            period=row.period,
            start=row.start,
            end=row.end,
            group=row.group,
            received=row.received,
            resolved=row.resolved,
            withdrawn=row.withdrawn,
            open_at_end=row.open_at_end,
            acknowledge_median_seconds=_seconds(row.acknowledge_median),
            resolve_median_seconds=_seconds(row.resolve_median),
            resolve_p90_seconds=_seconds(row.resolve_p90),
            sla_compliance={k: RateOut.of(v) for k, v in row.sla_compliance.items()},
            promise_kept=RateOut.of(row.promise_kept),
            escalated=RateOut.of(row.escalated),
            reopened=RateOut.of(row.reopened),
            remedies=dict(row.remedies),
            compensation=dict(row.compensation),
            survey_mean=row.survey_mean,
            repeat_complaints=row.repeat_complaints,
        )

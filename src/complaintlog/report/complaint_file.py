"""One complaint's file for a reviewer: timeline, deadlines, promises, pauses, outcome.

Everything an FCA file review asks of one complaint, as plain data (``as_dict``) that the
text, HTML and PDF renderings share: the timeline in the policy's time zone with business
time beside recording time, who did each step and which entries were backdated; every
deadline of the policy with its state (met, late, open, cancelled); promises kept and
broken; pauses; escalations; each resolution with its redress and upheld outcome; reviewer
notes and sign-offs. ``known_at`` shows only what had been recorded by then.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.application.history import known_entries
from complaintlog.domain.holiday_coverage import coverage_warning
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.errors import ComplaintNotFoundError, InvalidValueError
from complaintlog.projections import Projections
from complaintlog.projections._tenants import PolicySpec
from complaintlog.projections.sla import Clock
from complaintlog.report.scope import TenantScope

__all__ = ["BACKDATED_AFTER", "ComplaintFile", "complaint_file"]

BACKDATED_AFTER = timedelta(hours=1)
"""An entry recorded more than this after it happened is flagged as backdated."""

REVIEW_EVENTS = ("ReviewNoted", "SignedOff")
"""Reviewers' records on the complaint: not handling steps, listed apart."""


@attrs.frozen
class ComplaintFile:
    """The file as data; every time is aware and shown in ``time_zone`` by the renderers."""

    complaint_id: UUID
    external_ref: str | None
    policy: str
    time_zone: str
    reference_time: datetime
    known_at: datetime | None
    summary: dict[str, Any]
    timeline: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    promises: list[dict[str, Any]]
    pauses: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    resolutions: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        """The file as JSON-ready data (times as ISO 8601 in the policy's zone)."""
        data: dict[str, Any] = _jsonable(attrs.asdict(self, recurse=False))
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _deadline_state(clock: Clock, reference: datetime) -> str:
    if clock.met_at is not None:
        return "late" if clock.met_at > clock.due else "met"
    if clock.cancelled_at is not None:
        return "cancelled"
    if clock.paused_since is not None:
        return "paused"
    return "late" if clock.due < reference else "open"


def _deadline(clock: Clock, policy: SlaPolicy, reference: datetime, zone: Any) -> dict[str, Any]:
    try:
        target = policy.target(clock.target)
        informational, within = target.informational, str(target.within)
    except InvalidValueError:  # the implicit promise target
        informational, within = False, "as promised"
    return {
        "target": clock.target,
        "metric": clock.metric.value,
        "cycle": clock.cycle,
        "clock": clock.clock.value,
        "within": within,
        "informational": informational,
        "started": clock.started_at.astimezone(zone),
        "due": clock.due.astimezone(zone),
        "met_at": clock.met_at.astimezone(zone) if clock.met_at else None,
        "cancelled_at": clock.cancelled_at.astimezone(zone) if clock.cancelled_at else None,
        "paused_total": clock.paused_total,
        "state": _deadline_state(clock, reference),
    }


def complaint_file(
    log: ComplaintLog,
    complaint_id: UUID,
    *,
    policy: SlaPolicy,
    known_at: datetime | None = None,
    tenant_policies: Mapping[str, PolicySpec] | None = None,
) -> ComplaintFile:
    """The complaint's file under ``policy``, as recorded by ``known_at`` (default: now);
    under its tenant's policy if ``tenant_policies`` gives that tenant one."""
    entries = known_entries(log.history(complaint_id), known_at)
    if not entries:
        raise ComplaintNotFoundError(complaint_id)
    reference = known_at if known_at is not None else log.clock()
    view = log.get(complaint_id, as_known_at=reference)
    policy = TenantScope.of(policy, tenant_policies, view.tenant).policy
    zone = policy.calendar.time_zone
    with Projections.of_one_complaint(log, complaint_id, policy=policy, known_at=known_at) as views:
        clocks = views.sla.clocks(complaint_id, as_of=reference)
    deadlines = [_deadline(c, policy, reference, zone) for c in clocks if c.promise_id is None]
    timeline = [
        {
            "version": e.version,
            "event": e.event,
            "happened": e.occurred_at.astimezone(zone),
            "recorded": e.recorded_at.astimezone(zone),
            "actor": e.actor,
            "backdated": e.recorded_at - e.occurred_at > BACKDATED_AFTER,
            "recorded_later_by": max(e.recorded_at - e.occurred_at, timedelta(0)),
            "payload": e.payload,
        }
        for e in entries
    ]
    asked = [c.due for c in clocks if c.clock.value == "business"]
    warning = (
        coverage_warning(policy.calendar, min(c.started_at for c in clocks), max(asked))
        if asked
        else None
    )
    return ComplaintFile(
        complaint_id=complaint_id,
        external_ref=view.external_ref,
        policy=policy.name,
        time_zone=str(zone),
        reference_time=reference.astimezone(zone),
        known_at=known_at.astimezone(zone) if known_at else None,
        summary={
            "status": view.status.value,
            "tenant": view.tenant,
            "received_at": view.received_at.astimezone(zone),
            "channel": view.channel.value,
            "severity": view.severity.value,
            "product": view.category.product if view.category else None,
            "cause": view.category.cause if view.category else None,
            "customer_id": view.customer.id,
            "subject": view.subject,
            "assignee": view.assignee,
            "team": view.team,
            "cycles": view.cycle,
            "withdrawn_at": view.withdrawn_at.astimezone(zone) if view.withdrawn_at else None,
            "personal_data_erased_at": view.personal_data_erased_at,
        },
        timeline=timeline,
        deadlines=deadlines,
        promises=[
            {
                "promise": p.promise,
                "made_at": p.made_at.astimezone(zone),
                "due": p.due.astimezone(zone),
                "kept_at": p.kept_at.astimezone(zone) if p.kept_at else None,
                "cycle": p.cycle,
                "state": p.state.value,
            }
            for p in view.promises
        ],
        pauses=[
            {
                "started": p.started_at.astimezone(zone),
                "ended": p.ended_at.astimezone(zone) if p.ended_at else None,
                "waiting_for": p.waiting_for.value,
                "reason": p.reason,
            }
            for p in view.pause_history
        ],
        escalations=[
            {
                "level": e.payload.get("level"),
                "reason": e.payload.get("reason"),
                "at": e.occurred_at.astimezone(zone),
                "actor": e.actor,
            }
            for e in entries
            if e.event == "Escalated"
        ],
        resolutions=[
            {
                "cycle": r.cycle,
                "resolved_at": r.resolved_at.astimezone(zone),
                "remedy": str(r.remedy),
                "summary": r.summary,
                "redress": str(r.compensation) if r.compensation else None,
                "accepted": r.accepted,
                "upheld": getattr(r, "upheld", None),
            }
            for r in view.resolutions
        ],
        reviews=[
            {
                "event": e.event,
                "at": e.occurred_at.astimezone(zone),
                "recorded": e.recorded_at.astimezone(zone),
                "actor": e.actor,
                **e.payload,
            }
            for e in entries
            if e.event in REVIEW_EVENTS
        ],
        warnings=[warning] if warning else [],
    )

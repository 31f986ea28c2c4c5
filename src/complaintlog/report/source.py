"""Where the report's figures come from: the one switch between engines.

Volumes, groups, distributions and compliance rates come from the replay engine
(:mod:`complaintlog.report.replay`). The lists to act on (ongoing breaches, at-risk
clocks, broken promises) and what-if come from the projections package when it is there:
its SLA clocks deduct paused time and restart on reopening, as the policies say. Without
it, the replay engine computes those too, with simpler clocks.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.errors import ComplaintLogError
from complaintlog.report.data import BreachRow, PromiseRow, ReportData
from complaintlog.report.replay import Known, breaches_under, build_from_log, views_at

__all__ = ["WhatIf", "load_policy", "report_data", "what_if"]

_REPLAY_ONLY = (
    "replay engine (paused time not deducted; a reopened cycle's resolve clock starts at the "
    "previous resolution)"
)
_WITH_PROJECTIONS = (
    "breach, at-risk and broken-promise lists from the SLA projection; volumes and rates "
    "from the replay engine (paused time not deducted in the rates)"
)


def load_policy(spec: str) -> SlaPolicy:
    """A preset name (``fca``, ``cfpb``, ``psd2``, ``ru``, ``default``) or a TOML file."""
    if spec.endswith(".toml") or "/" in spec:
        if not Path(spec).is_file():
            msg = f"no policy file {spec}"
            raise ComplaintLogError(msg)
        return SlaPolicy.from_toml(Path(spec))
    return SlaPolicy.preset(spec)


def _projections() -> Any | None:
    try:
        from complaintlog import projections
    except ImportError:  # not installed with this version: the replay engine does it all
        return None
    return projections


def report_data(
    log: ComplaintLog,
    *,
    policy: SlaPolicy,
    as_of: datetime | None = None,
    period: str = "month",
    by: str = "product",
) -> ReportData:
    index: dict[UUID, Known] = {}
    data = build_from_log(log, policy=policy, as_of=as_of, period=period, by=by, index=index)
    projections = _projections()
    if projections is None:
        return attrs.evolve(data, source=_REPLAY_ONLY)
    moment = data.as_of
    with projections.Projections(log, policy=policy) as views:
        views.catch_up()
        breaches = views.sla.breaches(moment, ongoing_only=True)
        at_risk = views.sla.at_risk(moment)
        broken = views.sla.broken_promises(moment)
    known = [clock for clock in breaches if clock.complaint_id in index]
    return attrs.evolve(
        data,
        source=_WITH_PROJECTIONS,
        breaches=sorted(
            (_row(clock, index, moment) for clock in known), key=lambda r: r.due, reverse=True
        ),
        at_risk=[_row(clock, index, moment) for clock in at_risk if clock.complaint_id in index],
        broken_promises=sorted(
            (_promise(clock, index, moment) for clock in broken if clock.complaint_id in index),
            key=lambda row: row.due,
            reverse=True,
        ),
    )


def _row(clock: Any, index: dict[UUID, Known], as_of: datetime) -> BreachRow:
    known = index[clock.complaint_id]
    return BreachRow(
        complaint=known.label,
        target=clock.target,
        metric=str(clock.metric),
        started_at=clock.started_at,
        due=clock.due,
        late_by_hours=round((as_of - clock.due).total_seconds() / 3600, 1),
        assignee=known.assignee,
        category=known.group,
    )


def _promise(clock: Any, index: dict[UUID, Known], as_of: datetime) -> PromiseRow:
    known = index[clock.complaint_id]
    end = clock.met_at or as_of
    return PromiseRow(
        complaint=known.label,
        promise=known.promises.get(clock.promise_id, ""),
        made_at=clock.started_at,
        due=clock.due,
        late_by_hours=round((end - clock.due).total_seconds() / 3600, 1),
    )


@attrs.frozen
class WhatIf:
    """The breach lists of one history under two policies, and how they differ."""

    as_of: datetime
    policy: str
    against: str
    breaches: list[BreachRow]
    against_breaches: list[BreachRow]

    @property
    def only_policy(self) -> list[str]:
        """Complaints breaching under ``policy`` but not under ``against``."""
        return sorted(_complaints(self.breaches) - _complaints(self.against_breaches))

    @property
    def only_against(self) -> list[str]:
        return sorted(_complaints(self.against_breaches) - _complaints(self.breaches))

    @property
    def both(self) -> list[str]:
        return sorted(_complaints(self.breaches) & _complaints(self.against_breaches))


def _complaints(rows: list[BreachRow]) -> set[str]:
    return {row.complaint for row in rows}


def what_if(
    log: ComplaintLog, *, policy: SlaPolicy, against: SlaPolicy, as_of: datetime | None = None
) -> WhatIf:
    """Replay the same history under two policies without touching anything stored.

    Counts ongoing breaches: clocks past due and still not met at ``as_of``.
    """
    reference = as_of or log.clock()
    views = views_at(log, as_of)
    projections = _projections()
    if projections is None:
        first = breaches_under(views, policy, reference)
        second = breaches_under(views, against, reference)
    else:
        index = {
            view.id: Known(view.external_ref or str(view.id), view.assignee, group, {})
            for view, group in views
        }
        diff = projections.what_if(log, policy, against, reference, ongoing_only=True)
        first = [_row(c, index, reference) for c in diff.breaches_a if c.complaint_id in index]
        second = [_row(c, index, reference) for c in diff.breaches_b if c.complaint_id in index]
    return WhatIf(
        as_of=reference,
        policy=policy.name,
        against=against.name,
        breaches=first,
        against_breaches=second,
    )

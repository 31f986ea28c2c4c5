"""The SLA view: queries on the stored clocks, each at an ``as_of`` in business time.

:class:`SlaView` answers breaches, at-risk clocks, broken promises, breach history and one
complaint's clocks from the clock rows alone (a breach happens when time passes, so every
query compares stored times with ``as_of``); :class:`Clock` is the row as the view returns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

from complaintlog.domain.sla_policy import ClockKind, Metric, SlaPolicy
from complaintlog.projections._framework.reader import from_us, to_us
from complaintlog.projections._holders import holder_filter
from complaintlog.projections._store import ViewStore, compose
from complaintlog.projections._tenants import TenantPolicies
from complaintlog.projections.sla._arithmetic import target_named, warn_time
from complaintlog.projections.sla._rows import _ALL_CLOCK_COLUMNS, _CLOCK_LIST, CASES, CLOCKS

__all__ = ["Clock", "SlaView"]


def _opt(value: int | None) -> datetime | None:
    return from_us(value) if value is not None else None


@attrs.frozen
class Clock:
    """One SLA clock of a complaint, as the view holds it."""

    complaint_id: UUID
    target: str
    metric: Metric
    cycle: int
    promise_id: UUID | None
    clock: ClockKind
    started_at: datetime
    due: datetime
    warn_at: datetime | None
    """When the clock is at risk; ``None`` if the clock stopped before anyone needed it
    (:meth:`SlaView.at_risk` computes it then)."""
    not_before: datetime | None
    promised: datetime | None
    paused_total: timedelta
    paused_since: datetime | None
    met_at: datetime | None
    cancelled_at: datetime | None
    breached_at: datetime | None
    """The due time, when the clock is breaching or will breach if nothing happens first;
    compare it with ``as_of`` (the view's queries do)."""

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Clock:
        v = dict(zip(_ALL_CLOCK_COLUMNS, row, strict=True))
        return cls(
            complaint_id=UUID(hex=v["complaint_id"]),
            target=v["target"],
            metric=Metric(v["metric"]),
            cycle=int(v["cycle"]),
            promise_id=UUID(v["promise_id"]) if v["promise_id"] else None,
            clock=ClockKind(v["clock_kind"]),
            started_at=from_us(v["started_us"]),
            due=from_us(v["due_us"]),
            warn_at=_opt(v["warn_us"]),
            not_before=_opt(v["earliest_us"]),
            promised=_opt(v["promised_us"]),
            paused_total=timedelta(microseconds=v["paused_total_us"]),
            paused_since=_opt(v["paused_since_us"]),
            met_at=_opt(v["met_us"]),
            cancelled_at=_opt(v["cancelled_us"]),
            breached_at=_opt(v["breach_us"]),
        )


def _as_of(clock: Clock, as_of: datetime) -> Clock:
    def known(moment: datetime | None) -> datetime | None:
        return moment if moment is not None and moment <= as_of else None

    return attrs.evolve(
        clock,
        met_at=known(clock.met_at),
        cancelled_at=known(clock.cancelled_at),
        paused_since=known(clock.paused_since),
    )


def _filters(
    metric: Metric | str | None,
    target: str | None,
    assignee: str | None = None,
    team: str | None = None,
    tenant: str | None = None,
) -> tuple[list[str], list[Any]]:
    clauses, params = holder_filter(assignee, team)
    if tenant is not None:
        clauses.append(
            compose(
                "complaint_id IN (SELECT complaint_id FROM {cases} WHERE tenant = ?)", cases=CASES
            )
        )
        params.append(tenant)
    if metric is not None:
        clauses.append("metric = ?")
        params.append(Metric(metric).value)
    if target is not None:
        clauses.append("target = ?")
        params.append(target)
    return clauses, params


class SlaView:
    """Queries on SLA clocks; each takes ``as_of`` (business time) and answers from stored times."""

    def __init__(self, store: ViewStore, policy: SlaPolicy | TenantPolicies | None = None) -> None:
        self._store = store
        self._policies = (
            policy
            if isinstance(policy, TenantPolicies) or policy is None
            else TenantPolicies(policy)
        )
        every = (self._policies.default, *self._policies.own.values()) if self._policies else ()
        # a target informational under any tenant's policy (target names rarely repeat)
        self._informational = tuple(
            sorted({t.name for policy in every for t in policy.targets if t.informational})
        )

    def _without_informational(
        self, clauses: list[str], params: list[Any], target: str | None, include: bool
    ) -> None:
        """Leave out the policy's informational targets, unless included or named."""
        if include or target is not None or not self._informational:
            return
        clauses.append(f"target NOT IN ({', '.join('?' * len(self._informational))})")
        params.extend(self._informational)

    def _clocks(
        self, where: str, params: Sequence[Any], order: str, limit: int | None, offset: int
    ) -> list[Clock]:
        paging = ""
        values = list(params)
        if limit is not None:
            paging = " LIMIT ? OFFSET ?"
            values.extend((limit, offset))
        rows = self._store.query(
            compose(
                "SELECT {clock_list} FROM {clocks} WHERE {where} ORDER BY {order}{paging}",
                clock_list=_CLOCK_LIST,
                clocks=CLOCKS,
                where=where,
                order=order,
                paging=paging,
            ),
            values,
        )
        return [Clock.from_row(row) for row in rows]

    def clocks(self, complaint_id: UUID | str, *, as_of: datetime | None = None) -> list[Clock]:
        """Every clock of one complaint, in the order they started.

        With ``as_of``: the clocks started by then, with what was not yet met, cancelled or
        paused at that moment shown as not (yet) having happened.
        """
        wanted = complaint_id.hex if isinstance(complaint_id, UUID) else UUID(complaint_id).hex
        if as_of is None:
            return self._clocks(
                "complaint_id = ?", (wanted,), "started_us, clock_key", limit=None, offset=0
            )
        found = self._clocks(
            "complaint_id = ? AND started_us <= ?",
            (wanted, to_us(as_of)),
            "started_us, clock_key",
            limit=None,
            offset=0,
        )
        return [_as_of(clock, as_of) for clock in found]

    def breaches(
        self,
        as_of: datetime,
        *,
        metric: Metric | str | None = None,
        target: str | None = None,
        ongoing_only: bool = False,
        include_informational: bool = False,
        limit: int | None = None,
        offset: int = 0,
        assignee: str | None = None,
        team: str | None = None,
        tenant: str | None = None,
    ) -> list[Clock]:
        """Clocks breached by ``as_of``: past due and not met by then, or met late.

        ``ongoing_only`` leaves out those met (late) or cancelled by ``as_of``: the breaches
        someone can still act on. Ordered by due time. Informational targets are left out
        unless ``include_informational`` or ``target`` names one. ``assignee`` / ``team``
        keep the complaints that person or team holds now, ``tenant`` one tenant's.
        """
        moment = to_us(as_of)
        clauses, params = _filters(metric, target, assignee, team, tenant)
        self._without_informational(clauses, params, target, include_informational)
        clauses.insert(0, "breach_us < ?")
        params.insert(0, moment)
        if ongoing_only:
            clauses.append(
                "(met_us IS NULL OR met_us > ?) AND (cancelled_us IS NULL OR cancelled_us > ?)"
            )
            params.extend((moment, moment))
        return self._clocks(
            " AND ".join(clauses), params, "breach_us, complaint_id, clock_key", limit, offset
        )

    def count_breaches(
        self,
        as_of: datetime,
        *,
        metric: Metric | str | None = None,
        target: str | None = None,
        include_informational: bool = False,
        assignee: str | None = None,
        team: str | None = None,
        tenant: str | None = None,
    ) -> int:
        clauses, params = _filters(metric, target, assignee, team, tenant)
        self._without_informational(clauses, params, target, include_informational)
        where = " AND ".join(["breach_us < ?", *clauses])
        rows = self._store.query(
            compose("SELECT COUNT(*) FROM {clocks} WHERE {where}", clocks=CLOCKS, where=where),
            (to_us(as_of), *params),
        )
        return int(rows[0][0])

    def late_by_source(self, *, tenant: str | None = None) -> int:
        """Complaints (of ``tenant``, if given) whose source itself says they were answered
        late (CFPB's ``Timely response? = No``): a figure apart, since no time measures it."""
        only = " AND tenant = ?" if tenant is not None else ""
        rows = self._store.query(
            compose(
                "SELECT COUNT(*) FROM {cases} WHERE late_by_source IS NOT NULL{only}",
                cases=CASES,
                only=only,
            ),
            (tenant,) if tenant is not None else (),
        )
        return int(rows[0][0])

    def at_risk(
        self,
        as_of: datetime,
        *,
        metric: Metric | str | None = None,
        target: str | None = None,
        include_informational: bool = False,
        limit: int | None = None,
        offset: int = 0,
        assignee: str | None = None,
        team: str | None = None,
        tenant: str | None = None,
    ) -> list[Clock]:
        """Clocks running at ``as_of``, past their warning threshold, not yet due; soonest
        due first. A paused clock stands still: it is at risk if it was when the pause began.
        Informational targets are left out unless ``include_informational`` or ``target``
        names one. ``assignee`` / ``team`` keep the complaints that person or team holds now,
        ``tenant`` one tenant's (each warned under its tenant's policy).
        """
        moment = to_us(as_of)
        clauses, params = _filters(metric, target, assignee, team, tenant)
        self._without_informational(clauses, params, target, include_informational)
        where = (
            "started_us <= ? AND (met_us IS NULL OR met_us > ?) "
            "AND (cancelled_us IS NULL OR cancelled_us > ?) AND ("
            "(due_us > ? AND (paused_since_us IS NULL OR paused_since_us > ?) "
            " AND (warn_us IS NULL OR warn_us <= ?))"
            " OR (paused_since_us <= ? AND (warn_us IS NULL OR warn_us <= paused_since_us)))"
        )
        rows = self._store.query(
            compose(
                "SELECT {clock_list}, (SELECT s.tenant FROM {cases} s WHERE s.complaint_id = "
                "{clocks}.complaint_id) FROM {clocks} WHERE {where} ORDER BY due_us, "
                "complaint_id, clock_key",
                clock_list=_CLOCK_LIST,
                clocks=CLOCKS,
                cases=CASES,
                where=" AND ".join([where, *clauses]),
            ),
            [moment] * 7 + params,
        )
        found: list[Clock] = []
        warn_index = _ALL_CLOCK_COLUMNS.index("warn_us")
        for row in rows:
            values = list(row[:-1])
            warn = values[warn_index]
            if warn is None:
                if self._policies is None:
                    continue
                policy = self._policies.of(row[-1])
                v = dict(zip(_ALL_CLOCK_COLUMNS, values, strict=True))
                warn = values[warn_index] = warn_time(
                    policy,
                    target_named(policy, v["target"]),
                    v["started_us"],
                    v["due_us"],
                )
                paused = v["paused_since_us"]
                reference = paused if paused is not None and paused <= moment else moment
                if warn > reference:
                    continue
            found.append(Clock.from_row(values))
        end = None if limit is None else offset + limit
        return found[offset:end]

    def broken_promises(
        self,
        as_of: datetime,
        *,
        due_from: datetime | None = None,
        due_until: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
        tenant: str | None = None,
    ) -> list[Clock]:
        """Promises not kept by their due time, as of ``as_of``; optionally only those that
        fell due in ``[due_from, due_until)`` (e.g. last month), of ``tenant``'s complaints."""
        clauses, params = _filters(Metric.PROMISE, None, tenant=tenant)
        clauses.insert(0, "breach_us < ?")
        params.insert(0, to_us(as_of))
        if due_from is not None:
            clauses.append("due_us >= ?")
            params.append(to_us(due_from))
        if due_until is not None:
            clauses.append("due_us < ?")
            params.append(to_us(due_until))
        return self._clocks(
            " AND ".join(clauses), params, "breach_us, complaint_id, clock_key", limit, offset
        )

    def breach_history(
        self,
        as_of: datetime,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        metric: Metric | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Clock]:
        """Clocks met late (met after due) by ``as_of``, optionally met in ``[start, end)``."""
        clauses, params = _filters(metric, None)
        clauses[:0] = ["met_us > due_us", "met_us <= ?"]
        params.insert(0, to_us(as_of))
        if start is not None:
            clauses.append("met_us >= ?")
            params.append(to_us(start))
        if end is not None:
            clauses.append("met_us < ?")
            params.append(to_us(end))
        return self._clocks(
            " AND ".join(clauses), params, "met_us, complaint_id, clock_key", limit, offset
        )

"""``Projections``: the three views of a ComplaintLog, kept together in its store."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.domain.values import DEFAULT_TENANT
from complaintlog.projections._complete import CompleteViews
from complaintlog.projections._framework.follower import EventFilter, Follower, recorded_by
from complaintlog.projections._framework.parallel import check_parallel, replay_in_processes
from complaintlog.projections._framework.partitions import Partition
from complaintlog.projections._framework.projection import Projection
from complaintlog.projections._framework.reader import LogEvent
from complaintlog.projections._store import (
    TENANT_LINE,
    SqliteViewStore,
    ViewPolicyMismatchError,
    ViewStore,
    config_tenants,
    open_view_store,
)
from complaintlog.projections._tenants import PolicySpec, TenantPolicies, checked_tenant
from complaintlog.projections.agenda import AgendaProjection, AgendaView
from complaintlog.projections.current_state import CurrentStateProjection, CurrentStateView
from complaintlog.projections.sla import SlaView, WhatIf, what_if
from complaintlog.projections.statistics import StatisticsProjection, StatisticsView

if TYPE_CHECKING:
    from complaintlog.application import ComplaintLog

__all__ = ["Projections"]


class Projections:
    """Current state, SLA clocks, the agenda and statistics of a ComplaintLog, in the log's
    own store.

    >>> views = Projections(log, policy=SlaPolicy.preset("fca"))   # doctest: +SKIP
    >>> views.catch_up()                                            # doctest: +SKIP
    >>> views.sla.breaches(as_of=now, ongoing_only=True)            # doctest: +SKIP
    >>> views.agenda.due(as_of=now, assignee="ana")                 # doctest: +SKIP

    ``catch_up()`` processes what was recorded since the last call (poll it, or call it
    before reading); ``rebuild()`` replays the whole log. Views built under another policy
    or calendar are refused (:class:`ViewPolicyMismatchError`): a policy changes only by
    :meth:`change_policy`.

    One store serves several tenants (brands, legal entities), each complaint measured under
    its tenant's policy: ``tenant_policies`` maps a tenant to its own (a policy, a preset's
    name or a policy file); tenants without one, and complaints received without a tenant,
    have ``policy``. Every query takes ``tenant=``.

    ``partition="K/N"`` keeps only the K-th of N ranges of complaint ids up to date (its
    catch-up skips the others' events): N processes, on one machine or several, share the
    work of following the log (:class:`~complaintlog.projections.worker.ProjectionWorker`,
    ``complaintlog project --follow --partition K/N``). Views opened without a partition
    still read every row; their position is the lowest partition's.
    """

    def __init__(
        self,
        log: ComplaintLog,
        *,
        policy: PolicySpec | None = None,
        tenant_policies: Mapping[str, PolicySpec] | None = None,
        time_zone: str | ZoneInfo | None = None,
        batch_size: int = 10_000,
        store: ViewStore | None = None,
        event_filter: EventFilter | None = None,
        known_by: datetime | None = None,
        adopt_policy: bool = False,
        partition: Partition | str | None = None,
    ) -> None:
        self.log = log
        self.policies = TenantPolicies.named(policy, tenant_policies)
        self.policy = self.policies.default
        """The default policy: of the tenants without their own."""
        self.tenant_policies: Mapping[str, SlaPolicy] = self.policies.own
        """The tenants with a policy of their own."""
        self._owns_store = store is None
        settings = log.settings
        self.store = store or open_view_store(settings.kind, settings.env, settings.sqlite_path)
        zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
        self._follower = Follower(
            log,
            self.store,
            views_under(self.policies),
            batch_size=batch_size,
            event_filter=event_filter,
            partition=Partition.parse(partition) if isinstance(partition, str) else partition,
        )
        try:
            self._follower.create_missing()
            if not adopt_policy:
                self._follower.check_configs()
        except BaseException:
            self.close()
            raise
        readers = CompleteViews(self.store)  # never half a rebuilt view
        self.current_state = CurrentStateView(readers, self._follower.reader, known_by=known_by)
        self.sla = SlaView(readers, self.policies)
        self.agenda = AgendaView(readers)
        """What handlers must do and by when (kept by the SLA fold, with the clocks)."""
        now = log.clock if known_by is None else (lambda: known_by)
        self.statistics = StatisticsView(readers, zone or self.policy.calendar.time_zone, clock=now)

    # -- processing ------------------------------------------------------------------------

    def catch_up(self, *, until: int | None = None) -> int:
        """Process the events recorded since the last call; returns how many were read."""
        return self._follower.catch_up(until=until)

    def rebuild(self, *, workers: int = 1) -> int:
        """Drop the views and replay the whole log into them; returns the events read.

        ``workers`` > 1 splits the complaints into that many partitions, each replayed by a
        process of its own (a SQLite file or PostgreSQL store; see
        :mod:`complaintlog.projections._framework.parallel`)."""
        check_parallel(self.log, workers)
        if workers == 1:
            return self._follower.rebuild()
        factory = functools.partial(views_under, self.policies)
        replay = functools.partial(replay_in_processes, self.log, factory, workers)
        return self._follower.rebuild(replay=replay)

    def positions(self) -> dict[str, int]:
        """Each projection's position in the log (the last notification id it processed)."""
        return self._follower.positions()

    def policy_of(self, tenant: str) -> SlaPolicy:
        """The policy ``tenant``'s complaints are measured under."""
        return self.policies.of(tenant)

    @classmethod
    def change_policy(
        cls,
        log: ComplaintLog,
        *,
        policy: PolicySpec | None = None,
        tenant_policies: Mapping[str, PolicySpec] | None = None,
        tenant: str | None = None,
        time_zone: str | ZoneInfo | None = None,
    ) -> Projections:
        """Change the store's views to these policies and return them: the explicit way to
        change a policy (stop the workers that follow the old one first; they would be
        refused from now on).

        ``policy`` and ``tenant_policies`` are the whole new set, as ``Projections`` takes
        it. Without ``tenant``, every view is rebuilt from the log.

        With ``tenant``, only that tenant's policy may differ from the stored ones
        (``"default"``: the default policy, of every tenant without its own): a change to
        any other is refused with :class:`ViewPolicyMismatchError` naming it, so one
        tenant's change never carries another's by mistake. Only that tenant's complaints
        are then folded again, in the views its policy shapes (SLA clocks and the agenda;
        statistics too when the policy's calendar changed; current state never): their rows
        are taken away, their events replayed, the day totals moved and the new policies
        recorded in one transaction, so a crash leaves either the old views or the new
        ones. Every other complaint's rows stay as they are. A store that cannot be read
        complaint by complaint (``memory://``), a rebuild under way, views followed in
        partitions or a view of another version is rebuilt whole instead. When the default
        policy's time zone changes, the day totals of every tenant are derived again from
        the views' rows (they are kept in that zone)."""
        views = cls(
            log,
            policy=policy,
            tenant_policies=tenant_policies,
            time_zone=time_zone,
            adopt_policy=True,
        )
        try:
            refolded = None
            if tenant is not None:
                views._only_tenant_changes(tenant)
                refolded = views._follower.refold_tenant(
                    None if tenant == DEFAULT_TENANT else tenant, views.tenant_policies
                )
            if refolded is None:
                views._follower.ensure_schema(adopt=True)
                views.rebuild()
            else:
                views.catch_up()
        except BaseException:
            views.close()
            raise
        return views

    def _only_tenant_changes(self, tenant: str) -> None:
        """Refuse a set of policies that changes another tenant's than ``tenant``."""
        for projection in self._follower.projections:
            tracked = self.store.tracking(projection.name)
            if tracked is None or tracked[0] < 0:
                continue
            error = ViewPolicyMismatchError(projection.name, tracked[1], projection.config())
            others = [name for name in error.tenants if name != tenant]
            if others:
                raise ViewPolicyMismatchError(
                    projection.name,
                    _without(tracked[1], tenant),
                    _without(projection.config(), tenant),
                )

    # -- time travel and what-if ------------------------------------------------------------

    def as_known_at(self, moment: datetime) -> Projections:
        """Throwaway in-memory views from only the events recorded by ``moment``.

        What the screens could have shown at ``moment``, before any later backdated or
        late-imported events. Close it (or use it in a ``with`` block) when done.
        """
        views = Projections(
            self.log,
            policy=self.policy,
            tenant_policies=self.tenant_policies,
            time_zone=self.statistics.time_zone,
            store=SqliteViewStore(":memory:"),
            event_filter=recorded_by(moment),
            known_by=moment,
        )
        views._owns_store = True
        views.catch_up()
        return views

    @classmethod
    def of_one_complaint(
        cls,
        log: ComplaintLog,
        complaint_id: UUID,
        *,
        policy: SlaPolicy,
        known_at: datetime | None = None,
        tenant_policies: Mapping[str, PolicySpec] | None = None,
    ) -> Projections:
        """Throwaway in-memory views of one complaint (recorded by ``known_at``, if given).

        For one complaint's file: its SLA clocks under this view's policy, without
        touching the store's views (which may be kept under another policy). Close it when
        done.
        """
        wanted = complaint_id.hex
        by_time = recorded_by(known_at) if known_at is not None else None

        def keep(events: list[LogEvent]) -> list[LogEvent]:
            mine = [event for event in events if event[1] == wanted]
            return by_time(mine) if by_time is not None else mine

        views = cls(
            log,
            policy=policy,
            tenant_policies=tenant_policies,
            store=SqliteViewStore(":memory:"),
            event_filter=keep,
            known_by=known_at,
        )
        views._owns_store = True
        views.catch_up()
        return views

    def what_if(
        self,
        policy: SlaPolicy,
        as_of: datetime,
        *,
        ongoing_only: bool = False,
        tenant: str | None = None,
    ) -> WhatIf:
        """Breaches as of ``as_of`` under these views' policies (a: each complaint under its
        tenant's) and under ``policy`` (b). ``tenant``: that tenant's complaints only, its
        own policy against ``policy``."""
        current = self.policies if tenant is None else self.policies.of(checked_tenant(tenant))
        return what_if(self.log, current, policy, as_of, ongoing_only=ongoing_only, tenant=tenant)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._follower.close()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Projections:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def views_under(policies: TenantPolicies) -> list[Projection[Any]]:
    """The views, measured under ``policies`` (also made in the processes of a parallel
    rebuild: a module-level function, so that it pickles)."""
    return [
        CurrentStateProjection(),
        AgendaProjection(policies),
        StatisticsProjection(
            policies.default.calendar,
            {tenant: own.calendar for tenant, own in policies.own.items()},
        ),
    ]


def _without(config: str, tenant: str) -> str:
    """A configuration with ``tenant``'s part left out (what must not change with it)."""
    parts = config_tenants(config)
    parts.pop(tenant, None)
    head = parts.pop("default", "")
    return head + "".join(f"{TENANT_LINE}{name}: {part}" for name, part in parts.items())

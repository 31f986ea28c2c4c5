"""``Projections``: the three views of a ComplaintLog, kept together in its store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections._complete import CompleteViews
from complaintlog.projections._framework.follower import EventFilter, Follower, recorded_by
from complaintlog.projections._framework.reader import LogEvent
from complaintlog.projections._store import SqliteViewStore, ViewStore, open_view_store
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
    """

    def __init__(
        self,
        log: ComplaintLog,
        *,
        policy: SlaPolicy | str | Path | None = None,
        time_zone: str | ZoneInfo | None = None,
        batch_size: int = 10_000,
        store: ViewStore | None = None,
        event_filter: EventFilter | None = None,
        known_by: datetime | None = None,
        adopt_policy: bool = False,
    ) -> None:
        self.log = log
        self.policy = SlaPolicy.named(policy if policy is not None else "default")
        self._owns_store = store is None
        settings = log.settings
        self.store = store or open_view_store(settings.kind, settings.env, settings.sqlite_path)
        zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
        self._follower = Follower(
            log,
            self.store,
            [
                CurrentStateProjection(),
                AgendaProjection(self.policy),
                StatisticsProjection(self.policy.calendar),
            ],
            batch_size=batch_size,
            event_filter=event_filter,
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
        self.sla = SlaView(readers, self.policy)
        self.agenda = AgendaView(readers)
        """What handlers must do and by when (kept by the SLA fold, with the clocks)."""
        now = log.clock if known_by is None else (lambda: known_by)
        self.statistics = StatisticsView(readers, zone or self.policy.calendar.time_zone, clock=now)

    # -- processing ------------------------------------------------------------------------

    def catch_up(self, *, until: int | None = None) -> int:
        """Process the events recorded since the last call; returns how many were read."""
        return self._follower.catch_up(until=until)

    def rebuild(self) -> int:
        """Drop the three views and replay the whole log into them."""
        return self._follower.rebuild()

    def positions(self) -> dict[str, int]:
        """Each projection's position in the log (the last notification id it processed)."""
        return self._follower.positions()

    @classmethod
    def change_policy(
        cls, log: ComplaintLog, *, policy: SlaPolicy, time_zone: str | ZoneInfo | None = None
    ) -> Projections:
        """Rebuild the store's views under ``policy`` and return them: the explicit way to
        change the policy (stop the workers that follow the old one first; they would be
        refused from now on)."""
        views = cls(log, policy=policy, time_zone=time_zone, adopt_policy=True)
        try:
            views._follower.ensure_schema(adopt=True)
            views.rebuild()
        except BaseException:
            views.close()
            raise
        return views

    # -- time travel and what-if ------------------------------------------------------------

    def as_known_at(self, moment: datetime) -> Projections:
        """Throwaway in-memory views from only the events recorded by ``moment``.

        What the screens could have shown at ``moment``, before any later backdated or
        late-imported events. Close it (or use it in a ``with`` block) when done.
        """
        views = Projections(
            self.log,
            policy=self.policy,
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
            store=SqliteViewStore(":memory:"),
            event_filter=keep,
            known_by=known_at,
        )
        views._owns_store = True
        views.catch_up()
        return views

    def what_if(self, policy: SlaPolicy, as_of: datetime, *, ongoing_only: bool = False) -> WhatIf:
        """Breaches as of ``as_of`` under this view's policy (a) and ``policy`` (b)."""
        return what_if(self.log, self.policy, policy, as_of, ongoing_only=ongoing_only)

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

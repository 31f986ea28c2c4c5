"""Read models of the complaint log: current state, SLA clocks, the agenda, statistics.

``Projections(log, policy=...)`` keeps all three in the log's own store (memory, SQLite or
PostgreSQL), each with its tracking position written in the same transaction as its rows.
See ``docs/projections.md``.
"""

from complaintlog.projections._facade import Projections
from complaintlog.projections._framework.follower import Follower, recorded_by
from complaintlog.projections._framework.partition_tracking import PartitionCountError
from complaintlog.projections._framework.partitions import Partition
from complaintlog.projections._framework.reader import LogReader
from complaintlog.projections._migrate import Migration, migrate
from complaintlog.projections._store import (
    ProjectionConflictError,
    ViewPolicyMismatchError,
    ViewStore,
)
from complaintlog.projections.agenda import (
    AgendaAction,
    AgendaItem,
    AgendaProjection,
    AgendaView,
)
from complaintlog.projections.current_state import (
    ComplaintState,
    CurrentStateProjection,
    CurrentStateView,
)
from complaintlog.projections.sla import Clock, SlaProjection, SlaView, WhatIf, what_if
from complaintlog.projections.statistics import (
    PeriodStatistics,
    Rate,
    StatisticsProjection,
    StatisticsView,
)

__all__ = [
    # entry point
    "Projections",
    # current state
    "ComplaintState",
    "CurrentStateProjection",
    "CurrentStateView",
    # agenda
    "AgendaAction",
    "AgendaItem",
    "AgendaProjection",
    "AgendaView",
    # SLA
    "Clock",
    "SlaProjection",
    "SlaView",
    "WhatIf",
    "what_if",
    # statistics
    "PeriodStatistics",
    "Rate",
    "StatisticsProjection",
    "StatisticsView",
    # deploys
    "Migration",
    "migrate",
    # running projections yourself
    "Follower",
    "LogReader",
    "Partition",
    "PartitionCountError",
    "ProjectionConflictError",
    "ViewPolicyMismatchError",
    "ViewStore",
    "recorded_by",
]

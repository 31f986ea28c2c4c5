"""The projection framework: read the log, fold it into views, keep their positions.

Three parts, each in its own module: ``reader`` (the decoded :data:`LogEvent`, time in
microseconds, and :class:`LogReader`), ``projection`` (the :class:`Projection` base every
view implements) and ``follower`` (the :class:`Follower` that catches views up and rebuilds
them, and the ``recorded_by`` event filter; its docstring tells how and why). This package
re-exports their names for the views that import them from here.
"""

from __future__ import annotations

from complaintlog.projections._framework.follower import EventFilter as EventFilter
from complaintlog.projections._framework.follower import Follower, recorded_by
from complaintlog.projections._framework.projection import Projection
from complaintlog.projections._framework.projection import select_in_later as select_in_later
from complaintlog.projections._framework.reader import (
    COMPLAINT_TOPIC_PREFIX,
    EPOCH,
    LogEvent,
    LogReader,
    from_us,
    parse_us,
    to_us,
)
from complaintlog.projections._framework.reader import MAX_US as MAX_US
from complaintlog.projections._framework.reader import chunks as chunks

__all__ = [
    "COMPLAINT_TOPIC_PREFIX",
    "EPOCH",
    "Follower",
    "LogEvent",
    "LogReader",
    "Projection",
    "from_us",
    "parse_us",
    "recorded_by",
    "to_us",
]

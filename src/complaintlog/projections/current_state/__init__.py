"""Current state: one row per complaint, for CRM screens and work queues.

The processor folds events into a row per complaint (status from the shared
:func:`~complaintlog.domain.status.derive_status`, so the screen never disagrees with the
complaint itself).

``as_of`` (a past business time) is answered without a history table: a row whose last
activity is not after ``as_of`` already *is* the complaint as of then; the complaints with
activity after ``as_of`` are replayed from the log (their few events, cut at ``as_of``)
through the same fold, and the two sets are merged in the query's order. Keeping a version
row per event instead would double the rows written per event, and the write rate is what
bounds a rebuild; a query far in the past costs a replay of the complaints active since.

Promise semantics follow the aggregate: a promise is kept by an update (``inform``) or a
resolution made by its due time, and a new promise supersedes one that is still open.
``promise_due`` holds the due time of the latest promise not kept; it is open while that
time lies ahead and broken once it has passed.
"""

from __future__ import annotations

from complaintlog.projections.current_state._projection import CurrentStateProjection
from complaintlog.projections.current_state._projection import replay as replay
from complaintlog.projections.current_state._rows import NOT_ACTIVITY as NOT_ACTIVITY
from complaintlog.projections.current_state._rows import TABLE as TABLE
from complaintlog.projections.current_state._view import ComplaintState, CurrentStateView
from complaintlog.projections.current_state._view import Cursor as Cursor

__all__ = ["ComplaintState", "CurrentStateProjection", "CurrentStateView"]

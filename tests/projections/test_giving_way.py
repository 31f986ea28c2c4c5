"""A runner that gives way while opening the views still keeps their day rows.

An opener's ``CREATE ... IF NOT EXISTS`` statements wait only briefly for a writer's table
locks and then give way (the transaction rolls back: the tables exist). The statistics and
SLA views noted in memory, while creating their tables, whether their day rows are kept;
a rolled back note said "not kept" beside day rows the writer keeps, and the runner's
catch-up then left its complaints out of them (``test_partitions_catching_up_at_the_same_time``
failed about twice in fifteen runs on PostgreSQL). Here the give-way is made to happen
every time, where the lock timeout would.
"""

from __future__ import annotations

import pytest

from complaintlog import ComplaintLog, StoreUnavailableError
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import Projections
from complaintlog.projections.sla import SlaProjection
from complaintlog.projections.statistics import StatisticsProjection

from .conftest import dump_with_days
from .test_parallel_rebuild import POSITIONS, clean
from .test_rebuild_by_complaint import record

POLICY = SlaPolicy.preset("fca")


class LockNotAvailable(Exception):
    """Named as what PostgreSQL's lock timeout raises (``psycopg.errors.LockNotAvailable``):
    the runner gives way on that name."""


def give_way(self: object, tx: object) -> None:
    """A ``CREATE INDEX IF NOT EXISTS`` that waited too long for a writer's lock."""
    cause = LockNotAvailable("canceling statement due to lock timeout")
    raise StoreUnavailableError("test", "write the views", cause) from cause


def test_a_runner_that_gave_way_keeps_the_day_rows(
    file_log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(file_log, 8)
    with Projections(file_log, policy=POLICY) as writer:
        writer.catch_up()
    record(file_log, 8)
    for view in (SlaProjection, StatisticsProjection):  # the agenda's SLA fold too
        monkeypatch.setattr(view, "create_indexes", give_way)
    with Projections(file_log, policy=POLICY) as opener:  # gives way on opening ...
        assert opener.catch_up() > 0  # ... and again before catching up
        assert opener.positions() == dict.fromkeys(POSITIONS, file_log.max_position())
    monkeypatch.undo()
    with Projections(file_log, policy=POLICY) as whole:
        assert dump_with_days(whole.store) == clean(file_log, POLICY)

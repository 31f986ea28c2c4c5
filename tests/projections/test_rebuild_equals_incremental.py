"""Rebuilding from scratch gives exactly the views that catching up step by step gave.

Whatever the history, however it was cut into recorded chunks and processing batches, the
rows of all three views are the same as after one replay of the whole log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import Projections
from complaintlog.projections._store import SqliteViewStore
from complaintlog.testing import Workload, apply_lifecycle, workloads

from .conftest import dump

LATER = datetime(2027, 1, 1, tzinfo=UTC)


def _record_in_chunks(
    log: ComplaintLog, views: Projections, workload: Workload, cuts: list[int]
) -> None:
    """Record the lifecycles in chunks (cut after the given indexes), catching up between."""
    cut_points = {cut % len(workload.lifecycles) for cut in cuts}
    for index, lifecycle in enumerate(workload.lifecycles):
        apply_lifecycle(log, lifecycle)
        if index in cut_points:
            views.catch_up()
    views.catch_up()


def _check(log: ComplaintLog, views: Projections, policy: SlaPolicy) -> None:
    incremental = dump(views.store)
    # a clean replay into fresh views, in one big batch
    fresh_store = SqliteViewStore(":memory:")
    with Projections(log, policy=policy, store=fresh_store, batch_size=100_000) as fresh:
        fresh.catch_up()
        assert dump(fresh_store) == incremental
    fresh_store.close()
    # and a rebuild of the same views in place
    views.rebuild()
    assert dump(views.store) == incremental


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    workload=workloads(complaints=st.integers(1, 6), max_steps=10),
    cuts=st.lists(st.integers(0, 50), max_size=4),
    batch_size=st.integers(1, 12),
)
def test_rebuild_equals_incremental_catch_up_in_memory(
    policy: SlaPolicy, workload: Workload, cuts: list[int], batch_size: int
) -> None:
    with (
        ComplaintLog("memory://", clock=lambda: LATER) as log,
        Projections(log, policy=policy, batch_size=batch_size) as views,
    ):
        _record_in_chunks(log, views, workload, cuts)
        _check(log, views, policy)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    workload=workloads(complaints=st.integers(1, 5), max_steps=8),
    cuts=st.lists(st.integers(0, 50), max_size=3),
    batch_size=st.integers(1, 9),
)
def test_rebuild_equals_incremental_catch_up_on_sqlite(
    workload: Workload,
    cuts: list[int],
    batch_size: int,
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'complaints.db'}"
        with (
            ComplaintLog(url, clock=lambda: LATER) as log,
            Projections(log, policy=SlaPolicy.preset("fca"), batch_size=batch_size) as views,
        ):
            _record_in_chunks(log, views, workload, cuts)
            _check(log, views, SlaPolicy.preset("fca"))


@pytest.mark.postgres
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    workload=workloads(complaints=st.integers(1, 4), max_steps=8),
    cuts=st.lists(st.integers(0, 50), max_size=3),
    batch_size=st.integers(1, 9),
)
def test_rebuild_equals_incremental_catch_up_on_postgres(
    reachable_postgres: str, policy: SlaPolicy, workload: Workload, cuts: list[int], batch_size: int
) -> None:
    import psycopg
    from psycopg import sql

    schema = f"pj_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(reachable_postgres, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        separator = "&" if "?" in reachable_postgres else "?"
        url = f"{reachable_postgres}{separator}schema={schema}"
        with (
            ComplaintLog(url, clock=lambda: LATER) as log,
            Projections(log, policy=policy, batch_size=batch_size) as views,
        ):
            _record_in_chunks(log, views, workload, cuts)
            _check(log, views, policy)
    finally:
        with psycopg.connect(reachable_postgres, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

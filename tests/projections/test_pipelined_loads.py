"""Every view's loads sent together, then read: the same rows, or nothing at all.

A catch-up asks each view for the queries of the stored state its events need
(``Projection.load_later``), sends them all through ``ViewStore.reading()`` (on PostgreSQL
one pipeline) and only then reads the answers. Following the log event by event with the
views' caches emptied each time, every step of an old complaint takes that path, in pages
of several complaints whose loads span several chunks; the rows must be a rebuild's. A
load that fails among the others must leave every view as it was.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from itertools import cycle
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import Projections
from complaintlog.projections._framework import projection as framework_projection
from complaintlog.projections._framework.projection import Projection
from complaintlog.projections._framework.reader import chunks
from complaintlog.projections._store import (
    TRACKING_TABLE,
    Later,
    Reads,
    SqliteViewStore,
    ViewStore,
)
from complaintlog.testing import Workload, workloads

from .conftest import dump, dump_with_days

LATER = datetime(2027, 1, 1, tzinfo=UTC)
POLICY = SlaPolicy.preset("fca")


@st.composite
def interleaved(draw: st.DrawFn) -> tuple[Workload, list[int]]:
    """A workload and the order its complaints' commands are recorded in: each complaint's
    in its own order, the complaints' interleaved."""
    workload = draw(workloads(complaints=st.integers(2, 5), max_steps=8))
    slots = [n for n, lifecycle in enumerate(workload.lifecycles) for _ in lifecycle.commands]
    return workload, list(draw(st.permutations(slots)))


def _record(log: ComplaintLog, workload: Workload, order: Sequence[int]) -> None:
    ids: dict[int, UUID] = {}
    done = [0] * len(workload.lifecycles)
    for n in order:
        planned = workload.lifecycles[n].commands[done[n]]
        if done[n] == 0:
            ids[n] = log.receive(at=planned.at, **planned.arguments)
        else:
            getattr(log, planned.name)(ids[n], at=planned.at, **planned.arguments)
        done[n] += 1


def _projections(views: Projections) -> tuple[Projection[Any], ...]:
    return views._follower.projections


def _follow_cold(views: Projections, last: int, steps: Sequence[int]) -> None:
    """Catch up a few events at a time, every view's cache emptied before each catch-up:
    each step of a complaint already in the views loads its rows from the tables."""
    position = 0
    for step in cycle(steps):
        if position >= last:
            break
        position = min(position + step, last)
        for projection in _projections(views):
            projection.discard()
        views.catch_up(until=position)
    views.catch_up()


def _replayed(log: ComplaintLog) -> dict[str, list[tuple[Any, ...]]]:
    """The views of one replay of the whole log in one page, in a fresh in-memory store."""
    fresh = SqliteViewStore(":memory:")
    try:
        with Projections(log, policy=POLICY, store=fresh, batch_size=100_000) as views:
            views.catch_up()
            return dump(fresh)
    finally:
        fresh.close()


def _follow_and_compare(url: str, workload: Workload, order: list[int], steps: list[int]) -> None:
    with (
        ComplaintLog(url, clock=lambda: LATER) as log,
        Projections(log, policy=POLICY, batch_size=4) as views,
    ):
        _record(log, workload, order)
        _follow_cold(views, views._follower.reader.last_position(), steps)
        followed = dump_with_days(views.store)
        assert dump(views.store) == _replayed(log)
        views.rebuild()
        assert dump_with_days(views.store) == followed


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loads of more than two complaints in several queries per table."""
    monkeypatch.setattr(framework_projection, "chunks", partial(chunks, size=2))


_SLOW_FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=10, deadline=None, suppress_health_check=_SLOW_FIXTURES)
@given(recorded=interleaved(), steps=st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_following_cold_with_loads_sent_together_equals_a_rebuild_on_sqlite(
    small_chunks: None, recorded: tuple[Workload, list[int]], steps: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _follow_and_compare(f"sqlite:///{Path(folder) / 'complaints.db'}", *recorded, steps)


@pytest.mark.postgres
@settings(max_examples=6, deadline=None, suppress_health_check=_SLOW_FIXTURES)
@given(recorded=interleaved(), steps=st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_following_cold_with_loads_sent_together_equals_a_rebuild_on_postgres(
    reachable_postgres: str,
    small_chunks: None,
    recorded: tuple[Workload, list[int]],
    steps: list[int],
) -> None:
    with _fresh_schema(reachable_postgres) as url:
        _follow_and_compare(url, *recorded, steps)


@contextmanager
def _fresh_schema(server: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    schema = f"pl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{server}{'&' if '?' in server else '?'}schema={schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def test_reads_answer_as_queries_do_in_any_order_and_again(views_store_url: str) -> None:
    with ComplaintLog(views_store_url) as log, Projections(log) as views:
        for n in range(3):
            log.receive(customer={"id": f"c{n}"}, channel="web", subject="s", description="d")
        views.catch_up()
        store = views.store
        one = "SELECT complaint_id, status FROM complaintlog_current_state WHERE complaint_id = ?"
        ids = [
            str(row[0])
            for row in store.query("SELECT complaint_id FROM complaintlog_current_state")
        ]
        expected = [store.query(one, (complaint_id,)) for complaint_id in ids]
        with store.reading() as reads:
            answers = [reads.query_later(one, (complaint_id,)) for complaint_id in ids]
            read = [answer() for answer in reversed(answers)][::-1]
            again = [answer() for answer in answers]
            after = reads.query_later(one, (ids[0],))  # a query after the answers: sent too
            assert after() == expected[0]
        assert read == again == expected
        assert all(len(rows) == 1 for rows in read)


def _tracking(store: ViewStore) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in store.query(f"SELECT * FROM {TRACKING_TABLE}"))


def test_a_load_failing_among_the_others_moves_no_view_and_applies_nothing(
    views_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        ComplaintLog(views_store_url, clock=lambda: LATER) as log,
        Projections(log, policy=POLICY) as views,
    ):
        complaints = [
            log.receive(customer={"id": f"c{n}"}, channel="web", subject="s", description="d")
            for n in range(2)
        ]
        for complaint in complaints:
            log.acknowledge(complaint)
        views.catch_up()
        for complaint in complaints:  # steps of complaints in the views, not in the caches
            log.assign(complaint, assignee="ann", team="care")
        projections = _projections(views)
        for projection in projections:
            projection.discard()
        rows, tracked = dump_with_days(views.store), _tracking(views.store)

        middle = type(projections[1])
        real = middle.load_later

        def failing(self: Any, reads: Reads, complaint_ids: Sequence[str]) -> Later[Any]:
            loaded = real(self, reads, complaint_ids)
            broken = reads.query_later("SELECT no_such_column FROM complaintlog_current_state")

            def answer() -> Any:
                broken()
                return loaded()

            return answer

        monkeypatch.setattr(middle, "load_later", failing)
        with pytest.raises(Exception, match="no_such_column"):
            views.catch_up()
        assert _tracking(views.store) == tracked
        assert dump_with_days(views.store) == rows
        for projection in projections:
            assert projection.cache == projection.dirty == {}
            assert getattr(projection, "holders", {}) == {}

        monkeypatch.undo()  # the store and its connections still serve
        assert views.catch_up() == 2
        assert dump(views.store) == _replayed(log)

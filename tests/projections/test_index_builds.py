"""A rebuild's indexes built side by side, each view's in a transaction of its own.

On PostgreSQL the views' ``CREATE INDEX`` statements run in several connections at once
after the rows are written and before the positions are set; the views come out the same
as views that were followed, with every index, and a build that fails leaves them marked
as being rebuilt, started again by the next runner. SQLite (one writer) builds them in the
rebuild's last transaction, as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from complaintlog import ComplaintLog
from complaintlog.errors import ViewBeingRebuiltError
from complaintlog.projections import Projections
from complaintlog.projections._framework import follower as follower_module
from complaintlog.projections._framework.index_builds import build_indexes_apart
from complaintlog.projections.statistics import StatisticsProjection

from .conftest import dump_with_days

START = datetime(2026, 2, 2, 8, tzinfo=UTC)
AS_OF = datetime(2026, 9, 1, tzinfo=UTC)
COMPLAINTS = 40


class FakeView:
    """A view whose index build runs ``work`` in the transaction it is given."""

    def __init__(self, name: str, work: Any = None) -> None:
        self.name = name
        self.work = work
        self.built_in: list[tuple[str, str]] = []

    def create_indexes(self, tx: Any) -> None:
        if self.work is not None:
            self.work()
        self.built_in.append((tx, threading.current_thread().name))


def transactions(opened: list[str]) -> Any:
    @contextmanager
    def transaction(view: FakeView) -> Iterator[str]:
        opened.append(view.name)
        yield f"tx of {view.name}"

    return transaction


def test_each_view_is_built_in_its_own_transaction_at_the_same_time() -> None:
    both_running = threading.Barrier(2, timeout=10)  # broken unless two builds overlap
    views = [FakeView(name, both_running.wait) for name in ("current_state", "sla")]
    opened: list[str] = []
    assert build_indexes_apart(views, 2, transactions(opened))  # type: ignore[arg-type]
    assert sorted(opened) == ["current_state", "sla"]
    for view in views:
        [(tx, thread)] = view.built_in
        assert tx == f"tx of {view.name}"
        assert thread.startswith("complaintlog-indexes")


def test_a_failed_build_is_raised_once_every_build_has_ended() -> None:
    def fail() -> None:
        raise RuntimeError("no space left for the index")

    slow = FakeView("sla", lambda: time.sleep(0.3))
    views = [FakeView("current_state", fail), slow]
    with pytest.raises(RuntimeError, match="no space left"):
        build_indexes_apart(views, 2, transactions([]))  # type: ignore[arg-type]
    assert len(slow.built_in) == 1  # it finished before the failure was raised


@pytest.mark.parametrize(("builders", "count"), [(1, 3), (4, 1), (0, 3)])
def test_nothing_is_built_apart_without_two_builders_and_two_views(
    builders: int, count: int
) -> None:
    views = [FakeView(f"view-{n}") for n in range(count)]
    opened: list[str] = []
    assert not build_indexes_apart(views, builders, transactions(opened))  # type: ignore[arg-type]
    assert opened == []
    assert all(view.built_in == [] for view in views)


def record(url: str) -> None:
    with ComplaintLog(url) as log, log.batch() as batch:
        for n in range(COMPLAINTS):
            at = START + timedelta(hours=7 * n)
            cid = batch.receive(
                customer={"id": f"C-{n % 6}"},
                channel=["email", "phone"][n % 2],
                subject="Invoice",
                description="Charged twice",
                category={"cause": ["billing", "delay", "quality"][n % 3]},
                at=at,
            )
            batch.acknowledge(cid, at=at + timedelta(hours=1))
            if n % 3:
                batch.resolve(cid, remedy="refund", summary="done", at=at + timedelta(days=2))


def followed_views(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Record the complaints, follow them into the views, and dump those views' rows."""
    record(url)
    with ComplaintLog(url) as log, Projections(log) as views:
        views.catch_up()
        return dump_with_days(views.store)


def indexes(url: str) -> set[str]:
    """The names of the indexes in the store's schema (PostgreSQL)."""
    with ComplaintLog(url) as log, Projections(log) as views:
        return {
            str(row[0])
            for row in views.store.query(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            )
        }


@pytest.mark.postgres
def test_a_postgres_rebuild_builds_indexes_apart_and_equals_followed_views(
    postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_schema_url
    followed = followed_views(url)
    followed_indexes = indexes(url)
    apart: list[bool] = []

    def spy(*args: Any) -> bool:
        apart.append(build_indexes_apart(*args))
        return apart[-1]

    monkeypatch.setattr(follower_module, "build_indexes_apart", spy)
    with ComplaintLog(url) as log, Projections(log) as views:
        assert views.store.index_builders() > 1
        views.rebuild()
        assert apart == [True]
        assert dump_with_days(views.store) == followed
        assert views.current_state.count(as_of=AS_OF) == COMPLAINTS
    assert indexes(url) == followed_indexes


@pytest.mark.postgres
def test_a_failed_index_build_leaves_the_views_to_be_rebuilt_again(
    postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_schema_url
    followed = followed_views(url)
    create_indexes = StatisticsProjection.create_indexes

    def fail_apart(self: StatisticsProjection, tx: Any) -> None:
        if threading.current_thread().name.startswith("complaintlog-indexes"):
            raise RuntimeError("the server ran out of disk building an index")
        create_indexes(self, tx)

    monkeypatch.setattr(StatisticsProjection, "create_indexes", fail_apart)
    with (
        ComplaintLog(url) as log,
        Projections(log) as views,
        pytest.raises(RuntimeError, match="ran out of disk"),
    ):
        views.rebuild()
    monkeypatch.setattr(StatisticsProjection, "create_indexes", create_indexes)
    with ComplaintLog(url) as log, Projections(log) as views:
        with pytest.raises(ViewBeingRebuiltError):
            views.statistics.monthly(START, AS_OF)
        views.catch_up()  # starts the interrupted rebuild again
        assert dump_with_days(views.store) == followed


def test_sqlite_builds_the_indexes_in_the_last_transaction(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'complaints.db'}"
    followed = followed_views(url)
    with ComplaintLog(url) as log, Projections(log) as views:
        assert views.store.index_builders() == 1
        views.rebuild()
        assert dump_with_days(views.store) == followed

"""A rebuild on SQLite reads the log complaint by complaint; the views come out the same.

``rebuild()`` on a SQLite file replays each complaint's events together, in complaint id
order, up to the log's end when it starts, then catches up in log order. Whatever the page
size (pages cut between complaints, or one complaint longer than a page), wherever the
starting end falls (in the middle of a complaint), the rows equal a clean replay in log
order; a catch-up never works on views being rebuilt, and a rebuild that dies is started
again by the next runner.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import ProjectionConflictError, Projections
from complaintlog.projections._framework.reader import LogReader
from complaintlog.projections._store import SqliteViewStore
from complaintlog.projections.statistics import StatisticsProjection

from .conftest import dump

LATER = datetime(2027, 1, 1, tzinfo=UTC)
START = datetime(2026, 2, 2, 8, tzinfo=UTC)


def record(log: ComplaintLog, complaints: int, *, long_one: bool = False) -> None:
    """Complaints of 1 to 9 events, and optionally one with 40 (many promises and updates)."""
    with log.batch() as batch:
        for n in range(complaints):
            at = START + timedelta(minutes=41 * n)
            cid = batch.receive(
                customer={"id": f"C-{n % 5}"},
                channel=["phone", "email", "web"][n % 3],
                subject="Problem",
                description="Something went wrong",
                category={"cause": ["billing", "delay"][n % 2]},
                at=at,
            )
            if n % 4 == 0:
                continue  # received only
            batch.acknowledge(cid, at=at + timedelta(minutes=30))
            batch.make_promise(
                cid, promise="call", due=at + timedelta(hours=20), at=at + timedelta(hours=1)
            )
            if n % 3 == 0:
                batch.pause(cid, reason="waiting", at=at + timedelta(hours=2))
                batch.resume(cid, at=at + timedelta(hours=30))
            if n % 4 != 1:
                batch.inform(cid, message="update", at=at + timedelta(hours=40))
                batch.resolve(cid, remedy="refund", summary="done", at=at + timedelta(hours=50))
                if n % 4 == 2:
                    batch.reopen(cid, reason="dispute", at=at + timedelta(hours=60))
    if long_one:
        at = START + timedelta(days=30)
        cid = log.receive(
            customer={"id": "L"}, channel="email", subject="s", description="d", at=at
        )
        for k in range(13):
            step = at + timedelta(hours=3 * k + 1)
            log.make_promise(cid, promise="call", due=step + timedelta(hours=1), at=step)
            log.inform(cid, message="update", at=step + timedelta(minutes=30))
            log.reclassify(
                cid,
                severity=["high", "low"][k % 2],
                reason="triage",
                at=step + timedelta(minutes=40),
            )


def clean_replay(log: ComplaintLog, policy: SlaPolicy) -> dict[str, list[tuple[object, ...]]]:
    """The views from one catch-up in log order, into a fresh in-memory store."""
    store = SqliteViewStore(":memory:")
    with Projections(log, policy=policy, store=store) as fresh:
        fresh.catch_up()
        result = dump(store)
    store.close()
    return result


@pytest.fixture
def sqlite_log(tmp_path: Path) -> Iterator[ComplaintLog]:
    with ComplaintLog(f"sqlite:///{tmp_path / 'complaints.db'}", clock=lambda: LATER) as log:
        yield log


@pytest.mark.parametrize("batch_size", [1, 3, 7, 10, 10_000])
def test_pages_of_any_size_give_the_views_of_a_replay_in_log_order(
    sqlite_log: ComplaintLog, batch_size: int
) -> None:
    record(sqlite_log, 23, long_one=True)
    policy = SlaPolicy.preset("default")
    pages: list[int] = []
    with Projections(sqlite_log, policy=policy, batch_size=batch_size) as views:
        reader = views._follower.reader
        real = reader.read_by_complaint

        def counting(
            after: str, limit: int, stop: int, before: str | None = None
        ) -> tuple[list[object], str] | None:
            page = real(after, limit, stop, before)
            if page is not None:
                pages.append(len(page[0]))
            return page  # type: ignore[return-value]

        reader.read_by_complaint = counting  # type: ignore[assignment,method-assign]
        assert views.rebuild() == sqlite_log.max_position()
        assert sum(pages) == sqlite_log.max_position()
        assert views.positions() == dict.fromkeys(
            ("current_state", "sla", "statistics"), sqlite_log.max_position()
        )
        assert dump(views.store) == clean_replay(sqlite_log, policy)


def test_pages_hold_whole_complaints_in_id_order(sqlite_log: ComplaintLog) -> None:
    record(sqlite_log, 12, long_one=True)
    reader = LogReader(sqlite_log)
    try:
        seen: list[str] = []
        after = ""
        while (page := reader.read_by_complaint(after, 5, sqlite_log.max_position())) is not None:
            events, after = page
            ids = [event[1] for event in events]
            assert ids == sorted(ids)
            assert not set(ids) & set(seen), "a complaint split over two pages"
            seen.extend(dict.fromkeys(ids))
            assert after == ids[-1]
        assert seen == sorted(seen)
        assert len(seen) == 13
    finally:
        reader.close()


def test_events_after_the_starting_end_are_caught_up_in_log_order(
    sqlite_log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(sqlite_log, 16)
    policy = SlaPolicy.preset("fca")
    end = sqlite_log.max_position()
    with Projections(sqlite_log, policy=policy, batch_size=4) as views:
        reader = views._follower.reader
        # The log "ends" in the middle of complaints when the rebuild starts: the rest
        # arrives meanwhile and is caught up afterwards.
        monkeypatch.setattr(reader, "last_position", lambda: end // 2 + 1)
        assert views.rebuild() == end
        assert views.positions() == dict.fromkeys(("current_state", "sla", "statistics"), end)
        assert dump(views.store) == clean_replay(sqlite_log, policy)


def test_a_catch_up_refuses_views_being_rebuilt_and_a_dead_rebuild_starts_again(
    sqlite_log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(sqlite_log, 20)
    policy = SlaPolicy.preset("default")
    real_write = StatisticsProjection.write
    calls = {"write": 0}

    def dying_write(self: StatisticsProjection, tx: object) -> None:
        calls["write"] += 1
        if calls["write"] == 2:
            raise RuntimeError("killed")
        real_write(self, tx)  # type: ignore[arg-type]

    with (
        Projections(sqlite_log, policy=policy, batch_size=10) as other,
        Projections(sqlite_log, policy=policy, batch_size=10) as views,
    ):
        other.catch_up()
        monkeypatch.setattr(StatisticsProjection, "write", dying_write)
        with pytest.raises(RuntimeError, match="killed"):
            views.rebuild()
        monkeypatch.setattr(StatisticsProjection, "write", real_write)
        # the views are marked as being rebuilt: another runner does not touch them
        assert set(other.positions().values()) == {-1}
        with pytest.raises(ProjectionConflictError):
            other.catch_up()
        # the runner whose rebuild died starts them again from scratch on its next catch-up
        assert views.catch_up() == sqlite_log.max_position()
        assert dump(views.store) == clean_replay(sqlite_log, policy)
    # and so does a runner opened afterwards, had the first one died with its process
    with Projections(sqlite_log, policy=policy) as later:
        assert later.catch_up() == 0
        assert dump(later.store) == clean_replay(sqlite_log, policy)


def test_a_rebuild_refuses_to_commit_over_a_runner_that_took_the_views_over(
    sqlite_log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(sqlite_log, 20)
    policy = SlaPolicy.preset("default")
    with Projections(sqlite_log, policy=policy, batch_size=10) as views:
        follower = views._follower
        real_check = follower._check_marks

        def taken_over(tx: object, chosen: object, marker: str) -> None:
            # another runner reset the views meanwhile (as a changed policy would)
            tx.execute(  # type: ignore[attr-defined]
                "UPDATE complaintlog_projection_tracking SET position = 0, config = 'other'"
            )
            real_check(tx, chosen, marker)  # type: ignore[arg-type]

        monkeypatch.setattr(follower, "_check_marks", taken_over)
        with pytest.raises(ProjectionConflictError):
            views.rebuild()


@pytest.mark.postgres
@pytest.mark.parametrize("batch_size", [3, 10_000])
def test_postgres_is_rebuilt_complaint_by_complaint_too(
    reachable_postgres: str, batch_size: int
) -> None:
    import psycopg
    from psycopg import sql

    schema = f"pj_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(reachable_postgres, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        separator = "&" if "?" in reachable_postgres else "?"
        url = f"{reachable_postgres}{separator}schema={schema}"
        policy = SlaPolicy.preset("default")
        with (
            ComplaintLog(url, clock=lambda: LATER) as log,
            Projections(log, policy=policy, batch_size=batch_size) as views,
        ):
            record(log, 15, long_one=True)
            assert views._follower.reader.by_complaint
            assert views.rebuild() == log.max_position()
            assert dump(views.store) == clean_replay(log, policy)
    finally:
        with psycopg.connect(reachable_postgres, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

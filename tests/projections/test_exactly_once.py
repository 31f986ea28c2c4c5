"""Exactly-once: a crash at any point neither loses nor double-counts an event.

The view rows and the tracking position are written in one transaction, so a runner killed
mid-batch leaves the views at the last committed batch, and the next catch-up continues from
there. The result always equals a clean replay of the whole log.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import ProjectionConflictError, Projections, ViewPolicyMismatchError
from complaintlog.projections._store import SqliteViewStore
from complaintlog.projections.sla import SlaProjection

from .conftest import dump

LATER = datetime(2027, 1, 1, tzinfo=UTC)
START = datetime(2026, 2, 2, 8, tzinfo=UTC)


def record_history(log: ComplaintLog, complaints: int) -> None:
    """A deterministic history: each complaint received, handled and mostly resolved."""
    with log.batch() as batch:
        for n in range(complaints):
            at = START + timedelta(minutes=37 * n)
            cid = batch.receive(
                customer={"id": f"C-{n % 17}"},
                channel=["phone", "email", "web", "social"][n % 4],
                subject="Problem",
                description="Something went wrong",
                category={"cause": ["billing", "delay", "staff_error"][n % 3]},
                at=at,
            )
            batch.acknowledge(cid, at=at + timedelta(minutes=20 + n % 90))
            batch.make_promise(
                cid, promise="call back", due=at + timedelta(hours=30), at=at + timedelta(hours=2)
            )
            if n % 5 == 0:
                batch.pause(cid, reason="waiting", at=at + timedelta(hours=3))
                batch.resume(cid, at=at + timedelta(hours=20))
            if n % 7 != 0:
                batch.inform(cid, message="update", at=at + timedelta(hours=26 + n % 9))
                batch.resolve(cid, remedy="refund", summary="done", at=at + timedelta(hours=40))
                if n % 3 == 0:
                    batch.reopen(cid, reason="dispute", at=at + timedelta(hours=50))


def clean_replay(log: ComplaintLog, policy: SlaPolicy) -> dict[str, list[tuple[object, ...]]]:
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


CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from complaintlog import ComplaintLog
    from complaintlog.domain.sla_policy import SlaPolicy
    from complaintlog.projections import Projections
    from complaintlog.projections.statistics import StatisticsProjection

    real_write = StatisticsProjection.write

    def slow_write(self, tx):
        real_write(self, tx)
        time.sleep(0.02)  # inside the transaction: a kill now loses the whole batch

    StatisticsProjection.write = slow_write
    url = sys.argv[1]
    with ComplaintLog(url, clock=lambda: datetime(2027, 1, 1, tzinfo=UTC)) as log:
        with Projections(log, policy=SlaPolicy.preset("default"), batch_size=25) as views:
            print("started", flush=True)
            views.catch_up()
            print("finished", flush=True)
    """
)


def _position(path: Path) -> int:
    connection = sqlite3.connect(path, timeout=30)
    try:
        rows = connection.execute(
            "SELECT MIN(position) FROM complaintlog_projection_tracking"
        ).fetchall()
    except sqlite3.OperationalError:
        return 0
    finally:
        connection.close()
    return int(rows[0][0] or 0)


def test_a_runner_killed_mid_batch_loses_and_repeats_nothing(
    sqlite_log: ComplaintLog, tmp_path: Path
) -> None:
    record_history(sqlite_log, 120)
    total = sqlite_log.max_position()
    path = tmp_path / "complaints.db"
    script = tmp_path / "runner.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), f"sqlite:///{path}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while _position(path) < total // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    stopped_at = _position(path)
    assert 0 < stopped_at < total, "the runner was killed mid-stream"
    policy = SlaPolicy.preset("default")
    with Projections(sqlite_log, policy=policy) as views:
        assert views.positions() == dict.fromkeys(
            ("current_state", "sla", "statistics"), stopped_at
        )
        assert views.catch_up() == total - stopped_at
        assert dump(views.store) == clean_replay(sqlite_log, policy)


@pytest.mark.parametrize("failing_batch", [1, 3])
def test_a_failure_between_batches_is_retried_without_double_counting(
    store_log: ComplaintLog, policy: SlaPolicy, monkeypatch: pytest.MonkeyPatch, failing_batch: int
) -> None:
    record_history(store_log, 12)
    calls = {"write": 0}
    real_write = SlaProjection.write

    def failing_write(self: SlaProjection, tx: object) -> None:
        calls["write"] += 1
        if calls["write"] == failing_batch:
            raise RuntimeError("disk full")
        real_write(self, tx)  # type: ignore[arg-type]

    with Projections(store_log, policy=policy, batch_size=10) as views:
        monkeypatch.setattr(SlaProjection, "write", failing_write)
        with pytest.raises(RuntimeError, match="disk full"):
            views.catch_up()
        positions = views.positions()
        assert set(positions.values()) == {10 * (failing_batch - 1)}  # nothing of the batch
        monkeypatch.setattr(SlaProjection, "write", real_write)
        views.catch_up()
        assert dump(views.store) == clean_replay(store_log, policy)


def test_a_racing_runner_is_refused_and_writes_nothing(
    sqlite_log: ComplaintLog, policy: SlaPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_history(sqlite_log, 10)
    with (
        Projections(sqlite_log, policy=policy) as first,
        Projections(sqlite_log, policy=policy) as second,
    ):
        stale = first.positions()
        second.catch_up()
        after_second = dump(second.store)
        # the first runner read its positions before the second one committed
        monkeypatch.setattr(first._follower, "positions", lambda *_: dict(stale))
        with pytest.raises(ProjectionConflictError, match="another runner"):
            first.catch_up()
        assert dump(first.store) == after_second
        monkeypatch.undo()
        assert first.catch_up() == 0
        assert dump(first.store) == clean_replay(sqlite_log, policy)


def test_another_policy_is_refused_until_changed_explicitly(sqlite_log: ComplaintLog) -> None:
    record_history(sqlite_log, 10)
    with Projections(sqlite_log, policy=SlaPolicy.preset("default")) as views:
        views.catch_up()
        before = dump(views.store)
    with pytest.raises(ViewPolicyMismatchError, match="change_policy"):
        Projections(sqlite_log, policy=SlaPolicy.preset("fca"))
    with Projections(sqlite_log, policy=SlaPolicy.preset("default")) as views:
        assert dump(views.store) == before  # nothing was rebuilt by the refused opening
    with Projections.change_policy(sqlite_log, policy=SlaPolicy.preset("fca")) as views:
        views.catch_up()
        targets = {
            row[0] for row in views.store.query("SELECT target FROM complaintlog_sla_clocks")
        }
        assert targets == {"summary_resolution", "final_response", "promise"}
        assert dump(views.store) == clean_replay(sqlite_log, SlaPolicy.preset("fca"))
    with pytest.raises(ViewPolicyMismatchError):  # the old policy's workers are refused now
        Projections(sqlite_log, policy=SlaPolicy.preset("default"))


def test_two_runners_taking_turns_never_work_from_stale_state(
    sqlite_log: ComplaintLog, policy: SlaPolicy
) -> None:
    at = START
    with (
        Projections(sqlite_log, policy=policy) as first,
        Projections(sqlite_log, policy=policy) as second,
    ):
        cid = sqlite_log.receive(
            customer={"id": "C"}, channel="phone", subject="s", description="d", at=at
        )
        first.catch_up()
        sqlite_log.acknowledge(cid, at=at + timedelta(minutes=5))
        sqlite_log.assign(cid, assignee="ana", team="care", at=at + timedelta(minutes=6))
        second.catch_up()
        sqlite_log.resolve(cid, remedy="apology", summary="sorry", at=at + timedelta(hours=1))
        first.catch_up()  # must not continue from its cached, pre-assignment row
        state = first.current_state.get(cid)
        assert state is not None
        assert (state.assignee, state.version) == ("ana", 4)
        assert dump(first.store) == clean_replay(sqlite_log, policy)

"""``log.follow()`` on every store: the backlog, then new events as they are committed."""

from __future__ import annotations

import threading
from datetime import timedelta

from complaintlog import ComplaintLog
from complaintlog.application.follow import PostgresWaiter, waiter_for

from ..conftest import FakeClock


def receive(log: ComplaintLog, clock: FakeClock, n: int) -> None:
    log.receive(
        customer={"id": f"c{n}"},
        channel="phone",
        subject=f"complaint {n}",
        description="Statement arrived late",
        at=clock.now - timedelta(minutes=5),
    )


def test_follow_yields_the_backlog_then_what_another_writer_commits(
    store_url: str, clock: FakeClock
) -> None:
    with ComplaintLog(store_url, clock=clock) as log:
        for n in range(3):
            receive(log, clock, n)
        writer = ComplaintLog(store_url, clock=clock) if store_url != "memory://" else log
        seen: list[int] = []
        follower = log.follow(after=1)
        seen += [next(follower).id, next(follower).id]  # the backlog after position 1
        thread = threading.Thread(target=lambda: [receive(writer, clock, n) for n in (3, 4)])
        thread.start()
        seen += [next(follower).id, next(follower).id]  # waits for the other writer
        thread.join()
        follower.close()
        if writer is not log:
            writer.close()
        assert seen == [2, 3, 4, 5]
        assert [n.id for n in log.follow(after=3, stop_when_idle=True)] == [4, 5]


def test_on_postgres_the_waiter_wakes_by_notify(postgres_schema_url: str, clock: FakeClock) -> None:
    with (
        ComplaintLog(postgres_schema_url, clock=clock) as log,
        ComplaintLog(postgres_schema_url, clock=clock) as writer,
        waiter_for(log) as waiter,
    ):
        assert isinstance(waiter, PostgresWaiter)
        timer = threading.Timer(0.2, receive, (writer, clock, 1))
        timer.start()
        assert waiter.wait(0, timeout=30)
        timer.join()
        assert waiter.notified >= 1

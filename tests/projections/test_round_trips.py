"""How many times a one-event catch-up on PostgreSQL waits for the server.

Each statement sent on its own is a round trip; a one-event catch-up made 34 to 38 of them
(a ``SET search_path`` for every borrowed connection, one query per view's position, an
empty read of the log after the last page, every write on its own). Now: the positions
in one query, the page of the log, the stored rows of the complaint (six queries, for an
event of a complaint already in the views, sent in one pipeline: one wait, where they
were six), and the writes with the positions in one pipelined transaction. Counted here
through psycopg's cursors, not timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from complaintlog import ComplaintLog
from complaintlog.persistence.pools import close_shared_pools
from complaintlog.projections import Projections

pytestmark = pytest.mark.postgres


@dataclass
class Sent:
    alone: int = 0
    """Statements sent outside a pipeline: a round trip each."""
    pipelines: int = 0
    pipelined: int = 0
    """Statements sent inside a pipeline (they share its round trips)."""
    waits: int = 0
    """The times the client waited for the server: each statement sent alone, and in a
    pipeline each answer asked for (or the pipeline's end, which syncs) after statements
    were sent since the last one (at most: an answer may have come back meanwhile)."""
    open: dict[int, bool] = field(default_factory=dict)
    """The connections in a pipeline now: whether statements were sent since the last
    answer asked for."""


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    import psycopg

    found = Sent()
    real_execute = psycopg.Cursor.execute
    real_executemany = psycopg.Cursor.executemany
    real_fetchall = psycopg.Cursor.fetchall
    real_pipeline = psycopg.Connection.pipeline

    def count(cursor: Any) -> None:
        connection = id(cursor.connection)
        if connection in found.open:
            found.pipelined += 1
            found.open[connection] = True
        else:
            found.alone += 1
            found.waits += 1

    def answer_asked(connection: int) -> None:
        if found.open.get(connection):
            found.waits += 1
            found.open[connection] = False

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        count(self)
        return real_execute(self, *args, **kwargs)

    def executemany(self: Any, *args: Any, **kwargs: Any) -> Any:
        count(self)
        return real_executemany(self, *args, **kwargs)

    def fetchall(self: Any) -> Any:
        answer_asked(id(self.connection))
        return real_fetchall(self)

    @contextmanager
    def pipeline(self: Any) -> Iterator[Any]:
        found.pipelines += 1
        found.open[id(self)] = False
        try:
            with real_pipeline(self) as pipe:
                yield pipe
        finally:
            answer_asked(id(self))
            found.open.pop(id(self), None)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    monkeypatch.setattr(psycopg.Cursor, "executemany", executemany)
    monkeypatch.setattr(psycopg.Cursor, "fetchall", fetchall)
    monkeypatch.setattr(psycopg.Connection, "pipeline", pipeline)
    return found


def test_a_one_event_catch_up_waits_a_few_times(postgres_schema_url: str, sent: Sent) -> None:
    close_shared_pools()  # one connection, which keeps this store's search path
    try:
        with ComplaintLog(f"{postgres_schema_url}&pool_size=1") as log, Projections(log) as views:

            def catch_up() -> tuple[int, int, int]:
                alone, pipelines, waits = sent.alone, sent.pipelines, sent.waits
                views.catch_up()
                return sent.alone - alone, sent.pipelines - pipelines, sent.waits - waits

            old = log.receive(customer={"id": "c0"}, channel="web", subject="s", description="d")
            log.acknowledge(old)
            views.catch_up()
            for projection in views._follower.projections:
                projection.discard()  # the old complaint's rows come from the tables again
            log.receive(customer={"id": "c1"}, channel="web", subject="s", description="d")
            # the positions, the page of the log; the writes in one pipeline, which waits
            # for the answers of the queries among them and for its end
            assert catch_up() == (2, 1, 2 + 7)
            log.assign(old, assignee="ann", team="care")
            # and the complaint's stored rows (current state, SLA case and clocks, holder
            # and agenda items, statistics) in a pipeline of their own: one wait, where
            # they were six; its writes wait three times
            assert catch_up() == (2, 2, 2 + 1 + 3)
    finally:
        close_shared_pools()

"""Opening the views on PostgreSQL while a worker writes them: the opener gives way.

``CREATE INDEX IF NOT EXISTS`` locks its table even when the index exists; an opener
running it while a worker held row locks on the same tables deadlocked with that worker
(seen as "deadlock detected" in the worker of ``project --follow``)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from complaintlog import ComplaintLog, Projections

pytestmark = pytest.mark.postgres


def test_views_open_while_a_writer_holds_the_view_tables(
    postgres_schema_url: str, postgres_url: str
) -> None:
    import psycopg

    url = postgres_schema_url
    schema = url.rsplit("schema=", 1)[1]
    at = datetime.now(UTC) - timedelta(hours=1)
    with ComplaintLog(url) as log:
        log.receive(customer={"id": "c1"}, channel="web", subject="s", description="d", at=at)
        with Projections(log) as views:
            views.catch_up()
            tables = [t for p in views._follower.projections for t in p.tables]
    # a writer in the middle of its transaction: every view table locked as an INSERT does
    writer = psycopg.connect(postgres_url)
    try:
        writer.execute(f'SET search_path TO "{schema}"')
        for table in tables:
            writer.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
        opened: list[int] = []

        def open_views() -> None:
            with ComplaintLog(url) as log, Projections(log) as views:
                opened.append(views.current_state.count())

        opener = threading.Thread(target=open_views)
        opener.start()
        opener.join(timeout=30)
        assert not opener.is_alive(), "opening the views waited for the writer's locks"
        assert opened == [1]
    finally:
        writer.rollback()
        writer.close()

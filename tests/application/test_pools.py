"""PostgreSQL connections a deployment can afford: one pool per process, shared by logs,
views and key stores; an application's own pool accepted and left as it was; a log shared
by 40 threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest

from complaintlog import ComplaintLog, InvalidValueError
from complaintlog.audit import verify
from complaintlog.persistence.pools import application_name, close_shared_pools
from complaintlog.projections import Projections

pytestmark = pytest.mark.postgres


def backends(base: str, name: str) -> int:
    """Connections the server holds for clients calling themselves ``name``."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        found = conn.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchone()
    assert found is not None
    return int(found[0])


@pytest.fixture
def schemas(postgres_url: str) -> Iterator[list[str]]:
    """Three store URLs on three fresh schemas of one database."""
    import psycopg

    names = [f"t_pool_{i}_{threading.get_ident() % 100_000}" for i in range(3)]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{name}"')
    close_shared_pools()
    yield [f"{postgres_url}?schema={name}&pool_size=3" for name in names]
    close_shared_pools()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def test_three_logs_views_and_key_stores_share_one_small_pool(
    schemas: list[str], postgres_url: str
) -> None:
    logs = [ComplaintLog(url) for url in schemas]
    views = [Projections(log) for log in logs]
    catching_up = [threading.Lock() for _ in logs]  # one runner per view set
    try:

        def work(i: int) -> UUID:
            log = logs[i % 3]
            customer = {"id": f"C-{i}", "email": f"c{i}@example.org"}  # the key store too
            complaint_id = log.receive(
                customer=customer, channel="web", subject="s", description="d"
            )
            log.acknowledge(complaint_id)
            assert log.get(complaint_id).customer.email == customer["email"]
            with catching_up[i % 3]:
                views[i % 3].catch_up()
            views[i % 3].current_state.count()
            return complaint_id

        with ThreadPoolExecutor(max_workers=30) as executor:
            ids = list(executor.map(work, range(90)))
        assert len(set(ids)) == 90
        for log, view in zip(logs, views, strict=True):
            view.catch_up()
            assert view.current_state.count() == 30  # each schema its own 30
            assert verify(log).ok
        assert backends(postgres_url, application_name()) <= 3
    finally:
        for view in views:
            view.close()
        for log in logs:
            log.close()


def test_an_application_pool_is_used_and_left_as_it_was(
    schemas: list[str], postgres_url: str
) -> None:
    from psycopg_pool import ConnectionPool

    crm_pool = ConnectionPool(
        postgres_url, min_size=1, max_size=2, kwargs={"application_name": "crm-own"}, open=True
    )
    try:
        with ComplaintLog(schemas[0], pool=crm_pool) as log, Projections(log) as views:
            complaint_id = log.receive(
                customer={"id": "C-1", "name": "Ann"}, channel="web", subject="s", description="d"
            )
            views.catch_up()
            assert views.current_state.get(complaint_id) is not None
            assert log.get(complaint_id).customer.name == "Ann"
            with crm_pool.connection() as conn:
                assert conn.autocommit is False  # as the CRM configured it
                assert conn.execute("SELECT 1").fetchone() == (1,)  # tuples, not dicts
                path = conn.execute("SHOW search_path").fetchone()
                assert path is not None
                assert "t_pool" not in path[0]
            # complaintlog opened no pool of its own
            assert backends(postgres_url, application_name()) == 0
            assert backends(postgres_url, "crm-own") <= 2
    finally:
        crm_pool.close()


def test_a_pool_on_another_store_kind_or_of_another_type_is_refused(
    schemas: list[str], tmp_path: Any
) -> None:
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool("", open=False)
    with pytest.raises(InvalidValueError, match="pool"):
        ComplaintLog(f"sqlite:///{tmp_path / 'x.db'}", pool=pool)
    with pytest.raises(InvalidValueError, match="pool"):
        ComplaintLog(schemas[0], pool=object())


def test_one_log_shared_by_40_threads(schemas: list[str]) -> None:
    """40 threads, 1,200 calls on one log: every command recorded once, in order."""
    with ComplaintLog(schemas[0]) as log:
        errors: list[BaseException] = []

        def worker(n: int) -> list[UUID]:
            made = []
            for i in range(10):
                key = f"t{n}-{i}"
                complaint_id = log.receive(
                    customer={"id": f"C-{n}"},
                    channel="phone",
                    subject="s",
                    description="d",
                    idempotency_key=key,
                )
                log.acknowledge(complaint_id)
                assert log.get(complaint_id).status.value == "acknowledged"
                made.append(complaint_id)
            return made

        with ThreadPoolExecutor(max_workers=40) as executor:
            futures = [executor.submit(worker, n) for n in range(40)]
            made: list[UUID] = []
            for future in futures:
                try:
                    made += future.result()
                except BaseException as error:  # collected to report them all
                    errors.append(error)
        assert errors == []
        assert len(set(made)) == 400
        assert made == [
            ComplaintLog.complaint_id_for(f"t{n}-{i}") for n in range(40) for i in range(10)
        ]
        assert sum(1 for _ in log.notifications()) == 800
        assert verify(log).ok


def test_a_pooled_connection_gets_each_borrowers_search_path(
    schemas: list[str], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """complaintlog's pool remembers the search path a connection has and sets it only
    when a borrower asks for another (a round trip saved on every view query)."""
    import psycopg
    from psycopg_pool import ConnectionPool

    from complaintlog.persistence.pools import Pool, _configure

    names = [url.rsplit("schema=", 1)[1].split("&")[0] for url in schemas[:2]]
    sets: list[str] = []
    real_execute = psycopg.Connection.execute

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query.as_string(self) if hasattr(query, "as_string") else str(query)
        if text.startswith("SET search_path"):
            sets.append(text)
        return real_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", execute)
    one = ConnectionPool(postgres_url, min_size=1, max_size=1, configure=_configure, open=True)
    pool = Pool(one, owned=True)
    try:
        seen = []
        for name in [names[0], names[0], names[1], names[1], names[0], None]:
            with pool.connection(search_path=name) as conn:
                row = conn.execute("SELECT current_schema()").fetchone()
                seen.append(row["current_schema"])
        assert seen == [names[0], names[0], names[1], names[1], names[0], names[0]]
        assert len(sets) == 3  # one per change of schema, none for a borrower naming none
    finally:
        one.close()

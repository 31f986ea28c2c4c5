"""``log.using(connection)``: the complaint's events in the caller's own transaction.

A CRM's order row and the complaint commit together or not at all, on PostgreSQL (psycopg,
SQLAlchemy) and SQLite (sqlite3, SQLAlchemy); a killed process leaves neither; races
between two transactions are retried; the chain verifies.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from complaintlog import ComplaintLog, InvalidValueError, NotAcknowledgedError
from complaintlog.audit import verify

CUSTOMER = {"id": "C-1", "name": "Ann Example", "email": "ann@example.org"}


def receive_args(key: str = "order-1") -> dict[str, Any]:
    return {
        "customer": CUSTOMER,
        "channel": "web",
        "subject": "Order 1 never arrived",
        "description": "Paid, nothing came",
        "external_ref": key,
        "idempotency_key": key,
    }


def schema_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["schema"][0]


@pytest.fixture
def pg(postgres_schema_url: str) -> Iterator[tuple[ComplaintLog, str, str]]:
    """A log on a fresh schema, the plain database URL, and the schema with an orders table."""
    import psycopg

    base = postgres_schema_url.split("?")[0]
    schema = schema_of(postgres_schema_url)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".orders (id text PRIMARY KEY, status text)')
    with ComplaintLog(postgres_schema_url) as log:
        yield log, base, schema


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[tuple[ComplaintLog, Path]]:
    path = tmp_path / "crm.db"
    with ComplaintLog(f"sqlite:///{path}") as log:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE orders (id TEXT PRIMARY KEY, status TEXT)")
        conn.commit()
        conn.close()
        yield log, path


def pg_orders(base: str, schema: str) -> list[tuple[str, str]]:
    import psycopg

    with psycopg.connect(base) as conn:
        return list(conn.execute(f'SELECT id, status FROM "{schema}".orders').fetchall())


# -- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_psycopg_rollback_leaves_no_event_and_commit_keeps_both(
    pg: tuple[ComplaintLog, str, str],
) -> None:
    import psycopg

    log, base, schema = pg
    expected_id = ComplaintLog.complaint_id_for("order-1")
    with psycopg.connect(base) as conn:
        conn.execute(f"INSERT INTO \"{schema}\".orders VALUES ('1', 'disputed')")
        bound = log.using(conn)
        complaint_id = bound.receive(**receive_args())
        bound.acknowledge(complaint_id)
        assert complaint_id == expected_id
        assert bound.get(complaint_id).status.value == "acknowledged"  # own writes seen
        assert bound.get(complaint_id).customer.email == CUSTOMER["email"]  # key in the tx
        assert log.max_position() == 0  # nothing visible outside the transaction
        conn.rollback()
    assert log.max_position() == 0
    assert log.find("order-1") is None
    assert pg_orders(base, schema) == []

    with psycopg.connect(base) as conn:
        conn.execute(f"INSERT INTO \"{schema}\".orders VALUES ('1', 'disputed')")
        complaint_id = log.using(conn).receive(**receive_args())
        conn.commit()
    assert pg_orders(base, schema) == [("1", "disputed")]
    assert log.get(complaint_id).customer.name == CUSTOMER["name"]
    assert log.find("order-1") == complaint_id
    assert [e.event for e in log.history(complaint_id)] == ["Received"]
    assert verify(log).ok


@pytest.mark.postgres
def test_two_transactions_racing_on_one_complaint_are_retried(
    pg: tuple[ComplaintLog, str, str],
) -> None:
    """The second writer waits for the first's lock, loses the version, reloads, wins."""
    import psycopg

    log, base, _ = pg
    complaint_id = log.receive(customer={"id": "C-2"}, channel="web", subject="s", description="d")
    log.acknowledge(complaint_id)
    errors: list[BaseException] = []
    with psycopg.connect(base) as first, psycopg.connect(base) as second:
        log.using(first).assign(complaint_id, assignee="ana", team="billing")

        def other() -> None:
            try:
                log.using(second).inform(complaint_id, message="we are on it")
                second.commit()
            except BaseException as error:  # reported below
                errors.append(error)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.5)  # it is blocked on the table lock the first transaction holds
        assert thread.is_alive()
        first.commit()
        thread.join(30)
    assert errors == []
    commands = [e.event for e in log.history(complaint_id)]
    assert commands == ["Received", "Acknowledged", "Assigned", "CustomerInformed"]
    assert verify(log).ok


@pytest.mark.postgres
def test_sqlalchemy_session_on_postgres(pg: tuple[ComplaintLog, str, str]) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    log, base, schema = pg
    engine = create_engine(base.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with Session(engine) as session:
            session.execute(text(f"INSERT INTO \"{schema}\".orders VALUES ('1', 'disputed')"))
            log.using(session).receive(**receive_args())
            session.rollback()
        assert log.max_position() == 0
        assert pg_orders(base, schema) == []
        with Session(engine) as session:
            complaint_id = log.using(session).receive(**receive_args())  # complaint first
            session.execute(text(f"INSERT INTO \"{schema}\".orders VALUES ('1', 'disputed')"))
            session.commit()
        assert pg_orders(base, schema) == [("1", "disputed")]
        assert log.get(complaint_id).external_ref == "order-1"
        with engine.connect() as connection:  # a Connection, commit-as-you-go
            log.using(connection).acknowledge(complaint_id)
            connection.commit()
        assert log.get(complaint_id).status.value == "acknowledged"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_autocommit_connection_commits_each_command(pg: tuple[ComplaintLog, str, str]) -> None:
    import psycopg

    log, base, _ = pg
    with psycopg.connect(base, autocommit=True) as conn:
        complaint_id = log.using(conn).receive(**receive_args())
    assert log.find("order-1") == complaint_id


@pytest.mark.postgres
def test_a_connection_to_another_database_is_refused(pg: tuple[ComplaintLog, str, str]) -> None:
    import psycopg

    log, base, _ = pg
    other = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(other) as conn, pytest.raises(InvalidValueError, match="database"):
        log.using(conn)


# -- SQLite -------------------------------------------------------------------------------


def test_sqlite_rollback_and_commit(lite: tuple[ComplaintLog, Path]) -> None:
    log, path = lite
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO orders VALUES ('1', 'disputed')")
        complaint_id = log.using(conn).receive(**receive_args())
        assert log.using(conn).get(complaint_id).customer.email == CUSTOMER["email"]
        conn.rollback()
        assert log.max_position() == 0
        assert conn.execute("SELECT COUNT(*) FROM orders").fetchone() == (0,)
        conn.execute("INSERT INTO orders VALUES ('1', 'disputed')")
        complaint_id = log.using(conn).receive(**receive_args())
        conn.commit()
    finally:
        conn.close()
    assert log.get(complaint_id).customer.email == CUSTOMER["email"]
    assert verify(log).ok


def test_sqlalchemy_on_sqlite(lite: tuple[ComplaintLog, Path]) -> None:
    from sqlalchemy import create_engine, text

    log, path = lite
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            connection.execute(text("INSERT INTO orders VALUES ('1', 'disputed')"))
            complaint_id = log.using(connection).receive(**receive_args())
            connection.rollback()
        assert log.max_position() == 0
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO orders VALUES ('1', 'disputed')"))
            complaint_id = log.using(connection).receive(**receive_args())
        assert log.find("order-1") == complaint_id
    finally:
        engine.dispose()


def test_memory_store_and_foreign_objects_are_refused(lite: tuple[ComplaintLog, Path]) -> None:
    log, _ = lite
    with pytest.raises(InvalidValueError, match="connection"):
        log.using(object())
    with ComplaintLog("memory://") as memory, pytest.raises(InvalidValueError, match="memory"):
        memory.using(sqlite3.connect(":memory:"))


# -- a process killed between the two writes ----------------------------------------------

CRASHING_CRM = textwrap.dedent(
    """
    import os, sys, time
    from complaintlog import ComplaintLog
    store, kind, first = sys.argv[1], sys.argv[2], sys.argv[3]
    log = ComplaintLog(store)
    if kind == "sqlite":
        import sqlite3
        conn = sqlite3.connect(store.removeprefix("sqlite:///"))
        order = "INSERT INTO orders VALUES ('1', 'disputed')"
    else:
        import psycopg
        conn = psycopg.connect(sys.argv[4])
        order = "INSERT INTO " + sys.argv[5] + ".orders VALUES ('1', 'disputed')"
    args = dict(customer={"id": "C-1", "name": "Ann"}, channel="web", subject="s",
                description="d", idempotency_key="order-1")
    if first == "order":
        conn.execute(order)
    else:
        log.using(conn).receive(**args)
    print("first write done", flush=True)
    time.sleep(60)  # killed here, before the second write and the commit
    """
)


def run_and_kill(*argv: str) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", CRASHING_CRM, *argv], stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "first write done"
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(30)


@pytest.mark.parametrize("first", ["order", "complaint"])
def test_sqlite_crash_between_the_writes_leaves_nothing(
    lite: tuple[ComplaintLog, Path], first: str
) -> None:
    log, path = lite
    run_and_kill(f"sqlite:///{path}", "sqlite", first)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM orders").fetchone() == (0,)
    conn.close()
    assert log.max_position() == 0
    assert log.find("order-1") is None


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["order", "complaint"])
def test_postgres_crash_between_the_writes_leaves_nothing(
    pg: tuple[ComplaintLog, str, str], postgres_schema_url: str, first: str
) -> None:
    log, base, schema = pg
    run_and_kill(postgres_schema_url, "postgres", first, base, f'"{schema}"')
    assert pg_orders(base, schema) == []
    assert log.max_position() == 0
    # the killed transaction held the table lock: a new write gets it once the server ended it
    log.receive(**receive_args())
    assert log.find("order-1") == ComplaintLog.complaint_id_for("order-1")


# -- validate and the id of an idempotency key --------------------------------------------


def test_validate_records_nothing_and_says_what_would_fail(lite: tuple[ComplaintLog, Path]) -> None:
    log, _ = lite
    assert log.validate("receive", **receive_args("k-7")) == ComplaintLog.complaint_id_for("k-7")
    assert log.max_position() == 0
    with pytest.raises(InvalidValueError, match="channel"):
        log.validate("receive", **{**receive_args(), "channel": "carrier pigeon"})
    complaint_id = log.receive(**receive_args())
    position = log.max_position()
    with pytest.raises(NotAcknowledgedError):
        log.validate("resolve", complaint_id, remedy="refund", summary="money back")
    assert log.validate("acknowledge", complaint_id) is None
    assert log.get(complaint_id).status.value == "received"  # the dry run saved nothing
    assert log.max_position() == position
    with pytest.raises(InvalidValueError, match="command"):
        log.validate("erase_everything", complaint_id)


def test_complaint_id_for_checks_the_key() -> None:
    first = ComplaintLog.complaint_id_for("order-1")
    assert first == ComplaintLog.complaint_id_for("order-1")
    assert first != ComplaintLog.complaint_id_for("order-2")
    with pytest.raises(InvalidValueError, match="idempotency_key"):
        ComplaintLog.complaint_id_for("")


def test_keys_written_in_the_callers_transaction_are_wrapped_by_the_kek(tmp_path: Path) -> None:
    import base64
    import os

    from complaintlog.persistence.key_wrapping import is_wrapped

    path = tmp_path / "kek.db"
    kek = base64.b64encode(os.urandom(32)).decode()
    with ComplaintLog(f"sqlite:///{path}", env={"COMPLAINTLOG_KEK": kek}) as log:
        conn = sqlite3.connect(path)
        try:
            complaint_id = log.using(conn).receive(**receive_args())
            conn.commit()
            secrets = [
                row[0] for row in conn.execute("SELECT secret FROM complaintlog_personal_keys")
            ]
        finally:
            conn.close()
        assert secrets
        assert all(is_wrapped(bytes(secret)) for secret in secrets)
        assert log.get(complaint_id).customer.email == CUSTOMER["email"]

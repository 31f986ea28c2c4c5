"""Erasure finds a customer's complaints through the customer index, not a log scan: rows
written with the ``Received`` event (by the log, a batch and a caller's transaction), and
a store written before the index existed indexed once when a log opens it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from complaintlog import ComplaintLog
from complaintlog.application import erasure

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORES)
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


def no_scan(*_: Any, **__: Any) -> Any:
    raise AssertionError("erasure scanned the log")


def receive(log: Any, customer: str, n: int) -> UUID:
    return UUID(
        str(
            log.receive(
                customer={"id": customer, "email": f"{customer}@example.org"},
                channel="web",
                subject=f"s{n}",
                description="d",
            )
        )
    )


def connect(url: str) -> Any:
    if url.startswith("sqlite"):
        return sqlite3.connect(url.removeprefix("sqlite:///"))
    import psycopg

    return psycopg.connect(url.split("?")[0])


def test_erasure_reads_the_index(durable_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with ComplaintLog(durable_url) as log:
        mine = [receive(log, "ann", 1)]
        with log.batch() as batch:
            mine.append(receive(batch, "ann", 2))
            receive(batch, "bob", 3)
        conn = connect(durable_url)
        try:
            mine.append(receive(log.using(conn), "ann", 4))
            conn.commit()
        finally:
            conn.close()
        receive(log, "bob", 5)
        monkeypatch.setattr(erasure, "notifications_of", no_scan)
        done = log.erase_personal_data("ann", reason="asked")
        assert sorted(done.complaints) == sorted(mine)
        assert sorted(done.recorded) == sorted(mine)
        assert log.get(mine[2]).customer.email is None


def test_a_store_from_before_the_index_is_indexed_on_open(
    durable_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ComplaintLog(durable_url) as log:
        mine = [receive(log, "ann", n) for n in range(3)]
        receive(log, "bob", 9)
    conn = connect(durable_url)
    try:
        if durable_url.startswith("sqlite"):
            conn.execute("DROP TABLE complaintlog_customer_complaints")
        else:
            schema = durable_url.split("schema=")[1]
            conn.execute(f'DROP TABLE "{schema}".complaintlog_customer_complaints')
        conn.commit()
    finally:
        conn.close()
    with ComplaintLog(durable_url) as log:
        monkeypatch.setattr(erasure, "notifications_of", no_scan)
        assert sorted(log.erase_personal_data("ann", reason="asked").complaints) == sorted(mine)

"""Tampering tools: plain SQL on the real SQLite and PostgreSQL tables, as an intruder with
database access would run it, and a small log to tamper with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from complaintlog import ComplaintLog

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fill(log: ComplaintLog) -> list[UUID]:
    ids = []
    for n in range(3):
        cid = log.receive(
            customer={"id": f"C-{n}", "name": "Ana"},
            channel="web",
            subject="Invoice",
            description="Charged twice",
            external_ref=f"CRM-{n}",
            at=T0,
        )
        log.acknowledge(cid, at=T0 + timedelta(minutes=5))
        log.resolve(
            cid,
            remedy="refund",
            summary="Refunded",
            compensation={"amount": "12.50", "currency": "EUR"},
            at=T0 + timedelta(hours=2),
        )
        ids.append(cid)
    return ids


class Tamper:
    """Plain SQL on the events table of one store: what an intruder could run."""

    def __init__(self, log: ComplaintLog) -> None:
        self.kind = log.settings.kind
        if self.kind == "sqlite":
            import sqlite3

            self.conn: Any = sqlite3.connect(str(log.settings.sqlite_path))
            self.table = "stored_events"
            self.position = "rowid"
            self.mark = "?"
        else:
            import psycopg

            env = log.settings.env
            self.conn = psycopg.connect(
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                dbname=env["POSTGRES_DBNAME"],
                user=env["POSTGRES_USER"],
                autocommit=True,
            )
            self.table = f'"{env["POSTGRES_SCHEMA"]}".complaintlog_events'
            self.position = "notification_id"
            self.mark = "%s"

    def run(self, sql: str, *params: object) -> list[Any]:
        sql = sql.replace("TABLE", self.table).replace("POS", self.position).replace("?", self.mark)
        cursor = self.conn.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        if self.kind == "sqlite":
            self.conn.commit()
        return list(rows)

    def state(self, position: int) -> bytes:
        return bytes(self.run("SELECT state FROM TABLE WHERE POS = ?", position)[0][0])

    def set_state(self, position: int, state: bytes) -> None:
        self.run("UPDATE TABLE SET state = ? WHERE POS = ?", state, position)

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def tamper_with() -> Callable[[ComplaintLog], Tamper]:
    return Tamper


@pytest.fixture
def fill_log() -> Callable[[ComplaintLog], list[UUID]]:
    return fill


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def audited_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/audited.db"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def filled(audited_url: str) -> Iterator[tuple[ComplaintLog, Tamper]]:
    log = ComplaintLog(audited_url, clock=lambda: T0 + timedelta(days=1))
    fill(log)
    tamper = Tamper(log)
    yield log, tamper
    tamper.close()
    log.close()

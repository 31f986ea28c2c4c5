"""Shared fixtures: a fake clock and ComplaintLogs on every kind of store.

PostgreSQL tests need a server: under CI (``CI=true``) they must run, elsewhere they skip
with the reason when none is reachable. Each PostgreSQL test gets its own schema, so runs
never see each other's events.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaintlog import ComplaintLog

POSTGRES_URL = os.environ.get(
    "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


class FakeClock:
    """A clock that only moves when told to: recording time under the test's control."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers; otherwise why not (fatal under CI)."""
    try:
        import psycopg
    except ImportError as error:  # pragma: no cover - the dev extra installs it
        return f"psycopg is not installed: {error}"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"no PostgreSQL at {POSTGRES_URL}: {error}".splitlines()[0]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    reason = postgres_unavailable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL is unreachable: {reason}")
        pytest.skip(reason)
    return POSTGRES_URL


NATS_URL = os.environ.get("COMPLAINTLOG_TEST_NATS_URL", "nats://127.0.0.1:4222")
RABBITMQ_URL = os.environ.get(
    "COMPLAINTLOG_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"
)


def broker_unavailable_reason(url: str, default_port: int) -> str | None:
    """None when something accepts connections at the broker's address; otherwise why not."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        with socket.create_connection(address, timeout=3):
            return None
    except OSError as error:
        return f"no broker at {address[0]}:{address[1]} ({url.split('@')[-1]}): {error}"


def _broker(url: str, default_port: int) -> str:
    reason = broker_unavailable_reason(url, default_port)
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but the broker is unreachable: {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def nats_url() -> str:
    """NATS with JetStream (``COMPLAINTLOG_TEST_NATS_URL``); tests using it are marked
    ``nats`` and skip with the reason when none answers, except under CI."""
    return _broker(NATS_URL, 4222)


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """RabbitMQ (``COMPLAINTLOG_TEST_RABBITMQ_URL``); tests using it are marked ``rabbitmq``."""
    return _broker(RABBITMQ_URL, 5672)


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A store URL naming a fresh schema, dropped after the test."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}schema={schema}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the in-memory, SQLite and PostgreSQL stores."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'complaints.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def log(clock: FakeClock) -> Iterator[ComplaintLog]:
    """An in-memory ComplaintLog on the fake clock: the fast default for unit tests."""
    with ComplaintLog("memory://", clock=clock) as complaint_log:
        yield complaint_log


@pytest.fixture
def any_log(store_url: str, clock: FakeClock) -> Iterator[ComplaintLog]:
    """A ComplaintLog on each kind of store in turn."""
    with ComplaintLog(store_url, clock=clock) as complaint_log:
        yield complaint_log

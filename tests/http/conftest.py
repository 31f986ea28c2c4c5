"""Fixtures for the HTTP tests: a log with a clock the test moves, the app over it, a
client, and the app served by a real uvicorn on the loopback interface."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fastapi import FastAPI
from fastapi.testclient import TestClient
from http_support import MONDAY, MovingClock

from complaintlog import ComplaintLog
from complaintlog.http import create_app


@pytest.fixture
def moving_clock() -> MovingClock:
    return MovingClock(MONDAY)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every kind of store (PostgreSQL: a fresh schema; skips without a server, not in CI)."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'complaints.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def log(moving_clock: MovingClock, store_url: str) -> Iterator[ComplaintLog]:
    with ComplaintLog(store_url, clock=moving_clock) as opened:
        yield opened


@pytest.fixture
def app(log: ComplaintLog) -> FastAPI:
    return create_app(log)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as opened:
        yield opened

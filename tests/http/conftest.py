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


@pytest.fixture
def log(moving_clock: MovingClock) -> Iterator[ComplaintLog]:
    with ComplaintLog("memory://", clock=moving_clock) as opened:
        yield opened


@pytest.fixture
def app(log: ComplaintLog) -> FastAPI:
    return create_app(log)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as opened:
        yield opened

"""``complaintlog project``: a worker that keeps the views at the head by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from complaintlog import ComplaintLog, Projections
from complaintlog.projections.worker import ProjectionWorker

WAIT_LIMIT = 60.0
"""How long a test waits for the worker before it gives up (not a speed assertion: the
time from a commit to the views lives in bench/)."""


def write(url: str, count: int, first: int = 0) -> list[UUID]:
    at = datetime.now(UTC) - timedelta(hours=1)
    with ComplaintLog(url) as log:
        ids = []
        for n in range(first, first + count):
            complaint = log.receive(
                customer={"id": f"c{n}"}, channel="web", subject=f"#{n}", description="x", at=at
            )
            log.acknowledge(complaint, at=at + timedelta(minutes=1))
            ids.append(complaint)
        return ids


def at_head(url: str) -> bool:
    with ComplaintLog(url) as log, ProjectionWorker(log) as worker:
        return all(row.lag == 0 for row in worker.status())


def wait_for_head(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while not at_head(url):
        if process is not None and process.poll() is not None:
            said = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"the worker died: {said}")
        assert time.monotonic() < deadline, "the views never reached the head"
        time.sleep(0.05)


def worker_process(url: str) -> subprocess.Popen[bytes]:
    """A ``project --follow`` process, returned once its signal handlers are in place
    (it says "following" then; a SIGTERM before that would meet Python's default)."""
    command = [sys.executable, "-m", "complaintlog.cli", "--store", url]
    process = subprocess.Popen(
        [*command, "project", "--follow", "--batch-size", "100"],
        env=os.environ.copy(),
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if b"following" in line:
            return process
    raise AssertionError(f"the worker ended early with {process.wait()}")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=WAIT_LIMIT)
    if process.stderr is not None:
        process.stderr.close()
    return code


def durable_store(store_url: str) -> str:
    if store_url == "memory://":
        pytest.skip("a memory store lives in one process: nothing to follow from another")
    return store_url


def test_project_follow_keeps_the_views_at_the_head_and_exits_0_on_sigterm(
    store_url: str,
) -> None:
    url = durable_store(store_url)
    early = write(url, 3)
    at_head(url)  # creates the view tables first (two processes creating them race on PG)
    process = worker_process(url)
    try:
        wait_for_head(url, process)
        late = write(url, 4, first=3)  # by this process, while the worker waits
        wait_for_head(url, process)
    finally:
        code = stop(process)
    assert code == 0
    with ComplaintLog(url) as log, Projections(log) as views:
        for complaint in early + late:
            assert views.current_state.get(complaint).status == "acknowledged"


def test_a_second_worker_waits_for_the_lease_and_takes_over(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/complaints.db"
    write(url, 2)
    first = worker_process(url)
    second = worker_process(url)
    try:
        write(url, 5, first=2)
        wait_for_head(url, first)
        assert stop(first) == 0
        ids = write(url, 5, first=7)  # only the second worker is left to project these
        wait_for_head(url, second)
    finally:
        if first.poll() is None:
            stop(first)
        code = stop(second)
    assert code == 0
    with ComplaintLog(url) as log, Projections(log) as views:
        assert all(views.current_state.get(c).status == "acknowledged" for c in ids)
    with ComplaintLog(url) as log, Projections(log) as views:
        assert set(views.positions().values()) == {log.max_position()}


@pytest.mark.postgres
def test_on_postgres_the_worker_wakes_by_notify(postgres_schema_url: str) -> None:
    url = postgres_schema_url
    write(url, 1)
    at_head(url)  # creates the view tables first (two processes creating them race on PG)
    stop_event = threading.Event()
    # no poll for two minutes: only a NOTIFY can wake it before the test's limit
    with ComplaintLog(url) as log, ProjectionWorker(log, idle_timeout=120) as worker:
        thread = threading.Thread(target=worker.run, args=(stop_event,))
        thread.start()
        try:
            wait_for_head(url)
            write(url, 3, first=1)
            wait_for_head(url)
        finally:
            stop_event.set()
            thread.join()

"""``complaintlog project``: a worker that keeps the views at the head by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from complaintlog import ComplaintLog, Projections
from complaintlog.projections.worker import ProjectionWorker
from complaintlog.projections.worker_processes import WorkerFailedError, follow_in_processes

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


def worker_process(
    url: str, *options: str, said: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """A ``project --follow`` process, returned once its signal handlers are in place
    (it says "following" then; a SIGTERM before that would meet Python's default). What it
    said before is appended to ``said``."""
    command = [sys.executable, "-m", "complaintlog.cli", "--store", url]
    process = subprocess.Popen(
        [*command, "project", "--follow", "--batch-size", "100", *options],
        env=os.environ.copy(),
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if b"following" in line:
            return process
        if said is not None:
            said.append(line.decode())
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


def partition_workers(parent: int) -> list[int]:
    """The processes ``--workers`` spawned (multiprocessing's spawn children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def tracking(url: str) -> list[str]:
    with ComplaintLog(url) as log, Projections(log) as views:
        rows = views.store.query("SELECT projection FROM complaintlog_projection_tracking")
        return sorted(str(row[0]) for row in rows)


def test_project_follow_with_workers_splits_the_complaints_between_processes(
    store_url: str,
) -> None:
    url = durable_store(store_url)
    early = write(url, 6)
    at_head(url)
    said: list[str] = []
    process = worker_process(url, "--workers", "2", said=said)
    # on SQLite the user hears that partitions share the file's one write lock
    noted = "one write lock" in " ".join(" ".join(said).split())
    assert noted == url.startswith("sqlite")
    try:
        wait_for_head(url, process)
        deadline = time.monotonic() + WAIT_LIMIT
        while len(children := partition_workers(process.pid)) < 2:
            assert time.monotonic() < deadline, "the partition workers never started"
            time.sleep(0.05)
        assert tracking(url) == sorted(
            f"{view}@{k}/2" for view in ("current_state", "sla", "statistics") for k in (1, 2)
        )
        os.kill(children[0], signal.SIGKILL)  # the parent starts it again
        late = write(url, 8, first=6)
        wait_for_head(url, process)
        while len(partition_workers(process.pid)) < 2:
            assert time.monotonic() < deadline, "the killed worker was not started again"
            time.sleep(0.05)
    finally:
        code = stop(process)
    assert code == 0
    assert partition_workers(process.pid) == []
    with ComplaintLog(url) as log, Projections(log) as views:
        for complaint in early + late:
            assert views.current_state.get(complaint).status == "acknowledged"
        assert set(views.positions().values()) == {log.max_position()}


@pytest.mark.postgres
def test_one_worker_per_partition_as_on_several_machines(postgres_schema_url: str) -> None:
    url = postgres_schema_url
    write(url, 4)
    at_head(url)
    first = worker_process(url, "--partition", "1/2")
    second = worker_process(url, "--partition", "2/2")
    try:
        ids = write(url, 10, first=4)
        wait_for_head(url, first)
        wait_for_head(url, second)
    finally:
        codes = stop(first), stop(second)
    assert codes == (0, 0)
    with ComplaintLog(url) as log, Projections(log) as views:
        assert all(views.current_state.get(c).status == "acknowledged" for c in ids)


def test_project_rebuild_with_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/complaints.db"
    ids = write(url, 12)
    command = [sys.executable, "-m", "complaintlog.cli", "--store", url, "project"]
    done = subprocess.run(
        [*command, "--rebuild", "--workers", "2"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    with ComplaintLog(url) as log:
        assert f"rebuilt: {log.max_position():,} events replayed by 2" in done.stderr + done.stdout
    with ComplaintLog(url) as log, Projections(log) as views:
        assert all(views.current_state.get(c).status == "acknowledged" for c in ids)
    refused = subprocess.run(
        [*command, "--once", "--workers", "2"], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert "--workers goes with --follow or --rebuild" in refused.stderr + refused.stdout


def test_a_partition_worker_that_cannot_start_stops_them_all(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path}/no/such/folder/complaints.db"  # the child cannot open it
    with pytest.raises(WorkerFailedError) as failed:
        follow_in_processes(missing, 2, threading.Event(), restart_after=0.1)
    assert failed.value.exitcode == 1
    assert failed.value.partition in {"1/2", "2/2"}

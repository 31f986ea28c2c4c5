"""The example CRM: an order's dispute and its complaint in one transaction, two uvicorn
workers on one shared pool each, 200 concurrent requests, a crash between the writes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio
import httpx
import pytest
from crm import Dispute, Order, create_app, engine_for, migrate
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from complaintlog import ComplaintLog
from complaintlog.projections import migrate as migrate_store

HERE = Path(__file__).parent
SRC = HERE.parent.parent / "src"
POOL_SIZE = 4
"""Per worker: complaintlog's async pool (every read and write of the requests, the
transactions with the CRM included) and the CRM's SQLAlchemy pool, each at most this many
connections; complaintlog's synchronous shared pool beside them keeps one (it opened the
log and its tables)."""


@pytest.fixture
def deployed(database: tuple[str, str]) -> tuple[str, str]:
    crm_url, store_url = database
    migrate_store(store_url)  # what `complaintlog migrate` does at deploy time
    migrate(crm_url)
    return crm_url, store_url


def orders(crm_url: str) -> dict[str, tuple[str, object]]:
    engine = engine_for(crm_url)
    try:
        with Session(engine) as session:
            return {o.id: (o.status, o.complaint_id) for o in session.query(Order).all()}
    finally:
        engine.dispose()


def test_a_dispute_and_its_complaint_commit_together(deployed: tuple[str, str]) -> None:
    crm_url, store_url = deployed
    with TestClient(create_app(crm_url, store_url)) as client:
        assert client.post("/orders/1", params={"customer_id": "C-1"}).status_code == 200
        answer = client.post("/orders/1/dispute", json={"reason": "Never arrived"})
        assert answer.status_code == 200, answer.text
        complaint_id = answer.json()["complaint"]
        assert complaint_id == str(ComplaintLog.complaint_id_for("dispute-1"))
        assert client.get(f"/complaints/{complaint_id}").json()["ref"] == "order-1"
        again = client.post("/orders/1/dispute", json={"reason": "Never arrived"})
        assert again.json()["complaint"] == complaint_id  # a retry: the same complaint
        # a complaint refused (empty description): the order's update rolls back with it
        assert client.post("/orders/2", params={"customer_id": "C-2"}).status_code == 200
        refused = client.post("/orders/2/dispute", json={"reason": ""})
        assert refused.status_code == 422
    assert orders(crm_url)["2"] == ("placed", None)
    with ComplaintLog(store_url) as log:
        assert log.find("order-2") is None
        assert sum(1 for _ in log.notifications()) == 2  # order 1: Received + its reference


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(
    crm_url: str, store_url: str, workers: int, **env: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "CRM_DATABASE_URL": crm_url,
        "COMPLAINTLOG_STORE": store_url,
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "crm:app", "--app-dir", str(HERE),
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=environment,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/orders/none", timeout=1).status_code == 404:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the CRM did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def worker_pids(parent: int) -> list[int]:
    """The uvicorn workers: the processes whose parent is the server's."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(entry.name))
    return pids


def backends(crm_url: str, names: list[str]) -> int:
    """Connections whose application names are ``names`` (the workers' own: other
    processes on the same server, tests running beside this one, are not counted)."""
    import psycopg

    with psycopg.connect(crm_url.split("?")[0], autocommit=True) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = ANY(%s)", (names,)
        ).fetchone()
    return int(row[0]) if row else 0


def test_200_concurrent_disputes_on_two_workers(deployed: tuple[str, str]) -> None:
    crm_url, store_url = deployed
    process, base = serve(crm_url, store_url, workers=2)
    peak = {"complaintlog": 0, "crm": 0}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            pids = worker_pids(process.pid)
            now = backends(crm_url, [f"complaintlog {pid}" for pid in pids])
            peak["complaintlog"] = max(peak["complaintlog"], now)
            crm = backends(crm_url, [f"crm-example {pid}" for pid in pids])
            peak["crm"] = max(peak["crm"], crm)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:

        async def run() -> list[int]:
            limits = httpx.Limits(max_connections=200)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
                for n in range(200):
                    await client.post(f"/orders/{n}", params={"customer_id": f"C-{n % 7}"})
                statuses: list[int] = []

                async def dispute(n: int) -> None:
                    answer = await client.post(f"/orders/{n}/dispute", json={"reason": "late"})
                    statuses.append(answer.status_code)

                async with anyio.create_task_group() as group:
                    for n in range(200):
                        group.start_soon(dispute, n)
                return statuses

        statuses = anyio.run(run)
    finally:
        done.set()
        watcher.join()
        stop(process)
    assert statuses == [200] * 200
    found = orders(crm_url)
    assert {k: v[0] for k, v in found.items()} == {str(n): "disputed" for n in range(200)}
    assert all(
        found[str(n)][1] == ComplaintLog.complaint_id_for(f"dispute-{n}") for n in range(200)
    )
    with ComplaintLog(store_url) as log:
        assert sum(1 for _ in log.notifications()) == 400  # a Received and a reference each
    assert 0 < peak["complaintlog"] <= 2 * (POOL_SIZE + 1)  # two workers
    assert peak["crm"] <= 2 * POOL_SIZE


def test_a_crash_between_the_two_writes_leaves_nothing_half_done(
    deployed: tuple[str, str],
) -> None:
    crm_url, store_url = deployed
    with TestClient(create_app(crm_url, store_url)) as client:
        client.post("/orders/9", params={"customer_id": "C-9"})
    process, base = serve(crm_url, store_url, workers=1, CRM_CRASH_BETWEEN_WRITES="1")
    try:
        with pytest.raises(httpx.TransportError):  # the process died mid-request
            httpx.post(f"{base}/orders/9/dispute", json={"reason": "late"}, timeout=30)
        assert process.wait(30) != 0
    finally:
        if process.poll() is None:
            stop(process)
    assert orders(crm_url)["9"] == ("placed", None)
    with ComplaintLog(store_url) as log:
        assert log.find("order-9") is None
        assert log.max_position() == 0
    # after the restart the retried request records both, once
    with TestClient(create_app(crm_url, store_url)) as client:
        answer = client.post("/orders/9/dispute", json={"reason": "late"})
        assert answer.status_code == 200
    assert orders(crm_url)["9"][0] == "disputed"


def test_dispute_model() -> None:
    assert Dispute(reason="x").email is None

"""The example CRM: an order's dispute and its complaint in one transaction, two brands
under two policies in one store, two uvicorn workers on one shared pool each beside the
projection worker, 200 concurrent requests, a crash between the writes."""

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
import psycopg
import pytest
from crm import POLICIES, POOL_SIZE, Dispute, create_app, migrate
from fastapi.testclient import TestClient

from complaintlog import ComplaintLog
from complaintlog.projections import migrate as migrate_store
from complaintlog.projections.worker import ProjectionWorker

HERE = Path(__file__).parent
SRC = HERE.parent.parent / "src"
SYNC_POOL_SIZE = 2
"""complaintlog's synchronous pool per worker (``?pool_size=2``): it opened the log and
reads the views for the agenda route; every request's reads and writes, the CRM's and
complaintlog's, borrow from the one async pool of ``POOL_SIZE``."""


@pytest.fixture
def deployed(database: tuple[str, str]) -> tuple[str, str]:
    crm_url, store_url = database
    migrate_store(store_url)  # what `complaintlog migrate` does at deploy time
    migrate(crm_url)
    return crm_url, store_url


def orders(crm_url: str) -> dict[str, tuple[str, object]]:
    """The orders as the CRM's table holds them (read with plain SQL)."""
    with psycopg.connect(crm_url) as conn:
        rows = conn.execute("SELECT id, status, complaint_id FROM orders").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_a_dispute_and_its_complaint_commit_together(deployed: tuple[str, str]) -> None:
    crm_url, store_url = deployed
    with TestClient(create_app(crm_url, store_url)) as client:
        placed = client.post("/orders/1", params={"customer_id": "C-1", "brand": "uk"})
        assert placed.status_code == 200
        answer = client.post("/orders/1/dispute", json={"reason": "Never arrived"})
        assert answer.status_code == 200, answer.text
        complaint_id = answer.json()["complaint"]
        assert complaint_id == str(ComplaintLog.complaint_id_for("dispute-1"))
        assert client.get(f"/complaints/{complaint_id}").json()["ref"] == "order-1"
        again = client.post("/orders/1/dispute", json={"reason": "Never arrived"})
        assert again.json()["complaint"] == complaint_id  # a retry: the same complaint
        # a complaint refused (empty description): the order's update rolls back with it
        placed = client.post("/orders/2", params={"customer_id": "C-2", "brand": "eu"})
        assert placed.status_code == 200
        refused = client.post("/orders/2/dispute", json={"reason": ""})
        assert refused.status_code == 422
    assert orders(crm_url)["2"] == ("placed", None)
    with ComplaintLog(store_url) as log:
        assert log.find("order-2") is None
        assert sum(1 for _ in log.notifications()) == 2  # order 1: Received + its reference


RAISED = "2026-03-02T10:00:00Z"
"""A Monday in both brands' winter time (London = UTC, Brussels = UTC+1)."""


def due_items(client: TestClient, brand: str, as_of: str, until: str) -> set[tuple[str, str, str]]:
    answer = client.get(f"/brands/{brand}/agenda", params={"as_of": as_of, "until": until})
    assert answer.status_code == 200, answer.text
    return {(i["action"], i["target"], i["due"]) for i in answer.json()["items"]}


def test_two_brands_under_two_policies_in_one_store(deployed: tuple[str, str]) -> None:
    crm_url, store_url = deployed
    with TestClient(create_app(crm_url, store_url)) as client:
        for order, brand in (("10", "uk"), ("20", "eu")):
            client.post(f"/orders/{order}", params={"customer_id": "C-1", "brand": brand})
            answer = client.post(
                f"/orders/{order}/dispute", json={"reason": "Charged twice", "raised_at": RAISED}
            )
            assert answer.status_code == 200, answer.text
            cid = answer.json()["complaint"]
            assert client.get(f"/complaints/{cid}").json()["brand"] == brand
        # the projection worker (`complaintlog project`) brings the views to the head
        with (
            ComplaintLog(store_url) as log,
            ProjectionWorker(log, tenant_policies=POLICIES) as worker,
        ):
            assert worker.run_once() == 4  # two Received, two references
        until = "2026-05-01T00:00:00Z"
        # FCA (docs/sla.md): final response 8 weeks = 56 x 24 h after receipt (its summary
        # resolution target is informational: it asks nothing of the agenda)
        assert due_items(client, "uk", RAISED, until) == {
            ("resolve", "final_response", "2026-04-27T10:00:00+00:00"),
        }
        # PSD2: close of business of the 15th business day after receipt (no Belgian
        # holiday in March 2026): Monday 23 March 17:00 Brussels
        assert due_items(client, "eu", RAISED, until) == {
            ("resolve", "reply", "2026-03-23T16:00:00+00:00"),
        }
        # by mid-April the EU reply is overdue, the UK final response is not yet due
        mid_april = "2026-04-15T12:00:00Z"
        answer = client.get("/brands/eu/agenda", params={"as_of": mid_april})
        assert [i["overdue"] for i in answer.json()["items"]] == [True]
        assert due_items(client, "uk", mid_april, mid_april) == set()
        assert client.get("/brands/us/agenda").status_code == 404


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
    if process.stderr is not None:
        process.stderr.close()


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


def projection_worker(store_url: str) -> subprocess.Popen[bytes]:
    """``complaintlog project --follow`` with the brands' policies, as the deployment runs
    it beside the web workers; returned once it follows."""
    policies = [f"--tenant-policy={brand}={policy.name}" for brand, policy in POLICIES.items()]
    process = subprocess.Popen(
        [sys.executable, "-m", "complaintlog.cli", "--store", store_url,
         "project", "--follow", *policies],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:
        if b"following" in line:
            return process
    raise AssertionError(f"the projection worker ended early with {process.wait()}")


def test_200_concurrent_disputes_on_two_workers(deployed: tuple[str, str]) -> None:
    crm_url, store_url = deployed
    store_url = f"{store_url}&pool_size={SYNC_POOL_SIZE}"
    follower = projection_worker(store_url)
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

    def brands_agenda(client: httpx.Client, brand: str) -> list[str]:
        """The refs of the brand's complaints to resolve by the summer (once the
        projection worker has caught up with all 200)."""
        deadline = time.monotonic() + 60
        while True:
            answer = client.get(
                f"/brands/{brand}/agenda",
                params={"as_of": "2026-03-02T10:00:00Z", "until": "2026-09-01T00:00:00Z"},
            )
            refs = sorted(i["external_ref"] for i in answer.json()["items"])
            if len(refs) >= 100 or time.monotonic() > deadline:
                return refs
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:

        async def run() -> list[int]:
            limits = httpx.Limits(max_connections=200)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
                for n in range(200):
                    brand = "uk" if n % 2 else "eu"
                    params = {"customer_id": f"C-{n % 7}", "brand": brand}
                    await client.post(f"/orders/{n}", params=params)
                statuses: list[int] = []
                body = {"reason": "late", "raised_at": "2026-03-02T09:00:00Z"}

                async def dispute(n: int) -> None:
                    answer = await client.post(f"/orders/{n}/dispute", json=body)
                    statuses.append(answer.status_code)

                async with anyio.create_task_group() as group:
                    for n in range(200):
                        group.start_soon(dispute, n)
                return statuses

        statuses = anyio.run(run)
        with httpx.Client(base_url=base, timeout=60) as client:
            agendas = {brand: brands_agenda(client, brand) for brand in ("uk", "eu")}
    finally:
        done.set()
        watcher.join()
        stop(process)
        stop(follower)
    assert statuses == [200] * 200
    found = orders(crm_url)
    assert {k: v[0] for k, v in found.items()} == {str(n): "disputed" for n in range(200)}
    assert all(
        found[str(n)][1] == ComplaintLog.complaint_id_for(f"dispute-{n}") for n in range(200)
    )
    with ComplaintLog(store_url) as log:
        assert sum(1 for _ in log.notifications()) == 400  # a Received and a reference each
    # each brand's agenda holds its own orders' complaints, one resolve item each
    assert agendas["uk"] == sorted(f"order-{n}" for n in range(1, 200, 2))
    assert agendas["eu"] == sorted(f"order-{n}" for n in range(0, 200, 2))
    assert 0 < peak["crm"] <= 2 * POOL_SIZE  # two workers: the one shared pool each
    assert peak["complaintlog"] <= 2 * SYNC_POOL_SIZE


def test_a_crash_between_the_two_writes_leaves_nothing_half_done(
    deployed: tuple[str, str],
) -> None:
    crm_url, store_url = deployed
    with TestClient(create_app(crm_url, store_url)) as client:
        client.post("/orders/9", params={"customer_id": "C-9", "brand": "uk"})
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

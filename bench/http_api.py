"""Requests per second of complaintlog's HTTP API against a trivial FastAPI endpoint.

    python bench/http_api.py [--requests 2000] [--store sqlite|postgres ...]
                             [--concurrency 1 --concurrency 8] [--json FILE]

For each store, one uvicorn process (one worker, loopback, complaintlog's access log on
as in production) serves ``create_app(log)`` with two trivial routes added to the same app:
``POST /trivial`` (a pydantic body shaped like a complaint, answered with a new id, 201)
and ``GET /trivial/{id}`` (a small JSON answer); those trivial routes are plain ``def``
endpoints, as most FastAPI code is written: FastAPI runs them in a worker thread and then
validates their answer in another. The same two routes as ``async`` endpoints
(``/trivial-async``), which use no thread at all, are the stricter baseline: each case's
ratio is given against both. The API's measured routes are ``async`` endpoints
handing the log's work to long-lived threads (``complaintlog.http.offload.Offload``).
A client process runs ``--concurrency`` clients at once
(1: one request after the other; 8: as a busy CRM would), each sending one request after
the other over its own kept-alive connection (httpx), in rounds that interleave the four
cases, so a drift of the machine's speed hits them alike; every case gets the same clients:

* ``receive``: ``POST /complaints`` (a new complaint, a unique ``external_ref``, an
  ``Idempotency-Key``), against ``POST /trivial``;
* ``get_state``: ``GET /complaints/{id}`` of complaints received in the warm-up, against
  ``GET /trivial/{id}``.

The figures are requests per second of each case over all rounds, and each complaintlog
case as a share of its trivial counterpart: the median over the rounds of the ratio within
the round (the issue's target: at least half), and how busy the server's process was (its
CPU seconds per second: near 1.0, the one worker is the limit, not the client). As the
client shares the machine's cores, a rate's ratio measures server and client together; the
server's CPU per request, and its ratio (the trivial counterpart's CPU per request over the
case's), measures the server alone (NaN when a tiny run used less than a clock tick). Each
concurrency gets a fresh server and store. PostgreSQL comes from
``--postgres-url`` (default ``$COMPLAINTLOG_TEST_POSTGRES_URL``); its schema is dropped at
the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel

CASES = (
    "trivial_post",
    "trivial_post_async",
    "receive",
    "trivial_get",
    "trivial_get_async",
    "get_state",
)
ROUNDS = 20
WARM_UP = 100
BODY: dict[str, Any] = {
    "customer": {"id": "C-1", "name": "Ana Horvat", "email": "ana@example.org"},
    "channel": "phone",
    "subject": "Router",
    "description": "No connection since Monday",
}


# -- the server ------------------------------------------------------------------------------


class Person(BaseModel):
    id: str
    name: str | None = None
    email: str | None = None


class Trivial(BaseModel):
    """The trivial endpoint's body: the shape of a complaint, validated by pydantic."""

    customer: Person
    channel: str
    subject: str
    description: str
    external_ref: str | None = None


def serve(store: str, port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    from complaintlog import ComplaintLog
    from complaintlog.http import create_app

    with ComplaintLog(store) as log:
        app: FastAPI = create_app(log)

        @app.post("/trivial", status_code=201)
        def trivial_post(body: Trivial) -> dict[str, str]:
            return {"id": str(uuid.uuid4())}

        @app.get("/trivial/{item}")
        def trivial_get(item: uuid.UUID) -> dict[str, str]:
            return {"id": str(item), "status": "received"}

        # the same, async: no thread at all (the stricter baseline)
        @app.post("/trivial-async", status_code=201)
        async def trivial_post_async(body: Trivial) -> dict[str, str]:
            return {"id": str(uuid.uuid4())}

        @app.get("/trivial-async/{item}")
        async def trivial_get_async(item: uuid.UUID) -> dict[str, str]:
            return {"id": str(item), "status": "received"}

        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- the client ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def started(store: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", store, "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    msg = f"the server for {store} did not start"
    raise RuntimeError(msg)


def _one(client: Any, case: str, key: str, ids: list[str], n: int) -> None:
    if case == "receive":
        answer = client.post(
            "/complaints",
            json={**BODY, "external_ref": f"bench-{key}"},
            headers={"Idempotency-Key": f"bench-{key}"},
        )
    elif case == "trivial_post":
        answer = client.post("/trivial", json={**BODY, "external_ref": key})
    elif case == "trivial_post_async":
        answer = client.post("/trivial-async", json={**BODY, "external_ref": key})
    elif case == "get_state":
        answer = client.get(f"/complaints/{ids[n % len(ids)]}")
    elif case == "trivial_get_async":
        answer = client.get(f"/trivial-async/{ids[n % len(ids)]}")
    else:
        answer = client.get(f"/trivial/{ids[n % len(ids)]}")
    if answer.status_code >= 300:
        msg = f"{case}: {answer.status_code} {answer.text[:200]}"
        raise RuntimeError(msg)


_COUNTERPARTS = (
    ("receive", "trivial_post"),
    ("receive", "trivial_post_async"),
    ("get_state", "trivial_get"),
    ("get_state", "trivial_get_async"),
)


def _server_cpu(pid: int) -> float:
    """Seconds of CPU the server process has used (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, requests: int, concurrency: int, server: int) -> dict[str, float]:
    """Each case's rate with ``concurrency`` clients at once (each its own kept-alive
    connection, one request after the other), in rounds that interleave the cases."""
    import httpx

    per_round = max(concurrency, requests // ROUNDS // concurrency * concurrency)
    seconds = dict.fromkeys(CASES, 0.0)
    cpu = dict.fromkeys(CASES, 0.0)
    counts = dict.fromkeys(CASES, 0)
    rounds: list[dict[str, float]] = []
    clients = [httpx.Client(base_url=url, timeout=60) for _ in range(concurrency)]
    try:
        ids = []
        client = clients[0]
        for n in range(WARM_UP):
            body = {**BODY, "external_ref": f"warm-{n}"}
            ids.append(client.post("/complaints", json=body).json()["id"])
            client.post("/trivial", json=body)
            client.get(f"/complaints/{ids[-1]}")
            client.get(f"/trivial/{ids[-1]}")
        with ThreadPoolExecutor(concurrency) as pool:
            for round_number in range(ROUNDS):
                rounds.append({})
                for case in CASES:

                    def share(c: int, case: str = case, round_number: int = round_number) -> None:
                        for n in range(c, per_round, concurrency):
                            _one(clients[c], case, f"{round_number}-{n}", ids, n)

                    used = _server_cpu(server)
                    start = time.perf_counter()
                    list(pool.map(share, range(concurrency)))
                    took = time.perf_counter() - start
                    cpu[case] += _server_cpu(server) - used
                    rounds[-1][case] = per_round / took
                    seconds[case] += took
                    counts[case] += per_round
    finally:
        for client in clients:
            client.close()
    figures = {f"{case}_rps": counts[case] / seconds[case] for case in CASES}
    # How busy the server's process was (1.0: one core all the time): a client that cannot
    # keep the server busy would show here, on the trivial cases first.
    figures.update({f"{case}_server_cpu": cpu[case] / seconds[case] for case in CASES})
    # Rates: each round's ratio is taken within the round, moments apart; the median of
    # those is steadier than a ratio of totals on a machine whose speed drifts. The server
    # alone: its CPU per request, and the trivial counterpart's over ours.
    per_request = {case: cpu[case] / counts[case] for case in CASES}
    figures.update({f"{case}_server_ms_per_request": 1000 * per_request[case] for case in CASES})
    for case, trivial in _COUNTERPARTS:
        suffix = trivial.removeprefix("trivial_post").removeprefix("trivial_get")
        figures[f"{case}_vs_trivial{suffix}"] = statistics.median(
            r[case] / r[trivial] for r in rounds
        )
        ours, theirs = per_request[case], per_request[trivial]
        figures[f"{case}_cpu_vs_trivial{suffix}"] = theirs / ours if ours and theirs else math.nan
    figures["requests_per_case"] = float(per_round * ROUNDS)
    figures["concurrency"] = float(concurrency)
    return figures


def in_process(store: str, count: int) -> dict[str, float]:
    """Milliseconds per ``log.receive`` and ``log.get`` called directly, no HTTP: the part of
    a request that is the log's own work."""
    from complaintlog import ComplaintLog

    with ComplaintLog(store) as log:
        ids = [log.receive(**BODY, external_ref=f"direct-warm-{n}") for n in range(WARM_UP)]
        start = time.perf_counter()
        for n in range(count):
            log.receive(**BODY, external_ref=f"direct-{n}", idempotency_key=f"direct-{n}")
        receive_ms = (time.perf_counter() - start) / count * 1000
        start = time.perf_counter()
        for n in range(count):
            log.get(ids[n % len(ids)])
        get_ms = (time.perf_counter() - start) / count * 1000
    return {"log_receive_ms": receive_ms, "log_get_ms": get_ms}


def store_for(kind: str, folder: Path, pg_url: str) -> tuple[str, str | None]:
    """A fresh store URL, and the PostgreSQL schema to drop afterwards."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'http-bench.db'}", None
    import psycopg

    schema = f"bench_http_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in pg_url else "?"
    return f"{pg_url}{separator}schema={schema}", schema


def drop(pg_url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", metavar="STORE", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=2000, help="per case (default 2000)")
    parser.add_argument(
        "--concurrency",
        type=int,
        action="append",
        help="clients at once, the same for every case (repeatable; default: 1 and 8)",
    )
    parser.add_argument(
        "--store", choices=["sqlite", "postgres"], action="append", help="(default: both)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.store or ["sqlite", "postgres"]:
            for concurrency in args.concurrency or [1, 8]:
                here = Path(folder, f"{kind}-{concurrency}")
                here.mkdir()
                store, schema = store_for(kind, here, args.postgres_url)
                process, url = started(store)
                try:
                    figures = measure(url, args.requests, concurrency, process.pid)
                finally:
                    process.terminate()
                    process.wait(timeout=60)
                    if schema is not None:
                        drop(args.postgres_url, schema)
                results[f"{kind} c={concurrency}"] = figures
            direct, schema = store_for(kind, Path(folder) / "direct", args.postgres_url)
            Path(folder, "direct").mkdir(exist_ok=True)
            try:
                results[f"{kind} in process"] = in_process(direct, min(args.requests, 500))
            finally:
                if schema is not None:
                    drop(args.postgres_url, schema)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"{'store':20} {'case':18} {'req/s':>9} {'server cpu':>11} {'ms cpu/req':>10}"
        "   vs def / async trivial: rate; cpu per request"
    )
    for kind, figures in results.items():
        if "log_receive_ms" in figures:
            print(
                f"{kind:20} log.receive {figures['log_receive_ms']:.2f} ms, "
                f"log.get {figures['log_get_ms']:.2f} ms (no HTTP)"
            )
            continue
        for case in CASES:
            shown = "; ".join(
                " / ".join(f"{figures[f'{case}{measure}{kind_}']:.2f}" for kind_ in ("", "_async"))
                for measure in ("_vs_trivial", "_cpu_vs_trivial")
                if f"{case}{measure}" in figures
            )
            busy = figures[f"{case}_server_cpu"]
            ms = figures[f"{case}_server_ms_per_request"]
            print(
                f"{kind:20} {case:18} {figures[f'{case}_rps']:9.0f} {busy:11.2f} {ms:10.3f}"
                f"   {shown}"
            )
    if args.json is not None:
        args.json.write_text(json.dumps({"commit": commit, "figures": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""The relay against a real NATS JetStream server: kill -9, outages, re-runs, privacy."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest

from complaintlog import ComplaintLog
from complaintlog.relay import Backoff, Relay, publisher_for

from .conftest import (
    DroppingProxy,
    check_delivered,
    delete_stream,
    stream_messages,
    write_complaints,
)

pytestmark = pytest.mark.nats


@pytest.fixture
def stream(nats_url: str) -> Iterator[tuple[str, str]]:
    """A fresh stream name and subject prefix, deleted after the test."""
    tag = uuid.uuid4().hex[:10]
    name, prefix = f"T{tag}", f"t{tag}"
    yield name, prefix
    delete_stream(nats_url, name)


def stream_count(nats_url: str, stream: str) -> int:
    import asyncio

    import nats
    from nats.js.errors import NotFoundError

    async def count() -> int:
        connection = await nats.connect(nats_url)
        try:
            return int((await connection.jetstream().stream_info(stream)).state.messages)
        except NotFoundError:
            return 0
        finally:
            await connection.close()

    return asyncio.run(count())


def relay_command(store: str, nats_url: str, stream: tuple[str, str], *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "complaintlog.cli",
        "--quiet",
        "--store",
        store,
        "relay",
        "--to",
        nats_url,
        "--stream",
        stream[0],
        "--subject-prefix",
        stream[1],
        "--page-size",
        "100",
        *extra,
    ]


def test_three_thousand_complaints_arrive_once_per_id_through_three_kill_nines(
    tmp_path: Path, nats_url: str, stream: tuple[str, str]
) -> None:
    store = f"sqlite:///{tmp_path / 'complaints.db'}"
    # enough that the relay cannot deliver it all between two looks at the stream
    ids = write_complaints(store, 3000)
    total = 3 * len(ids)
    counts_at_kill = []
    for threshold in (500, 1300, 2100):
        process = subprocess.Popen(relay_command(store, nats_url, stream), env=os.environ.copy())
        try:
            deadline = time.monotonic() + 120
            while (
                stream_count(nats_url, stream[0]) < threshold
                and process.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.02)
            assert process.poll() is None, "the relay stopped by itself"
        finally:
            process.kill()  # SIGKILL: no clean-up of any kind
            process.wait()
        counts_at_kill.append(stream_count(nats_url, stream[0]))
    assert counts_at_kill[0] < total, "the first kill came after everything was delivered"
    finished = subprocess.run(
        relay_command(store, nats_url, stream, "--once"), env=os.environ.copy(), check=False
    )
    assert finished.returncode == 0

    messages = stream_messages(nats_url, stream[0])
    arrivals = check_delivered([body for _, body in messages], ids, exactly_once=True)
    for headers, body in messages:
        assert headers["Nats-Msg-Id"] == orjson.loads(body)["id"]
    sequences = [str(m["sequence"]) for m in arrivals]
    assert sequences == sorted(sequences)  # the log's order (zero-padded positions)


def test_a_broker_outage_loses_nothing(
    tmp_path: Path,
    nats_url: str,
    stream: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    parts = urlsplit(nats_url)
    proxy = DroppingProxy(parts.hostname or "127.0.0.1", parts.port or 4222)
    store = f"sqlite:///{tmp_path / 'complaints.db'}"
    ids = write_complaints(store, 100)
    stop = threading.Event()
    caplog.set_level(logging.WARNING, logger="complaintlog.relay")
    with ComplaintLog(store) as log:
        publisher = publisher_for(
            f"nats://127.0.0.1:{proxy.port}", stream=stream[0], subject_prefix=stream[1]
        )
        with Relay(log, publisher, page_size=20, backoff=Backoff(first=0.05, cap=0.3)) as relay:
            worker = threading.Thread(target=relay.run, kwargs={"stop": stop})
            worker.start()
            try:
                for round_ in range(3):
                    proxy.drop()  # the broker goes away in the middle of things
                    ids += write_complaints(store, 50, first=1000 + 50 * round_)
                    time.sleep(0.3)  # the relay tries a few times meanwhile
                    proxy.restore()
                    while relay.status().lag and worker.is_alive():
                        time.sleep(0.05)
            finally:
                stop.set()
                worker.join()
                proxy.close()
    assert any("retrying" in record.getMessage() for record in caplog.records)
    assert any("reached again" in record.getMessage() for record in caplog.records)
    bodies = [body for _, body in stream_messages(nats_url, stream[0])]
    check_delivered(bodies, ids, exactly_once=True)


def test_a_second_run_adds_only_the_new_events(
    tmp_path: Path, nats_url: str, stream: tuple[str, str]
) -> None:
    store = f"sqlite:///{tmp_path / 'complaints.db'}"
    ids = write_complaints(store, 40)
    with ComplaintLog(store) as log:
        publisher = publisher_for(nats_url, stream=stream[0], subject_prefix=stream[1])
        with Relay(log, publisher) as relay:
            assert relay.run(once=True) == 120
        ids += write_complaints(store, 5, first=40)
        with Relay(log, publisher) as relay:
            assert relay.run(once=True) == 15
            status = relay.status()
            assert (status.position, status.lag) == (log.max_position(), 0)
    messages = stream_messages(nats_url, stream[0])
    check_delivered([body for _, body in messages], ids, exactly_once=True)
    subjects = {subject for subject in (h.get("Nats-Subject") for h, _ in messages) if subject}
    del subjects  # nats-py's get_msg does not return the subject in headers

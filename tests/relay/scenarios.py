"""What every broker must survive, written once: each broker's tests give a :class:`Broker`.

* three ``kill -9`` of the relay process mid-delivery, then a run to the end;
* the broker cut off three times while complaints keep coming;
* a second run that sends only what came since the first.

Each returns what the broker holds, for the broker's own checks (headers, properties).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import pytest

from complaintlog import ComplaintLog
from complaintlog.relay import Backoff, Relay, publisher_for

from .conftest import DroppingProxy, check_delivered, write_complaints

Message = tuple[dict[str, Any], bytes]


@attrs.frozen
class Broker:
    """One broker kind as the scenarios use it."""

    url: str
    default_port: int
    destination: dict[str, str]
    """``publisher_for``'s options naming where to publish (stream, exchange, ...)."""
    count: Callable[[], int]
    """How many messages it holds now."""
    messages: Callable[[], list[Message]]
    """What it holds: headers or properties, and the body."""
    exactly_once: bool
    """Whether it drops a re-sent message (NATS's de-duplication by id) or keeps it."""

    def relay_command(self, store: str, *extra: str) -> list[str]:
        options = [part for key, value in self.destination.items() for part in (f"--{key}", value)]
        return [
            sys.executable, "-m", "complaintlog.cli", "--quiet", "--store", store,
            "relay", "--to", self.url, *options, "--page-size", "100", *extra,
        ]  # fmt: skip

    def publisher_options(self) -> dict[str, str]:
        return {key.replace("-", "_"): value for key, value in self.destination.items()}

    def through(self, proxy: DroppingProxy) -> str:
        """The broker's URL through ``proxy`` (credentials kept)."""
        parts = urlsplit(self.url)
        credentials = parts.netloc.rpartition("@")[0]
        where = f"127.0.0.1:{proxy.port}"
        return parts._replace(netloc=f"{credentials}@{where}" if credentials else where).geturl()


def through_kill_nines(
    tmp_path: Path, broker: Broker
) -> tuple[list[Message], list[dict[str, Any]]]:
    """3,000 complaints, the relay killed three times on the way, then run to the end:
    every event arrives under one id each, in the log's order; returns the messages and
    the first arrival of each event."""
    store = f"sqlite:///{tmp_path / 'complaints.db'}"
    # enough that the relay cannot deliver it all between two looks at the broker
    ids = write_complaints(store, 3000)
    total = 3 * len(ids)
    counts_at_kill = []
    for threshold in (500, 1300, 2100):
        process = subprocess.Popen(broker.relay_command(store), env=os.environ.copy())
        try:
            deadline = time.monotonic() + 120
            while (
                broker.count() < threshold
                and process.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.02)
            assert process.poll() is None, "the relay stopped by itself"
        finally:
            process.kill()  # SIGKILL: no clean-up of any kind
            process.wait()
        counts_at_kill.append(broker.count())
    assert counts_at_kill[0] < total, "the first kill came after everything was delivered"
    finished = subprocess.run(
        broker.relay_command(store, "--once"), env=os.environ.copy(), check=False
    )
    assert finished.returncode == 0
    messages = broker.messages()
    arrivals = check_delivered(
        [body for _, body in messages], ids, exactly_once=broker.exactly_once
    )
    sequences = [str(m["sequence"]) for m in arrivals]
    assert sequences == sorted(sequences)  # (first) arrivals in the log's order
    return messages, arrivals


def through_outages(
    tmp_path: Path, broker: Broker, caplog: pytest.LogCaptureFixture
) -> list[Message]:
    """The broker cut off three times while complaints keep coming: nothing lost, the
    relay says it retries and that the broker is back."""
    parts = urlsplit(broker.url)
    proxy = DroppingProxy(parts.hostname or "127.0.0.1", parts.port or broker.default_port)
    store = f"sqlite:///{tmp_path / 'complaints.db'}"
    ids = write_complaints(store, 100)
    stop = threading.Event()
    caplog.set_level(logging.WARNING, logger="complaintlog.relay")
    with ComplaintLog(store) as log:
        publisher = publisher_for(broker.through(proxy), **broker.publisher_options())
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
    messages = broker.messages()
    check_delivered([body for _, body in messages], ids, exactly_once=broker.exactly_once)
    return messages


def in_two_runs(tmp_path: Path, broker: Broker) -> list[Message]:
    """A second run sends only the events recorded since the first."""
    store = f"sqlite:///{tmp_path / 'complaints.db'}"
    ids = write_complaints(store, 40)
    with ComplaintLog(store) as log:
        publisher = publisher_for(broker.url, **broker.publisher_options())
        with Relay(log, publisher) as relay:
            assert relay.run(once=True) == 120
        ids += write_complaints(store, 5, first=40)
        with Relay(log, publisher) as relay:
            assert relay.run(once=True) == 15
            status = relay.status()
            assert (status.position, status.lag) == (log.max_position(), 0)
    messages = broker.messages()
    check_delivered([body for _, body in messages], ids, exactly_once=True)
    return messages

"""The relay against a real NATS JetStream server: kill -9, outages, re-runs, privacy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from .conftest import delete_stream, stream_messages
from .scenarios import Broker, in_two_runs, through_kill_nines, through_outages

pytestmark = pytest.mark.nats


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


@pytest.fixture
def broker(nats_url: str) -> Iterator[Broker]:
    """A fresh stream and subject prefix, the stream deleted after the test."""
    tag = uuid.uuid4().hex[:10]
    stream, prefix = f"T{tag}", f"t{tag}"
    yield Broker(
        url=nats_url,
        default_port=4222,
        destination={"stream": stream, "subject-prefix": prefix},
        count=lambda: stream_count(nats_url, stream),
        messages=lambda: stream_messages(nats_url, stream),
        exactly_once=True,  # JetStream drops a re-send within its window (Nats-Msg-Id)
    )
    delete_stream(nats_url, stream)


def test_three_thousand_complaints_arrive_once_per_id_through_three_kill_nines(
    tmp_path: Path, broker: Broker
) -> None:
    messages, _ = through_kill_nines(tmp_path, broker)
    for headers, body in messages:
        assert headers["Nats-Msg-Id"] == orjson.loads(body)["id"]


def test_a_broker_outage_loses_nothing(
    tmp_path: Path, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    through_outages(tmp_path, broker, caplog)


def test_a_second_run_adds_only_the_new_events(tmp_path: Path, broker: Broker) -> None:
    in_two_runs(tmp_path, broker)

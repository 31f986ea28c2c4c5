"""The relay against a real RabbitMQ: kill -9, outages, re-runs, privacy, AMQP properties."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from .conftest import bind_queue, delete_exchange_and_queue, drain_queue
from .scenarios import Broker, in_two_runs, through_kill_nines, through_outages

pytestmark = pytest.mark.rabbitmq


def queue_count(rabbitmq_url: str, queue: str) -> int:
    import aio_pika

    async def count() -> int:
        connection = await aio_pika.connect(rabbitmq_url)
        async with connection:
            channel = await connection.channel()
            declared = await channel.declare_queue(queue, passive=True)
            return int(declared.declaration_result.message_count or 0)

    return asyncio.run(count())


@pytest.fixture
def broker(rabbitmq_url: str) -> Iterator[Broker]:
    """A fresh exchange with a bound queue, both deleted after the test."""
    tag = uuid.uuid4().hex[:10]
    exchange, queue = f"complaintlog-test-{tag}", f"complaintlog-test-{tag}-crm"
    bind_queue(rabbitmq_url, exchange, queue)
    yield Broker(
        url=rabbitmq_url,
        default_port=5672,
        destination={"exchange": exchange},
        count=lambda: queue_count(rabbitmq_url, queue),
        messages=lambda: drain_queue(rabbitmq_url, queue),
        exactly_once=False,  # RabbitMQ keeps a re-sent message: seen again, under its id
    )
    delete_exchange_and_queue(rabbitmq_url, exchange, queue)


def test_three_thousand_complaints_arrive_under_one_id_each_through_three_kill_nines(
    tmp_path: Path, broker: Broker
) -> None:
    messages, _ = through_kill_nines(tmp_path, broker)
    for properties, body in messages:
        message = orjson.loads(body)
        assert properties["message_id"] == message["id"]
        assert properties["delivery_mode"] == 2  # persistent
        assert properties["routing_key"] == message["type"]  # complaintlog.<EventType>
        assert properties["content_type"] == "application/cloudevents+json"


# aiormq can leave the socket of a connection cut in the middle of a publish half-closed
# until the event loop ends (a warning at garbage collection, nothing lost or sent twice)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_broker_outage_loses_nothing(
    tmp_path: Path, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    through_outages(tmp_path, broker, caplog)


def test_a_second_run_adds_only_the_new_events(tmp_path: Path, broker: Broker) -> None:
    in_two_runs(tmp_path, broker)

"""The consumer against the real RabbitMQ: one letter and one call-back per event, even
when the relay sends everything twice."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
import pytest
from letters_and_callbacks import Outbox, bind, consume

from complaintlog import ComplaintLog
from complaintlog.relay import Relay, publisher_for

RABBITMQ_URL = os.environ.get(
    "COMPLAINTLOG_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"
)


@pytest.fixture
def rabbitmq_url() -> str:
    """The test broker; under CI=true it must answer, elsewhere the test skips with why."""
    parts = urlsplit(RABBITMQ_URL)
    try:
        socket.create_connection((parts.hostname, parts.port or 5672), timeout=3).close()
    except OSError as error:
        reason = f"no RabbitMQ at {parts.hostname}:{parts.port or 5672}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return RABBITMQ_URL


@pytest.mark.rabbitmq
def test_each_letter_and_call_back_happens_once(tmp_path: Path, rabbitmq_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    exchange, queue = f"crm-example-{tag}", f"crm-example-{tag}-q"
    asyncio.run(bind(rabbitmq_url, exchange, queue))
    store = f"sqlite:///{tmp_path / 'complaints.db'}"
    start = datetime.now(UTC) - timedelta(days=1)
    expected_callbacks = set()
    with ComplaintLog(store) as log:
        acknowledged = []
        for n in range(6):
            complaint = log.receive(
                customer={"id": f"c{n}"}, channel="phone", subject="Fee", description="x", at=start
            )
            log.acknowledge(complaint, at=start + timedelta(hours=1))
            acknowledged.append(str(complaint))
            if n % 2 == 0:
                due = start + timedelta(days=3)
                log.make_promise(
                    complaint, promise="Call back", due=due, at=start + timedelta(hours=2)
                )
                expected_callbacks.add((str(complaint), due))
        publisher = publisher_for(rabbitmq_url, exchange=exchange)
        # two relays with their own positions: every message arrives twice, same ids
        for name in ("first", "second"):
            with Relay(log, publisher, name=name) as relay:
                relay.run(once=True)
    outbox = Outbox(str(tmp_path / "crm.db"))
    try:
        done = asyncio.run(consume(rabbitmq_url, queue, outbox, until_idle=1.0))
        assert done == 6 + 3
        assert outbox.letters() == [(c, "acknowledgement") for c in acknowledged]
        callbacks = {(c, datetime.fromisoformat(due)) for c, due in outbox.callbacks()}
        assert callbacks == expected_callbacks
    finally:
        outbox.close()

        async def delete() -> None:
            connection = await aio_pika.connect(rabbitmq_url)
            async with connection:
                channel = await connection.channel()
                await channel.queue_delete(queue)
                await channel.exchange_delete(exchange)

        asyncio.run(delete())

"""A CRM consumer of complaintlog's relay: the letter service and the call-back scheduler.

It binds its own durable queue to the relay's exchange for two event types only:

* ``complaintlog.Acknowledged``: send the acknowledgement letter;
* ``complaintlog.PromiseMade``: schedule the call-back at the promise's due time.

The relay delivers at least once: after a crash or a broker outage a message can come
again, always under the same CloudEvent ``id``. The consumer is idempotent by that id: it
records the id in the same SQLite transaction as the work it did, and acknowledges the
message to RabbitMQ only after that commit. A message seen before is acknowledged and
skipped, so no customer ever gets two letters.

Run it beside ``complaintlog relay --to amqp://guest:guest@127.0.0.1:5672/ --exchange
complaints``::

    python letters_and_callbacks.py amqp://guest:guest@127.0.0.1:5672/ complaints crm.db
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from typing import Any

import aio_pika

ROUTING_KEYS = ("complaintlog.Acknowledged", "complaintlog.PromiseMade")


class Outbox:
    """The CRM's own tables: letters to send, call-backs to make, message ids handled."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(
            "CREATE TABLE IF NOT EXISTS handled (event_id TEXT PRIMARY KEY);"
            "CREATE TABLE IF NOT EXISTS letters (complaint TEXT, kind TEXT, event_id TEXT);"
            "CREATE TABLE IF NOT EXISTS callbacks (complaint TEXT, due TEXT, event_id TEXT);"
        )

    def handle(self, event: dict[str, Any]) -> bool:
        """Do the work of one CloudEvent once; False when its id was handled before."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            seen = self.db.execute(
                "SELECT 1 FROM handled WHERE event_id = ?", (event["id"],)
            ).fetchone()
            if seen is None:
                self._act(event)
                self.db.execute("INSERT INTO handled (event_id) VALUES (?)", (event["id"],))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return seen is None

    def _act(self, event: dict[str, Any]) -> None:
        complaint = event["subject"]
        if event["type"] == "complaintlog.Acknowledged":
            self.db.execute(
                "INSERT INTO letters VALUES (?, 'acknowledgement', ?)", (complaint, event["id"])
            )
        elif event["type"] == "complaintlog.PromiseMade":
            due = event["data"]["due"]
            self.db.execute("INSERT INTO callbacks VALUES (?, ?, ?)", (complaint, due, event["id"]))

    def letters(self) -> list[tuple[str, str]]:
        return self.db.execute("SELECT complaint, kind FROM letters ORDER BY rowid").fetchall()

    def callbacks(self) -> list[tuple[str, str]]:
        return self.db.execute("SELECT complaint, due FROM callbacks ORDER BY rowid").fetchall()

    def close(self) -> None:
        self.db.close()


async def bind(url: str, exchange: str, queue: str) -> None:
    """The consumer's durable queue, bound to the two event types (before the relay runs)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        topic = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        declared = await channel.declare_queue(queue, durable=True)
        for key in ROUTING_KEYS:
            await declared.bind(topic, routing_key=key)


async def consume(url: str, queue: str, outbox: Outbox, *, until_idle: float | None) -> int:
    """Handle messages; with ``until_idle``, return once none came for that many seconds.
    Returns how many messages did new work."""
    done = 0
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=100)
        declared = await channel.declare_queue(queue, durable=True)
        async with declared.iterator(timeout=until_idle) as messages:
            try:
                async for message in messages:
                    event = json.loads(message.body)
                    if outbox.handle(event):
                        done += 1
                    await message.ack()  # only after the work and its id were committed
            except TimeoutError:
                pass
    return done


if __name__ == "__main__":
    broker, exchange_name, database = sys.argv[1:4]
    box = Outbox(database)
    asyncio.run(bind(broker, exchange_name, "crm-letters-and-callbacks"))
    asyncio.run(consume(broker, "crm-letters-and-callbacks", box, until_idle=None))

"""Complaints with personal data, written in batches, and what a broker must end up with."""

from __future__ import annotations

import contextlib
import socket
import threading
from datetime import UTC, datetime, timedelta
from uuid import UUID

from complaintlog import ComplaintLog

EVENTS_PER_COMPLAINT = 3  # Received, Acknowledged, PromiseMade
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def personal_texts(number: int) -> list[str]:
    """The plaintext personal data of complaint ``number``: none may appear in a message."""
    return [
        f"Ottoline Quarrington-{number:05d}",
        f"ottoline.q{number:05d}@example.org",
        f"+44 7700 9{number:05d}",
        f"{number} Wisteria Lane",
        f"private narrative {number:05d} of Ottoline",
    ]


def write_complaints(url: str, count: int, *, first: int = 0, batch: int = 250) -> list[UUID]:
    """``count`` complaints (numbered from ``first``), each received with a name, e-mail,
    phone, address and a description marked personal, acknowledged, and given a promise;
    every tenth also gets an external reference (an event of another aggregate)."""
    ids: list[UUID] = []
    with ComplaintLog(url) as log:
        for offset in range(0, count, batch):
            with log.batch() as unit:
                for number in range(first + offset, first + min(offset + batch, count)):
                    name, email, phone, address, story = personal_texts(number)
                    at = START + timedelta(minutes=number)
                    complaint = unit.receive(
                        customer={
                            "id": f"cust-{number}",
                            "name": name,
                            "email": email,
                            "phone": phone,
                            "address": address,
                        },
                        channel="email",
                        subject="Card payment refused",
                        description=story,
                        personal_fields=("description",),
                        external_ref=f"CRM-{number}" if number % 10 == 0 else None,
                        at=at,
                    )
                    unit.acknowledge(complaint, at=at + timedelta(hours=1))
                    unit.make_promise(
                        complaint,
                        promise="Call back about the refund",
                        due=at + timedelta(days=2),
                        at=at + timedelta(hours=2),
                    )
                    ids.append(complaint)
    return ids


def expected_events(ids: list[UUID]) -> set[tuple[str, int]]:
    """(complaint id, version) of every complaint event the complaints have."""
    return {(str(c), v) for c in ids for v in range(1, EVENTS_PER_COMPLAINT + 1)}


# -- reading what reached the brokers --------------------------------------------------------


def stream_messages(nats_url: str, stream: str) -> list[tuple[dict[str, str], bytes]]:
    """Every message JetStream holds in ``stream``: (headers, body), in stream order."""
    import asyncio

    import nats

    async def read() -> list[tuple[dict[str, str], bytes]]:
        connection = await nats.connect(nats_url)
        try:
            jetstream = connection.jetstream()
            info = await jetstream.stream_info(stream)
            found = []
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                message = await jetstream.get_msg(stream, sequence)
                found.append((dict(message.headers or {}), bytes(message.data or b"")))
            return found
        finally:
            await connection.close()

    return asyncio.run(read())


def delete_stream(nats_url: str, stream: str) -> None:
    import asyncio

    import nats
    from nats.js.errors import NotFoundError

    async def delete() -> None:
        connection = await nats.connect(nats_url)
        try:
            await connection.jetstream().delete_stream(stream)
        except NotFoundError:
            pass
        finally:
            await connection.close()

    asyncio.run(delete())


def bind_queue(rabbitmq_url: str, exchange: str, queue: str) -> None:
    """A durable topic exchange and a queue bound to all of complaintlog's routing keys."""
    import asyncio

    import aio_pika

    async def bind() -> None:
        connection = await aio_pika.connect(rabbitmq_url)
        async with connection:
            channel = await connection.channel()
            bound = await channel.declare_exchange(
                exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            declared = await channel.declare_queue(queue, durable=True)
            await declared.bind(bound, routing_key="complaintlog.#")

    asyncio.run(bind())


def drain_queue(rabbitmq_url: str, queue: str) -> list[tuple[dict[str, object], bytes]]:
    """Every message waiting in ``queue``, taken off it: (properties, body)."""
    import asyncio

    import aio_pika

    async def drain() -> list[tuple[dict[str, object], bytes]]:
        connection = await aio_pika.connect(rabbitmq_url)
        found: list[tuple[dict[str, object], bytes]] = []
        async with connection:
            channel = await connection.channel()
            declared = await channel.declare_queue(queue, durable=True)
            while True:
                message = await declared.get(no_ack=True, fail=False)
                if message is None:
                    return found
                found.append(
                    (
                        {
                            "message_id": message.message_id,
                            "delivery_mode": int(message.delivery_mode or 0),
                            "routing_key": message.routing_key,
                            "content_type": message.content_type,
                        },
                        message.body,
                    )
                )

    return asyncio.run(drain())


def delete_exchange_and_queue(rabbitmq_url: str, exchange: str, queue: str) -> None:
    import asyncio

    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect(rabbitmq_url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
            await channel.exchange_delete(exchange)

    asyncio.run(delete())


# -- a proxy that can cut the broker off ------------------------------------------------------


class DroppingProxy:
    """A TCP proxy to a broker. ``drop()`` is an outage: every connection is cut and new
    ones are refused (the listening socket is closed) until ``restore()`` listens again on
    the same port."""

    def __init__(self, host: str, port: int) -> None:
        import socket

        self.target = (host, port)
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._start()

    def _start(self) -> None:
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: an outage
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def drop(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for end in self.sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self._start()

    def close(self) -> None:
        self.drop()


# -- checking what arrived ---------------------------------------------------------------------

PERSONAL_MARKERS = (b"Ottoline", b"Wisteria", b"@example.org", b"7700 9")
"""Every text :func:`personal_texts` makes holds one of these."""


def check_delivered(
    bodies: list[bytes], ids: list[UUID], *, exactly_once: bool
) -> list[dict[str, object]]:
    """Every complaint event arrived, each under one stable id; nothing personal in clear.

    Returns the first arrival of each event, in arrival order."""
    import orjson

    expected = expected_events(ids)
    first: dict[tuple[str, int], dict[str, object]] = {}
    bodies_of: dict[str, bytes] = {}
    for body in bodies:
        for marker in PERSONAL_MARKERS:
            assert marker not in body, f"plaintext personal data {marker!r} in {body[:300]!r}"
        message = orjson.loads(body)
        key = (message["subject"], message["complaintversion"])
        earlier = first.setdefault(key, message)
        assert earlier["id"] == message["id"], f"{key} was sent under two ids"
        if message["id"] in bodies_of:
            assert bodies_of[message["id"]] == body, "a re-send differs from the first send"
        bodies_of[message["id"]] = body
    assert set(first) == expected
    assert len(bodies_of) == len(expected)  # one id per event, no two events share one
    if exactly_once:
        assert len(bodies) == len(expected)
    return list(first.values())

"""Publishing to NATS JetStream (``nats-py``).

The stream is created if it is missing, with subjects ``<prefix>.>``; each event goes to
``<prefix>.<EventType>`` with the ``Nats-Msg-Id`` header set to the event's id, so
JetStream's duplicate window (two minutes by default) drops a re-send. A publish returns
when JetStream acknowledged that the stream stored the message.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit

from complaintlog.relay.envelope import Message
from complaintlog.relay.errors import BrokerUnavailableError, RelayConfigurationError

__all__ = ["NatsPublisher"]


class NatsPublisher:
    """One JetStream stream and subject prefix on one NATS server."""

    def __init__(
        self, url: str, *, stream: str, subject_prefix: str = "complaintlog", timeout: float = 5.0
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"nats", "tls"} or not parts.hostname:
            msg = f"--to {url!r}: a NATS URL reads nats://host:4222"
            raise RelayConfigurationError(msg)
        if not stream or any(c in stream for c in " .*>"):
            msg = f"--stream {stream!r}: a JetStream stream name without spaces, '.', '*', '>'"
            raise RelayConfigurationError(msg)
        if not subject_prefix or any(c in subject_prefix for c in " *>"):
            msg = f"--subject-prefix {subject_prefix!r}: a subject without spaces, '*', '>'"
            raise RelayConfigurationError(msg)
        self.url = url
        self.stream = stream
        self.prefix = subject_prefix
        self.timeout = timeout
        self.destination = f"{parts.scheme}://{parts.hostname}:{parts.port or 4222}"
        self.default_name = f"nats:{stream}:{subject_prefix}"
        self._connection: Any = None
        self._jetstream: Any = None

    async def connect(self) -> None:
        from nats.aio.client import Client
        from nats.js.errors import BadRequestError, NotFoundError

        async def quiet(_: Exception) -> None:  # the relay reports failures itself
            return None

        self._connection = Client()
        try:
            await self._connection.connect(
                servers=[self.url],
                connect_timeout=self.timeout,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=quiet,
            )
            self._jetstream = self._connection.jetstream(timeout=self.timeout)
            try:
                await self._jetstream.stream_info(self.stream)
            except NotFoundError:
                await self._jetstream.add_stream(name=self.stream, subjects=[f"{self.prefix}.>"])
        except BadRequestError as error:  # e.g. another stream holds these subjects: no retry
            await self.close()
            msg = f"NATS refused stream {self.stream!r} on {self.prefix}.>: {error.description}"
            raise RelayConfigurationError(msg) from error
        except Exception as error:  # nats-py raises many kinds; all mean "not now"
            await self.close()
            raise BrokerUnavailableError(self.destination, "connect", error) from error

    async def publish(self, message: Message) -> None:
        if self._jetstream is None:
            raise BrokerUnavailableError(self.destination, "publish", ConnectionError("closed"))
        try:
            await self._jetstream.publish(
                f"{self.prefix}.{message.event_type}",
                message.body,
                headers={"Nats-Msg-Id": message.id, "Content-Type": message.content_type},
                timeout=self.timeout,
            )
        except Exception as error:
            raise BrokerUnavailableError(self.destination, "publish", error) from error

    async def close(self) -> None:
        connection, self._connection, self._jetstream = self._connection, None, None
        if connection is None:
            return
        with contextlib.suppress(Exception):  # closing a dead connection: nothing to release
            await connection.close()
        # nats-py leaves the socket of a connection that failed half-way open: close it
        transport = getattr(connection, "_transport", None)
        if transport is not None:
            try:
                transport.close()
                await transport.wait_closed()
            except Exception:  # already closed, or the peer reset it
                return

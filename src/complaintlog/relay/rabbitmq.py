"""Publishing to RabbitMQ (``aio-pika``), with publisher confirms.

The exchange is a durable topic exchange: declared if missing, used as it is if it exists
(a passive declare first, so an existing exchange's settings are never fought). Each event
is a persistent message with routing key ``complaintlog.<EventType>`` and ``message_id``
the event's id; a publish returns when the broker confirmed it (for a durable queue: wrote
it to disk). An exchange without queues drops messages: bind the consumers' queues before
starting the relay.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from complaintlog.relay.envelope import Message
from complaintlog.relay.errors import BrokerUnavailableError, RelayConfigurationError

__all__ = ["RabbitPublisher"]


class RabbitPublisher:
    """One topic exchange on one RabbitMQ virtual host."""

    def __init__(self, url: str, *, exchange: str, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"amqp", "amqps"} or not parts.hostname:
            msg = f"--to {url!r}: an AMQP URL reads amqp://user:password@host:5672/vhost"
            raise RelayConfigurationError(msg)
        if not exchange or exchange.startswith("amq."):
            msg = f"--exchange {exchange!r}: name an exchange (not one of the amq.* ones)"
            raise RelayConfigurationError(msg)
        self.url = url
        self.exchange_name = exchange
        self.timeout = timeout
        vhost = parts.path or "/"
        self.destination = f"{parts.scheme}://{parts.hostname}:{parts.port or 5672}{vhost}"
        self.default_name = f"amqp:{exchange}"
        self._connection: Any = None
        self._exchange: Any = None

    async def connect(self) -> None:
        import aio_pika
        from aio_pika.exceptions import ChannelClosed

        try:
            self._connection = await aio_pika.connect(self.url, timeout=self.timeout)
            channel = await self._connection.channel(publisher_confirms=True)
            try:
                self._exchange = await channel.get_exchange(self.exchange_name, ensure=True)
            except ChannelClosed:  # a passive declare of a missing exchange closes the channel
                channel = await self._connection.channel(publisher_confirms=True)
                self._exchange = await channel.declare_exchange(
                    self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
                )
        except Exception as error:  # aio-pika and aiormq raise many kinds
            await self.close()
            raise BrokerUnavailableError(self.destination, "connect", error) from error

    async def publish(self, message: Message) -> None:
        import aio_pika

        if self._exchange is None:
            raise BrokerUnavailableError(self.destination, "publish", ConnectionError("closed"))
        try:
            await self._exchange.publish(
                aio_pika.Message(
                    message.body,
                    message_id=message.id,
                    content_type=message.content_type,
                    type=f"complaintlog.{message.event_type}",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=f"complaintlog.{message.event_type}",
                mandatory=False,
                timeout=self.timeout,
            )
        except Exception as error:
            raise BrokerUnavailableError(self.destination, "publish", error) from error

    async def close(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # closing a dead connection: nothing left to release
                return

"""Deliver every complaint event to a message broker, at least once, in log order.

>>> from complaintlog.relay import Relay, publisher_for
>>> publisher = publisher_for("nats://127.0.0.1:4222", stream="COMPLAINTS")  # doctest: +SKIP
>>> with Relay(log, publisher) as relay:                                     # doctest: +SKIP
...     relay.run(once=True)

``complaintlog relay`` runs the same from the command line. Messages are CloudEvents
(:mod:`complaintlog.relay.envelope`); docs/relay.md says what a consumer must do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from complaintlog.relay.envelope import Message, event_id, message_of, message_schema
from complaintlog.relay.errors import BrokerUnavailableError, RelayConfigurationError
from complaintlog.relay.nats import NatsPublisher
from complaintlog.relay.rabbitmq import RabbitPublisher
from complaintlog.relay.relay import Publisher, Relay, RelayStatus
from complaintlog.relay.retry import Backoff

__all__ = [
    "Backoff",
    "BrokerUnavailableError",
    "Message",
    "NatsPublisher",
    "Publisher",
    "RabbitPublisher",
    "Relay",
    "RelayConfigurationError",
    "RelayStatus",
    "event_id",
    "message_of",
    "message_schema",
    "publisher_for",
]


def publisher_for(
    url: str,
    *,
    stream: str | None = None,
    subject_prefix: str = "complaintlog",
    exchange: str | None = None,
) -> Publisher:
    """The publisher for a broker URL: ``nats://`` (needs ``stream``) or ``amqp://``
    (needs ``exchange``)."""
    scheme = urlsplit(url).scheme
    if scheme in {"nats", "tls"}:
        if not stream:
            raise RelayConfigurationError(f"--to {url}: NATS needs --stream NAME")
        return NatsPublisher(url, stream=stream, subject_prefix=subject_prefix)
    if scheme in {"amqp", "amqps"}:
        if not exchange:
            raise RelayConfigurationError(f"--to {url}: RabbitMQ needs --exchange NAME")
        return RabbitPublisher(url, exchange=exchange)
    msg = f"--to {url!r}: use nats://host:4222 or amqp://user:password@host:5672/vhost"
    raise RelayConfigurationError(msg)

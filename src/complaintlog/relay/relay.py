"""The relay: every complaint event, in recording order, to a broker, at least once.

The loop reads a page of the log after its position, publishes each complaint event and
waits for the broker's confirmation of each, then saves the page's last position in the
store (:mod:`complaintlog.relay.positions`). A crash (even ``kill -9``) between a publish and
the save sends that page again when the relay restarts; every re-sent message carries the
same id, so JetStream drops it and a consumer de-duplicates it. Nothing is skipped: the
position never moves past an unconfirmed message.

A broker that is down, drops the connection or does not confirm in time: the relay logs a
warning, closes the connection, waits (:class:`~complaintlog.relay.retry.Backoff`) and
starts again from its saved position; it logs again when it is through. Messages are
published one after another on one connection, so they leave, and are stored, in log order.

Only one relay per name runs at a time: a second waits for the first's lease (the
projection worker's :class:`~complaintlog.projections.worker.Lease`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from typing import Protocol

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.application.follow import waiter_for
from complaintlog.errors import StoreUnavailableError
from complaintlog.projections.worker import Lease
from complaintlog.relay.envelope import Message, message_of
from complaintlog.relay.errors import BrokerUnavailableError
from complaintlog.relay.positions import RelayPositions
from complaintlog.relay.retry import Backoff

__all__ = ["Publisher", "Relay", "RelayStatus"]

logger = logging.getLogger("complaintlog.relay")


class Publisher(Protocol):
    """A broker connection: ``publish`` returns once the broker confirmed the message."""

    destination: str
    default_name: str

    async def connect(self) -> None: ...

    async def publish(self, message: Message) -> None: ...

    async def close(self) -> None: ...


@attrs.frozen
class RelayStatus:
    """Where a relay stands: the last confirmed position, the log's head, the lag."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Relay:
    """Publishes a log's complaint events to one broker destination (module docstring)."""

    def __init__(
        self,
        log: ComplaintLog,
        publisher: Publisher,
        *,
        name: str | None = None,
        source: str | None = None,
        page_size: int = 500,
        backoff: Backoff | None = None,
    ) -> None:
        self.log = log
        self.publisher = publisher
        self.name = name or publisher.default_name
        self.source = source or f"complaintlog:{log.settings.redacted_url}"
        self.page_size = page_size
        self.backoff = backoff or Backoff()
        self.positions = RelayPositions(log)
        digest = hashlib.blake2b(self.name.encode(), digest_size=6).hexdigest()
        self.lease = Lease(log, f"relay-{digest}")
        self.published = 0
        self.failures = 0

    def status(self) -> RelayStatus:
        return RelayStatus(self.name, self.positions.get(self.name), self.log.max_position())

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> int:
        """Publish until ``stop`` is set (or, with ``once``, until the head as it was when
        called is confirmed). Returns the number of messages published."""
        stop = stop or threading.Event()
        if not self.lease.acquire(stop):
            return 0
        try:
            return asyncio.run(self._run(once, stop))
        finally:
            self.lease.release()

    async def _run(self, once: bool, stop: threading.Event) -> int:
        target = self.log.max_position() if once else None
        position = self.positions.get(self.name)
        connected = False
        with waiter_for(self.log) as waiter:
            while not stop.is_set():
                if target is not None and position >= target:
                    break
                try:
                    if not connected:
                        await self.publisher.connect()
                        connected = True
                        if self.failures:
                            logger.warning(
                                "relay %s: %s reached again, resuming at %d",
                                self.name,
                                self.publisher.destination,
                                position,
                            )
                    page = list(self.log.notifications(position + 1, limit=self.page_size))
                    if not page:
                        if target is not None:
                            break
                        await asyncio.to_thread(waiter.wait, position, 1.0, stop)
                        continue
                    for notification in page:
                        message = message_of(self.log, notification, self.source)
                        if message is not None:
                            await self.publisher.publish(message)
                            self.published += 1
                    position = page[-1].id
                    self.positions.save(self.name, position)
                    self.backoff.reset()
                    self.failures = 0
                except (BrokerUnavailableError, StoreUnavailableError) as error:
                    self.failures += 1
                    delay = self.backoff.next()
                    logger.warning(
                        "relay %s: %s; retrying in %.1f s (from position %d)",
                        self.name,
                        error,
                        delay,
                        position,
                    )
                    await self.publisher.close()
                    connected = False
                    await asyncio.to_thread(stop.wait, delay)
            await self.publisher.close()
        return self.published

    def close(self) -> None:
        self.positions.close()
        self.lease.release()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

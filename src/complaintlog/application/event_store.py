"""The eventsourcing application underneath the log, and how its store errors read."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    Notification,
    OperationalError,
)
from eventsourcing.utils import get_topic

from complaintlog.domain.complaint import Complaint
from complaintlog.errors import (
    StoreUnavailableError,
)
from complaintlog.persistence.mapper import OrjsonTranscoder, PydanticMapper

__all__ = [
    "MAX_ATTEMPTS",
    "RECEIVED_TOPIC",
    "ComplaintApplication",
    "customers_of",
    "notifications_of",
    "store_errors",
]

MAX_ATTEMPTS = 40
"""Tries of a command that keeps losing races to other writers (each retry backs off up
to 64 ms): two writers issuing commands back to back on one complaint can make one lose a
dozen times in a row."""

RECEIVED_TOPIC = get_topic(Complaint.Received)
_PAGE = 1000


class ComplaintApplication(Application[UUID]):
    """The eventsourcing application underneath: store, mapper, repository, log."""

    name = "ComplaintLog"
    store_url = ""
    """The store's URL without its password, for error messages."""

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Write the objects' new events in one transaction; a lost store is reported as
        :class:`StoreUnavailableError`.

        Leaner than ``Application.save``, which also makes a ``Recording`` and a
        ``Notification`` of every event for followers in this process and snapshots (we
        have neither) and checks every object against two runtime protocols: together a
        sixth of the cost of a bulk import.
        """
        events = [event for obj in objs if obj is not None for event in obj.collect_events()]
        if not events:
            return []
        stored = list(map(self.mapper.to_stored_event, events))
        customers = customers_of(events)
        if customers and hasattr(self.recorder, "index_customers"):
            kwargs["customers"] = customers  # indexed in the same transaction
        with store_errors(self.store_url, "save"):
            self.recorder.insert_events(stored, **kwargs)
        return []

    def complaints_of_customer(self, customer_id: str) -> list[UUID] | None:
        """The customer's complaints from the store's index (``None``: the store has none)."""
        find = getattr(self.recorder, "complaints_of_customer", None)
        if find is None:
            return None
        with store_errors(self.store_url, "read the customer index"):
            found: list[UUID] | None = find(customer_id)
        return found

    def stored_ids(self, ids: Collection[UUID]) -> set[UUID]:
        """Which of these aggregates the store holds events of: one query where the recorder
        has one (``stored_originators``), else a look-up each."""
        if not ids:
            return set()
        find = getattr(self.recorder, "stored_originators", None)
        with store_errors(self.store_url, "read"):
            if find is not None:
                found: set[UUID] = find(ids)
                return found
            return {i for i in ids if self.recorder.select_events(i, limit=1)}

    def index_earlier_complaints(self) -> None:
        """Index the complaints of a store written before the index existed, once."""
        recorder: Any = self.recorder
        if not hasattr(recorder, "index_customers"):
            return
        with store_errors(self.store_url, "index customers"):
            if recorder.complaints_of_customer("") is not None:
                return  # done before
            pairs: list[tuple[str, UUID]] = []
            for notification in notifications_of(recorder, RECEIVED_TOPIC):
                mapper: Any = self.mapper
                customer = mapper.decode_stored_state(notification).get("customer") or {}
                originator = notification.originator_id
                complaint = originator if isinstance(originator, UUID) else UUID(str(originator))
                pairs.append((str(customer.get("id", "")), complaint))
                if len(pairs) >= _PAGE:
                    recorder.index_customers(pairs, done=False)
                    pairs = []
            recorder.index_customers(pairs, done=True)

    def construct_mapper(self) -> PydanticMapper:
        return PydanticMapper(
            transcoder=OrjsonTranscoder(),
            cipher=self.factory.cipher(),
            compressor=self.factory.compressor(),
        )


def customers_of(events: list[Any]) -> list[tuple[str, UUID]]:
    """``(customer id, complaint id)`` of the ``Received`` events among ``events``."""
    return [
        (event.customer.id, event.originator_id)
        for event in events
        if isinstance(event, Complaint.Received)
    ]


@contextmanager
def store_errors(store: str, operation: str) -> Iterator[None]:
    """Translate the driver's "store gone" errors (after its own retries) into ours.

    Integrity errors are not translated: they mean a concurrent writer won, and the
    callers retry or explain them.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        raise StoreUnavailableError(store, operation, error) from error


def notifications_of(recorder: ApplicationRecorder, topic: str) -> Iterator[Notification]:
    """Every stored event of one topic, in recording order, read in pages (filtered in SQL)."""
    start = 1
    while True:
        page = recorder.select_notifications(start, _PAGE, topics=(topic,))
        yield from page
        if len(page) < _PAGE:
            return
        start = page[-1].id + 1

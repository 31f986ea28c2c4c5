"""The async log's I/O on PostgreSQL: reads, saves and keys on psycopg's async connections.

:class:`AsyncCommands` runs a command or query in a :class:`~.planning.Planner` (the log's
own command code, its I/O taken out), reads what the planner asks for, runs it again, and
saves what it collected in one transaction of the async store. A lost race (a version
another writer saved first) reloads and retries with the same backoff and the same limit as
the log (:mod:`complaintlog.application.attempts`); a racing retry of a new complaint with
the same idempotency key returns the first one's id, as on the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import anyio
from eventsourcing.persistence import IntegrityError, StoredEvent

from complaintlog.application.attempts import backoff, created_meanwhile
from complaintlog.application.event_store import MAX_ATTEMPTS, customers_of
from complaintlog.application.personal_data import KeyRing
from complaintlog.application.planning import NeedEvents, NeedSealingKey, Planner
from complaintlog.domain.complaint import Complaint
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.errors import ConcurrencyError, NotAuthorizedError
from complaintlog.persistence.async_postgres import AsyncPostgresStore
from complaintlog.persistence.key_stores import CustomerKey
from complaintlog.persistence.key_wrapping import WrappingKeyStore, unwrap

if TYPE_CHECKING:
    from complaintlog.application.log import ComplaintLog

__all__ = ["AsyncCommands"]

_MOST_READS = 64
"""Reads one command may ask for (it asks for two or three): a bound against a loop."""


class AsyncCommands:
    """A log's commands and queries as coroutines on an :class:`AsyncPostgresStore`."""

    def __init__(
        self, log: ComplaintLog, store: AsyncPostgresStore, ring: KeyRing | None = None
    ) -> None:
        self.log = log
        self.store = store
        self._ring = ring if ring is not None else log._keys
        outer = log._keys.store
        keks = outer.keks if isinstance(outer, WrappingKeyStore) else None
        self._keks = keks
        self._unwrap_with = (keks.current, *keks.previous) if keks is not None else ()

    async def call(self, name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """``log.<name>(*args, **kwargs)`` with its reads and writes awaited."""
        loaded: dict[UUID, Sequence[StoredEvent]] = {}
        keys: dict[str, CustomerKey | None] = {}
        attempt = 0
        reads = 0
        while True:
            planner = Planner(self.log, loaded, keys, attempt, self._ring)
            try:
                result = getattr(planner, name)(*args, **kwargs)
            except NeedEvents as need:
                reads += 1
                if reads > _MOST_READS:  # pragma: no cover - a planner bug, not a user's
                    raise
                await self._read(need.originator_id, loaded, keys)
                continue
            except NeedSealingKey as need:
                await self._new_key(need.customer_id)
                continue
            except NotAuthorizedError:
                if planner.denied:  # the refusal is recorded, as on the log
                    await self._save(planner.to_save)
                raise
            if not planner.to_save:
                return result
            try:
                await self._save(planner.to_save)
            except IntegrityError:
                if planner.created is not None:
                    return await self._created_meanwhile(planner.created, loaded, keys)
                attempt += 1
                if attempt >= MAX_ATTEMPTS:
                    complaint = planner.to_save[0]
                    why = f"still conflicting after {MAX_ATTEMPTS} attempts"
                    raise ConcurrencyError(complaint.id, name, why) from None
                loaded.clear()
                await anyio.sleep(backoff(attempt - 1))
                continue
            return result

    async def max_position(self) -> int:
        return await self.store.max_position()

    # -- reads -----------------------------------------------------------------------------

    async def _read(
        self,
        originator_id: UUID,
        loaded: dict[UUID, Sequence[StoredEvent]],
        keys: dict[str, CustomerKey | None],
    ) -> None:
        """The originator's events, and every key their sealed values need."""
        stored = await self.store.select_events(originator_id)
        wanted: set[str] = set()
        for event in stored:
            personal = self.log.mapper.decode_stored_state(event).get("personal")
            if isinstance(personal, dict) and isinstance(personal.get("key_id"), str):
                wanted.add(personal["key_id"])
        ring = self._ring
        missing = []
        for key_id in wanted - keys.keys():
            cached = ring.cached_opening_key(key_id)
            if cached is not None:
                keys[key_id] = cached
            else:
                missing.append(key_id)
        if missing:
            found = {
                k: unwrap(v, self._unwrap_with)
                for k, v in (await self.store.fetch_keys(missing)).items()
            }
            ring.remember_opening(found.values())
            for key_id in missing:
                keys[key_id] = found.get(key_id)
        loaded[originator_id] = stored

    async def _created_meanwhile(
        self,
        created: tuple[Complaint, ExternalReference | None, Any],
        loaded: dict[UUID, Sequence[StoredEvent]],
        keys: dict[str, CustomerKey | None],
    ) -> UUID:
        """A new complaint that lost its race: the racing retry's id, or why not."""
        complaint, index, idempotency = created
        await self._read(complaint.id, loaded, keys)
        ref = index.external_ref if index is not None else None
        if index is not None:
            await self._read(index.id, loaded, keys)
        planner = Planner(self.log, loaded, keys, 0, self._ring)
        holder = planner.find(ref) if ref is not None else None
        found = created_meanwhile(
            complaint.id, idempotency, planner._existing(complaint.id), ref, holder
        )
        if found is None:
            raise ConcurrencyError(complaint.id, "receive")
        return found

    # -- writes ----------------------------------------------------------------------------

    async def _save(self, objects: Sequence[Any]) -> None:
        events = [event for obj in objects for event in obj.collect_events()]
        if not events:
            return
        mapper = self.log.mapper
        stored = [mapper.to_stored_event(event) for event in events]
        await self.store.insert_events(stored, customers_of(events))

    async def _new_key(self, customer_id: str) -> None:
        """A new key of the customer, committed before anything is sealed with it."""
        key = CustomerKey.new(customer_id)
        keks = self._keks
        await self.store.insert_keys([keks.wrap(key) if keks is not None else key])
        self._ring.remember([key])

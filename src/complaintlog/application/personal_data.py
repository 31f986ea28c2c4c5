"""Per-customer keys for personal data: where they live, how they seal, how they are shredded.

Personal fields are encrypted with AES-256-GCM (``cryptography``) under a key of the
customer, a random 96-bit nonce per field, and associated data binding each box to its
complaint and field, so a box copied to another complaint or field does not open. Keys
live in their own table, outside the events (:mod:`complaintlog.persistence.key_stores`).

A key is stored (committed) before any event sealed with it is saved. Erasure deletes
every key of the customer (crypto-shredding): the events stay as they were, chains and all,
but their boxes can never be opened again.

Keys are cached per process, for sealing (per customer) and for opening (per key) for at
most ``cache_seconds``; a customer may have several keys (one per process or batch that
first met them), which is what lets writers create keys without coordinating.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import TypeAdapter

from complaintlog.domain.personal import ERASED, Sealed
from complaintlog.errors import PersonalDataError, StoreUnavailableError

if TYPE_CHECKING:
    pass

from complaintlog.persistence.key_stores import (
    KEY_TABLE,
    CustomerKey,
    KeyStore,
    LazyKeyStore,
    MemoryKeyStore,
    PostgresKeyStore,
    SQLiteKeyStore,
    key_store_for,
)

__all__ = [
    "KEY_TABLE",
    "CustomerKey",
    "Erasure",
    "KeyRing",
    "KeyStore",
    "LazyKeyStore",
    "MemoryKeyStore",
    "PostgresKeyStore",
    "SQLiteKeyStore",
    "key_store_for",
    "reveal_state",
]

_NONCE_BYTES = 12
_MAX_CACHED = 100_000
_SEALED = TypeAdapter(Sealed)


@attrs.frozen
class Erasure:
    """What ``erase_personal_data`` did for one customer."""

    customer_id: str
    keys_destroyed: int
    complaints: tuple[UUID, ...]
    """Every complaint of the customer."""
    recorded: tuple[UUID, ...]
    """The complaints that got a ``PersonalDataErased`` event now (not erased before)."""
    stored_in_plain: tuple[UUID, ...]
    """Complaints recorded before encryption (schema v1): their personal data is still in
    the stored rows in plain and can only be removed by rewriting the store."""


# -- the key ring: caches, sealing, opening -------------------------------------------------


@attrs.define
class _Cached:
    key: CustomerKey
    aead: AESGCM
    checked_at: float


def _associated_data(complaint_id: UUID, path: str) -> bytes:
    return f"complaintlog personal v1|{complaint_id}|{path}".encode()


class KeyRing:
    """Seals and opens personal data with per-customer keys from a :class:`KeyStore`."""

    def __init__(
        self,
        store: KeyStore,
        *,
        cache_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._sealing: dict[str, _Cached] = {}  # customer id -> the key this process seals with
        self._opening: dict[str, _Cached] = {}  # key id -> key, for reading

    def prepare(self) -> None:
        """Open the store now (a lazy one creates its table)."""
        store: Any = self.store
        store = getattr(store, "inner", store)  # under the KEK's wrapping
        if isinstance(store, LazyKeyStore):
            _ = store.store

    # sealing

    def cached_sealing_key(self, customer_id: str) -> CustomerKey | None:
        """The customer's key this process sealed with lately, without asking the store."""
        cached = self._sealing.get(customer_id)
        if cached is None or self._monotonic() - cached.checked_at > self.cache_seconds:
            return None
        return cached.key

    def sealing_key(self, customer_id: str) -> CustomerKey:
        """A stored key of the customer: cached, confirmed, or new and stored now."""
        key = self.cached_sealing_key(customer_id)
        if key is not None:
            return key
        stale = self._sealing.get(customer_id)
        if stale is not None and stale.key.key_id in self._fetch([stale.key.key_id]):
            self.remember([stale.key])
            return stale.key
        key = CustomerKey.new(customer_id)
        self.store_keys([key])
        return key

    def store_keys(self, keys: Sequence[CustomerKey]) -> None:
        """Store new keys durably, then cache them for sealing and opening."""
        if not keys:
            return
        try:
            self.store.insert(keys)
        except StoreUnavailableError:
            raise  # a lost connection, retried already: not corrupt data
        except Exception as error:  # the drivers raise many kinds; all mean "not stored"
            msg = f"cannot store personal-data keys: {error}"
            raise PersonalDataError(msg) from error
        self.remember(keys)

    def remember(self, keys: Iterable[CustomerKey]) -> None:
        now = self._monotonic()
        if len(self._sealing) > _MAX_CACHED:
            self._sealing.clear()
        for key in keys:
            cached = _Cached(key, AESGCM(key.secret), now)
            self._sealing[key.customer_id] = cached
            self._opening[key.key_id] = cached

    def seal(
        self,
        key: CustomerKey,
        complaint_id: UUID,
        values: Mapping[str, str],
        customer: object = None,
    ) -> Sealed:
        """Encrypt ``values`` (path -> plaintext) for one event; the plaintext stays attached.

        ``customer`` is the opened customer value, kept beside the plaintext.
        """
        cached = self._opening.get(key.key_id)
        aead = cached.aead if cached is not None and cached.key is key else AESGCM(key.secret)
        boxes = {}
        for path, plaintext in values.items():
            nonce = os.urandom(_NONCE_BYTES)
            box = aead.encrypt(nonce, plaintext.encode(), _associated_data(complaint_id, path))
            boxes[path] = base64.b64encode(nonce + box).decode("ascii")
        sealed = Sealed(key.key_id, boxes)
        sealed.attach(values, customer)
        return sealed

    # opening

    def open(self, sealed: Sealed, complaint_id: UUID) -> None:
        """Attach the plaintext, or mark the value erased when its key is gone."""
        key = self.cached_opening_key(sealed.key_id)
        if key is None:
            key = self._fetch([sealed.key_id]).get(sealed.key_id)
            if key is not None:
                self.remember_opening([key])
        self.open_with(sealed, complaint_id, key)

    def cached_opening_key(self, key_id: str) -> CustomerKey | None:
        """A key read lately (within ``cache_seconds``), without asking the store."""
        cached = self._opening.get(key_id)
        if cached is None or self._monotonic() - cached.checked_at > self.cache_seconds:
            return None
        return cached.key

    def remember_opening(self, keys: Iterable[CustomerKey]) -> None:
        """Cache keys just read from the store, for opening."""
        if len(self._opening) > _MAX_CACHED:
            self._opening.clear()
        now = self._monotonic()
        for key in keys:
            self._opening[key.key_id] = _Cached(key, AESGCM(key.secret), now)

    def open_with(self, sealed: Sealed, complaint_id: UUID, key: CustomerKey | None) -> None:
        """Open ``sealed`` with ``key`` as the store gave it (``None``: destroyed, so the
        value is erased). No I/O: for callers that read keys their own way."""
        if key is None:
            self._opening.pop(sealed.key_id, None)
            sealed.mark_erased()
            return
        cached = self._opening.get(key.key_id)
        aead = cached.aead if cached is not None and cached.key is key else AESGCM(key.secret)
        opened = {}
        for path, box in sealed.boxes.items():
            try:
                raw = base64.b64decode(box, validate=True)
                plaintext = aead.decrypt(
                    raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _associated_data(complaint_id, path)
                )
                opened[path] = plaintext.decode()
            except (InvalidTag, ValueError) as error:
                msg = (
                    f"complaint {complaint_id}: the sealed {path} does not open with its key "
                    "(the stored box was altered, or moved from another complaint or field)"
                )
                raise PersonalDataError(msg) from error
        sealed.attach(opened)

    def existing(self, key_ids: Collection[str]) -> set[str]:
        """Which of ``key_ids`` the store still holds (asked now, not from the cache)."""
        return set(self._fetch(key_ids))

    def _fetch(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        try:
            return self.store.fetch(key_ids)
        except StoreUnavailableError:
            raise  # a lost connection, retried already: not corrupt data
        except Exception as error:  # the drivers raise many kinds; all mean "cannot read"
            msg = f"cannot read personal-data keys: {error}"
            raise PersonalDataError(msg) from error

    # erasing

    def destroy(self, customer_id: str) -> int:
        """Delete every key of the customer, here and in the store."""
        self._sealing.pop(customer_id, None)
        for key_id in [k for k, c in self._opening.items() if c.key.customer_id == customer_id]:
            self._opening.pop(key_id, None)
        try:
            return self.store.destroy(customer_id)
        except StoreUnavailableError:
            raise  # a lost connection, retried already: not corrupt data
        except Exception as error:  # the drivers raise many kinds; all mean "not destroyed"
            msg = f"cannot destroy the keys of customer {customer_id!r}: {error}"
            raise PersonalDataError(msg) from error

    def close(self) -> None:
        self._sealing.clear()
        self._opening.clear()
        self.store.close()


def reveal_state(state: dict[str, Any], ring: KeyRing, complaint_id: UUID) -> dict[str, Any]:
    """A stored state (a ``Received``, or a later step with sealed texts) with its personal
    data shown: opened, or erased.

    For exports that read stored states: the sealed boxes are replaced by the values
    (or :data:`~complaintlog.domain.personal.ERASED`, and ``erased: true`` in the
    customer), and ``personal`` lists the sealed fields' paths.
    """
    raw = state.get("personal")
    if not raw:
        return state
    sealed = _SEALED.validate_python(raw)
    ring.open(sealed, complaint_id)
    shown = dict(state)
    received = "customer" in shown  # a later step's texts have no customer beside them
    customer = dict(shown.get("customer") or {})
    for path in sealed.fields:
        value = None if sealed.is_erased else sealed.plaintext(path)
        if path.startswith("customer."):
            customer[path[len("customer.") :]] = value
        else:
            shown[path] = ERASED if sealed.is_erased else value
    if received:
        if sealed.is_erased:
            customer["erased"] = True
        shown["customer"] = customer
    shown["personal"] = list(sealed.fields)
    return shown

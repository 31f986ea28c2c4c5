"""Customers' data keys wrapped by a key-encryption key (KEK) that lives outside the store.

With ``COMPLAINTLOG_KEK`` (base64 of 32 random bytes) or ``COMPLAINTLOG_KEK_FILE`` set,
every data key is stored wrapped: AES-256-GCM under the KEK, with the key's id and
customer as associated data, so a copy of the database (a dump, a replica, a stolen disk)
holds no usable key. The stored secret then reads::

    b"CLK1" + KEK id (8 bytes) + nonce (12 bytes) + AES-GCM(data key) (48 bytes)

Rotation (``complaintlog keys rotate``): set the new KEK in ``COMPLAINTLOG_KEK`` and the
old one(s) in ``COMPLAINTLOG_KEK_PREVIOUS`` (comma-separated), and every stored key is
re-wrapped under the new KEK in one transaction; no event changes. Keys stored before a
KEK was configured (raw 32 bytes) are wrapped by the same command.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from complaintlog.errors import PersonalDataError, StoreConfigurationError
from complaintlog.persistence.key_stores import CustomerKey, KeyStore, key_store_for
from complaintlog.persistence.settings import StoreSettings

__all__ = [
    "KEK_ENV",
    "KEK_FILE_ENV",
    "KEK_PREVIOUS_ENV",
    "KeyEncryptionKeys",
    "WrappingKeyStore",
    "keks_from_env",
    "wrapped_key_store",
]

KEK_ENV = "COMPLAINTLOG_KEK"
KEK_FILE_ENV = "COMPLAINTLOG_KEK_FILE"
KEK_PREVIOUS_ENV = "COMPLAINTLOG_KEK_PREVIOUS"
_MAGIC = b"CLK1"
_ID = 8
_NONCE = 12


def _kek_id(secret: bytes) -> bytes:
    return hashlib.sha256(b"complaintlog kek id|" + secret).digest()[:_ID]


def _decode(text: str, source: str) -> bytes:
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise StoreConfigurationError(f"{source}: not base64") from None
    if len(secret) != 32:
        raise StoreConfigurationError(f"{source}: a KEK is 32 bytes, not {len(secret)}")
    return secret


@attrs.frozen(repr=False)
class KeyEncryptionKeys:
    """The current KEK (wraps) and earlier ones (still unwrap, until rotation)."""

    current: bytes
    previous: tuple[bytes, ...] = ()

    @property
    def current_id(self) -> str:
        return _kek_id(self.current).hex()

    def __repr__(self) -> str:
        return f"KeyEncryptionKeys(current_id={self.current_id!r})"

    def wrap(self, key: CustomerKey) -> CustomerKey:
        nonce = os.urandom(_NONCE)
        boxed = AESGCM(self.current).encrypt(nonce, key.secret, _aad(key))
        return attrs.evolve(key, secret=_MAGIC + _kek_id(self.current) + nonce + boxed)

    def unwrap(self, key: CustomerKey) -> CustomerKey:
        return unwrap(key, (self.current, *self.previous))


def _aad(key: CustomerKey) -> bytes:
    return f"complaintlog data key|{key.key_id}|{key.customer_id}".encode()


def is_wrapped(secret: bytes) -> bool:
    return secret.startswith(_MAGIC) and len(secret) > len(_MAGIC) + _ID + _NONCE


def unwrap(key: CustomerKey, keks: Sequence[bytes]) -> CustomerKey:
    """The key with its plain secret; raw (never wrapped) keys pass unchanged."""
    secret = key.secret
    if not is_wrapped(secret):
        return key
    wanted = secret[len(_MAGIC) : len(_MAGIC) + _ID]
    for kek in keks:
        if _kek_id(kek) == wanted:
            start = len(_MAGIC) + _ID
            nonce, boxed = secret[start : start + _NONCE], secret[start + _NONCE :]
            try:
                plain = AESGCM(kek).decrypt(nonce, boxed, _aad(key))
            except InvalidTag:
                msg = f"personal-data key {key.key_id}: its wrapping was altered"
                raise PersonalDataError(msg) from None
            return attrs.evolve(key, secret=plain)
    msg = (
        f"personal-data key {key.key_id} is wrapped by KEK {wanted.hex()}, which is not "
        f"configured: set {KEK_ENV} (or {KEK_PREVIOUS_ENV} while rotating)"
    )
    raise PersonalDataError(msg)


class WrappingKeyStore:
    """A :class:`KeyStore` whose stored secrets are wrapped by the KEK (when one is set)."""

    def __init__(self, inner: KeyStore, keks: KeyEncryptionKeys | None) -> None:
        self.inner = inner
        self.keks = keks

    def _unwrap(self, key: CustomerKey) -> CustomerKey:
        return unwrap(key, (self.keks.current, *self.keks.previous) if self.keks else ())

    def insert(self, keys: Sequence[CustomerKey]) -> None:
        keks = self.keks
        self.inner.insert([keks.wrap(k) for k in keys] if keks is not None else keys)

    def fetch(self, key_ids: Collection[str]) -> dict[str, CustomerKey]:
        return {k: self._unwrap(v) for k, v in self.inner.fetch(key_ids).items()}

    def destroy(self, customer_id: str) -> int:
        return self.inner.destroy(customer_id)

    def all_keys(self) -> list[CustomerKey]:
        return [self._unwrap(k) for k in self.inner.all_keys()]

    def replace(self, keys: Sequence[CustomerKey]) -> None:
        keks = self.keks
        self.inner.replace([keks.wrap(k) for k in keys] if keks is not None else keys)

    def rotate(self) -> int:
        """Re-wrap every stored key under the current KEK; returns how many."""
        if self.keks is None:
            msg = f"rotating keys needs a key-encryption key: set {KEK_ENV}"
            raise StoreConfigurationError(msg)
        keys = self.all_keys()  # unwrapped with the current or a previous KEK
        self.replace(keys)
        return len(keys)

    def close(self) -> None:
        self.inner.close()


def wrapped_key_store(settings: StoreSettings, env: Mapping[str, str]) -> WrappingKeyStore:
    """The store's key table, its keys wrapped by the KEK when one is configured (without
    one it stores keys as they are, and refuses wrapped ones with a clear error)."""
    return WrappingKeyStore(key_store_for(settings, env), keks_from_env(env))


def keks_from_env(env: Mapping[str, str]) -> KeyEncryptionKeys | None:
    """The KEKs configured in ``env`` or the process environment (``None``: no KEK)."""

    def value(name: str) -> str | None:
        return env.get(name) or os.environ.get(name)

    text = value(KEK_ENV)
    source = KEK_ENV
    if not text and value(KEK_FILE_ENV):
        path = value(KEK_FILE_ENV) or ""
        source = f"{KEK_FILE_ENV}={path}"
        try:
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise StoreConfigurationError(f"{source}: cannot read it: {error}") from None
    if not text:
        return None
    previous = tuple(
        _decode(part, KEK_PREVIOUS_ENV)
        for part in (value(KEK_PREVIOUS_ENV) or "").split(",")
        if part.strip()
    )
    return KeyEncryptionKeys(_decode(text, source), previous)

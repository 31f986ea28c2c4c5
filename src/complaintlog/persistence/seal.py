"""The audit key: a secret outside the store that seals every stored record.

A per-complaint hash chain proves that stored events link up, but anyone who can write to
the database can compute SHA-256 too and append a well-chained forgery. With an audit key
configured, the mapper appends a *seal* to every record it stores: an HMAC-SHA-256, under
the key, of the record's originator id, version, topic and exact stored JSON (schema
version included). Without the key a seal cannot be made, so ``audit verify`` finds a
forged, edited or re-versioned record of any kind (complaint events, reference indexes,
refused attempts) by its missing or wrong seal.

The seal is the last member of the stored JSON::

    {..., "seal": "v1.<key id, 16 hex>.<HMAC, 64 hex>"}

and the HMAC covers the JSON without that member. Readers strip it
(:func:`split_seal`); the chain and the projections never see it.

The key comes from ``COMPLAINTLOG_AUDIT_KEY`` (base64 of 32 or more random bytes), from
the file named by ``COMPLAINTLOG_AUDIT_KEY_FILE`` (the same base64 on one line), or from a
provider passed to ``ComplaintLog(audit_key=...)``: any callable returning the key's
bytes, e.g. one asking a KMS. Signed checkpoints use an Ed25519 key derived from it
(:meth:`AuditKey.signing_key`), so their public half can be handed to auditors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from complaintlog.errors import StoreConfigurationError

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "AuditKey",
    "AuditKeyProvider",
    "audit_key_from_env",
    "new_audit_key",
    "split_seal",
]

KEY_ENV = "COMPLAINTLOG_AUDIT_KEY"
KEY_FILE_ENV = "COMPLAINTLOG_AUDIT_KEY_FILE"
_MIN_KEY_BYTES = 32
_SEAL = re.compile(rb'(,?)"seal":"v1\.([0-9a-f]{16})\.([0-9a-f]{64})"\}\s*$')

AuditKeyProvider = Callable[[], bytes]
"""Returns the audit key's bytes: a KMS, a vault, a hardware module."""


def new_audit_key() -> str:
    """A new random audit key, base64, for ``COMPLAINTLOG_AUDIT_KEY`` or a key file."""
    return base64.b64encode(os.urandom(_MIN_KEY_BYTES)).decode("ascii")


class AuditKey:
    """The secret that seals records and signs checkpoints. Its repr never shows it."""

    __slots__ = ("_secret", "key_id")

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) < _MIN_KEY_BYTES:
            msg = f"an audit key is at least {_MIN_KEY_BYTES} random bytes"
            raise StoreConfigurationError(msg)
        self._secret = secret
        self.key_id = hmac.new(secret, b"complaintlog audit key id", hashlib.sha256).hexdigest()[
            :16
        ]

    @classmethod
    def from_base64(cls, text: str, source: str) -> AuditKey:
        try:
            secret = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            msg = f"{source}: not base64 (make one with `complaintlog audit new-key`)"
            raise StoreConfigurationError(msg) from None
        if len(secret) < _MIN_KEY_BYTES:
            msg = f"{source}: an audit key is at least {_MIN_KEY_BYTES} bytes, not {len(secret)}"
            raise StoreConfigurationError(msg)
        return cls(secret)

    def __repr__(self) -> str:
        return f"AuditKey(key_id={self.key_id!r})"

    def mac(self, originator_id: object, version: int, topic: str, body: bytes) -> str:
        """The HMAC of one record's identity and stored JSON (without its seal)."""
        digest = hmac.new(self._secret, f"{originator_id}|{version}|{topic}|".encode(), "sha256")
        digest.update(body)
        return digest.hexdigest()

    def row_mac(self, row_digest: str) -> str:
        """An imported row's digest keyed with the audit key: names the source row, but
        cannot be tested against guessed names without the key (unlike plain SHA-256)."""
        return hmac.new(
            self._secret, f"complaintlog source row|{row_digest}".encode(), hashlib.sha256
        ).hexdigest()

    def seal(self, originator_id: object, version: int, topic: str, body: bytes) -> bytes:
        """``body`` (a JSON object) with its seal appended as the last member."""
        member = f'"seal":"v1.{self.key_id}.{self.mac(originator_id, version, topic, body)}"}}'
        if body.rstrip().endswith(b"{}"):
            return body.rstrip()[:-1] + member.encode()
        return body.rstrip()[:-1] + b"," + member.encode()

    def signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 key that signs checkpoints, derived from the audit key."""
        seed = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"complaintlog checkpoints v1"
        ).derive(self._secret)
        return Ed25519PrivateKey.from_private_bytes(seed)

    def public_key(self) -> str:
        """The checkpoints' verifying key, base64: safe to publish."""
        raw = (
            self.signing_key()
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        return base64.b64encode(raw).decode("ascii")


def split_seal(data: bytes) -> tuple[bytes, str | None, str | None]:
    """A stored JSON's body without its seal, the seal's key id and MAC (``None``: unsealed)."""
    match = _SEAL.search(data)
    if match is None:
        return data, None, None
    body = data[: match.start()] + b"}"
    return body, match.group(2).decode(), match.group(3).decode()


def audit_key_from_env(
    env: Mapping[str, str], provider: bytes | AuditKeyProvider | None = None
) -> AuditKey | None:
    """The configured audit key: the provider's, else the environment's, else none."""
    if provider is not None:
        try:
            secret = provider if isinstance(provider, bytes) else provider()
        except Exception as error:  # a KMS may fail in many ways; all mean "no key"
            msg = f"the audit key provider failed: {error}"
            raise StoreConfigurationError(msg) from error
        return AuditKey(secret)
    text = env.get(KEY_ENV) or os.environ.get(KEY_ENV)
    if text:
        return AuditKey.from_base64(text, KEY_ENV)
    path = env.get(KEY_FILE_ENV) or os.environ.get(KEY_FILE_ENV)
    if path:
        try:
            content = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            msg = f"{KEY_FILE_ENV}={path}: cannot read the audit key file: {error}"
            raise StoreConfigurationError(msg) from None
        return AuditKey.from_base64(content, f"{KEY_FILE_ENV}={path}")
    return None

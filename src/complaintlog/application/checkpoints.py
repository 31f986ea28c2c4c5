"""Signed checkpoints: the log's head, signed with a key the database does not hold.

A checkpoint says "up to position P the log's head digest was H", with the running heads
at every ``block`` positions before it, signed with Ed25519 (``cryptography``) under a key
derived from the audit key (:mod:`complaintlog.persistence.seal`). Kept where the
database's administrators cannot write (a file on another machine, a WORM bucket, a
broker subject), it proves that nothing up to P was deleted, inserted, moved or edited,
even by someone who can recompute every hash; the block heads name the first range of
positions that differs.

One checkpoint is one line of JSON (``complaintlog audit checkpoint`` appends one line to
its file), with these members, all required::

    format      "complaintlog-checkpoint/1"
    position    the last position covered (int)
    head        the head digest at that position, "POSITION:SHA256HEX"
    events      how many records the log held up to there (int)
    complaints  how many complaints (int)
    day         the day it vouches for, ISO date (UTC)
    taken_at    when it was made, ISO 8601 UTC
    block       the distance between block heads (int)
    blocks      the running head (64 hex) after positions block, 2*block, ... below
                ``position``, in order
    store       the store it was made of, without password
    key_id      the audit key's id (16 hex)
    public_key  the Ed25519 verifying key, base64 of 32 bytes
    signature   Ed25519 over the other members as JSON with sorted keys and no spaces,
                base64

``day``, ``taken_at``, ``head``, ``events`` and ``complaints`` make a line a digest
journal entry too; members this version does not know are ignored (and not signed).

A checkpoint is only trusted with a public key the verifier already holds (derived from
the audit key, or given): the ``public_key`` member says which key signed, not that it
may be trusted.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import attrs
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from complaintlog.errors import InvalidValueError
from complaintlog.persistence.seal import AuditKey

__all__ = [
    "BLOCK",
    "FORMAT",
    "Checkpoint",
    "read_checkpoints",
    "sign_checkpoint",
    "write_checkpoint",
]

FORMAT = "complaintlog-checkpoint/1"
BLOCK = 1000
"""Positions between block heads: 1,000 blocks (64 KB) per million records."""

_MEMBERS = (
    "format",
    "position",
    "head",
    "events",
    "complaints",
    "day",
    "taken_at",
    "block",
    "blocks",
    "store",
    "key_id",
    "public_key",
    "signature",
)


@attrs.frozen
class Checkpoint:
    """One signed head of the log (see the module docstring for the format)."""

    position: int
    head: str
    events: int
    complaints: int
    day: str
    taken_at: str
    block: int
    blocks: tuple[str, ...]
    store: str
    key_id: str
    public_key: str
    signature: str = ""
    format: str = FORMAT

    def signed_content(self) -> bytes:
        content = {name: getattr(self, name) for name in _MEMBERS if name != "signature"}
        content["blocks"] = list(self.blocks)
        return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)

    def to_json(self) -> str:
        return orjson.dumps(
            {**orjson.loads(self.signed_content()), "signature": self.signature}
        ).decode()

    def signed_by(self, public_key: str) -> bool:
        """Whether the signature is valid under ``public_key`` (base64 Ed25519)."""
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
            key.verify(base64.b64decode(self.signature, validate=True), self.signed_content())
        except (InvalidSignature, ValueError, binascii.Error):
            return False
        return True

    @classmethod
    def from_json(cls, line: str, where: str) -> Checkpoint:
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise InvalidValueError(where, line[:80], f"not JSON: {error}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidValueError(where, line[:80], f"not a {FORMAT} checkpoint")
        missing = [name for name in _MEMBERS if name not in data]
        if missing:
            raise InvalidValueError(where, line[:80], f"a checkpoint needs {missing}")
        types = {"position": int, "events": int, "complaints": int, "block": int, "blocks": list}
        for name, kind in types.items():
            if not isinstance(data[name], kind) or isinstance(data[name], bool):
                raise InvalidValueError(f"{where}.{name}", data[name], f"must be {kind.__name__}")
        data["blocks"] = tuple(str(b) for b in data["blocks"])
        return cls(**{name: data[name] for name in _MEMBERS})


def sign_checkpoint(
    key: AuditKey,
    *,
    head: str,
    events: int,
    complaints: int,
    blocks: Sequence[str],
    store: str,
    block: int = BLOCK,
    taken_at: datetime | None = None,
) -> Checkpoint:
    position = int(head.partition(":")[0])
    moment = (taken_at or datetime.now(UTC)).astimezone(UTC)
    unsigned = Checkpoint(
        position=position,
        head=head,
        events=events,
        complaints=complaints,
        day=moment.date().isoformat(),
        taken_at=moment.isoformat(),
        block=block,
        blocks=tuple(blocks),
        store=store,
        key_id=key.key_id,
        public_key=key.public_key(),
    )
    signature = key.signing_key().sign(unsigned.signed_content())
    return attrs.evolve(unsigned, signature=base64.b64encode(signature).decode("ascii"))


def write_checkpoint(checkpoint: Checkpoint, path: Path) -> None:
    """Append the checkpoint as one line, and make it durable before returning."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(checkpoint.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_checkpoints(path: Path | str) -> tuple[Checkpoint, ...]:
    """Every checkpoint in a file written by :func:`write_checkpoint`, in order."""
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidValueError("against", str(file), f"cannot read it: {error}") from None
    found = [
        Checkpoint.from_json(line, f"{file.name} line {number}")
        for number, line in enumerate(lines, 1)
        if line.strip()
    ]
    if not found:
        raise InvalidValueError("against", str(file), "holds no checkpoint")
    return tuple(found)

"""The canonical JSON of event content: what the hash chain digests and the store keeps.

The chain (:mod:`complaintlog.domain.chain`) and the stored-event mapper must encode an
event's fields the same way, so the encoding lives here, below both.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from complaintlog.domain.personal import Sealed

__all__ = ["json_default", "remember_content", "take_content"]


def json_default(value: object) -> object:
    """How values orjson does not know natively are written: models and Decimals."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Sealed):
        return value.stored_form()
    msg = f"cannot store a {type(value).__name__} in an event"
    raise TypeError(msg)


_CONTENT: dict[str, bytes] = {}
"""The JSON content of events chained in this process and not yet stored, by chain value.

Chaining an event encodes its content (:func:`complaintlog.domain.chain.link`); storing it
would encode the same fields again. The mapper takes the encoding from here instead and
adds the unchained fields. A chain value is the digest of its content, so an entry can
never be wrong, only missing (then the mapper encodes): the memo is emptied when events
are chained and never stored (discarded batches) past this many.
"""
_CONTENT_LIMIT = 100_000


def remember_content(chain: str, content: bytes) -> None:
    """Keep an event's chained content (sorted-key JSON object) for the mapper to store."""
    if len(_CONTENT) >= _CONTENT_LIMIT:
        _CONTENT.clear()
    _CONTENT[chain] = content


def take_content(chain: str) -> bytes | None:
    """The content remembered for ``chain``, forgotten as it is taken (``None`` if unknown)."""
    return _CONTENT.pop(chain, None)

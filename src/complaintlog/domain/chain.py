"""Hash chains that make the stored history tamper-evident.

Each complaint event carries ``chain``: the SHA-256 of the previous event's chain and this
event's own content. Changing, removing, reordering or inserting an event breaks the chain
from that point on, and ``complaintlog.audit`` finds where. The canonical content is the
event's JSON with sorted keys, exactly as stored, so verification needs no domain classes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import orjson

from complaintlog.domain.canonical import json_default, remember_content

__all__ = ["GENESIS", "UNCHAINED_FIELDS", "content_of", "link"]

GENESIS = "0" * 64
"""The chain value before a complaint's first event."""

UNCHAINED_FIELDS = frozenset({"chain", "originator_topic", "class_version"})
"""Stored fields outside the digest: the chain, the aggregate class path, the schema version."""


def link(
    previous: str,
    topic: str,
    originator_id: UUID | str,
    version: int,
    fields: Mapping[str, Any],
    *,
    to_store: bool = False,
) -> str:
    """The chain value of an event whose content is ``fields``, following ``previous``.

    ``fields`` must not hold the :data:`UNCHAINED_FIELDS` (use :func:`content_of` on a
    stored state first). ``to_store``: the event is about to be stored, and the mapper may
    store the content encoded here rather than encode it again.
    """
    canonical = orjson.dumps(fields, default=json_default, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(f"{previous}|{topic}|{originator_id}|{version}|".encode())
    digest.update(canonical)
    chain = digest.hexdigest()
    if to_store:
        remember_content(chain, canonical)
    return chain


def content_of(stored_state: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a stored event's state that its chain value covers."""
    return {k: v for k, v in stored_state.items() if k not in UNCHAINED_FIELDS}

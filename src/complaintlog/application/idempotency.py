"""Retry fingerprints: how a retried command is told from a reused idempotency key."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, cast

import orjson

from complaintlog.domain.personal import SEALED
from complaintlog.domain.values import (
    DEFAULT_TENANT,
    Category,
    Customer,
    Money,
    WaitingFor,
)

__all__ = ["STAMP_FIELDS", "digest", "fingerprint_arguments"]

_NEW_DEFAULTS: dict[str, object] = {
    "waiting_for": WaitingFor.CUSTOMER,
    "personal_fields": (),
    "tenant": DEFAULT_TENANT,
}
"""Arguments added after 0.1.0: left out of retry fingerprints while at their default, so a
retry of a command recorded by 0.1.0 still matches its first attempt."""


STAMP_FIELDS = frozenset({"self", "complaint_id", "at", "actor", "idempotency_key"})


def digest(arguments: Mapping[str, Any]) -> str:
    """A fingerprint of a command's arguments, to tell a retry from a reused key."""
    payload = {
        k: v
        for k, v in arguments.items()
        if k not in STAMP_FIELDS and not (k in _NEW_DEFAULTS and v == _NEW_DEFAULTS[k])
    }
    encoded = orjson.dumps(
        payload, default=_json_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )
    return hashlib.sha256(encoded).hexdigest()[:32]


def fingerprint_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The ``receive`` arguments a retry fingerprint covers: nothing personal.

    The fingerprint is stored in plain, and a hash of an e-mail address can be guessed:
    it covers the customer's id and the texts not marked personal only.
    """
    public = dict(arguments)
    public["customer"] = cast(Customer, arguments["customer"]).without_personal_data()
    for name in arguments["personal_fields"]:
        if public.get(name) is not None:
            public[name] = SEALED
    return public


def _json_default(value: object) -> object:
    if isinstance(value, Category | Customer | Money):
        return value.model_dump(mode="json")
    return str(value)

"""The JSON Schema of every complaint event's stored payload: what exports and packs hold."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import TypeAdapter
from typing_extensions import TypedDict

from complaintlog.domain.complaint import Complaint

__all__ = ["event_schemas"]


def event_schemas() -> dict[str, Any]:
    """The JSON Schema of every complaint event at its current schema version.

    ``x-schema-version`` is the event's class version. A record stored at an earlier version
    lacks the fields added since (its ``class_version`` says which it has); ``export``
    upcasts it, so an exported record always matches this schema, with ``null`` for
    what was not recorded then (``Resolved.upheld``: unknown).
    """
    schemas: dict[str, Any] = {}
    for name, value in vars(Complaint).items():
        if not (isinstance(value, type) and issubclass(value, Complaint.Event)):
            continue
        if value is Complaint.Event or name == "Created":
            continue  # eventsourcing's own creation class: Received is the one recorded
        hints = typing.get_type_hints(value)
        fields = {field: hints[field] for field in getattr(value, "__dataclass_fields__", {})}
        state = TypedDict(name, fields)  # type: ignore[misc]  # built from the event's fields
        schema = TypeAdapter(state).json_schema(mode="serialization")
        schema["title"] = f"Complaint.{name}"
        schema["x-schema-version"] = getattr(value, "class_version", 1)
        schemas[name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "complaintlog events",
        "events": schemas,
    }

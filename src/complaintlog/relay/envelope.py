"""What the relay publishes: each complaint event as a CloudEvent 1.0 in structured JSON.

* ``id``: a UUID derived from the complaint id and the event's version (``uuid5``), so the
  same event always gets the same id, on every run, from every relay: a consumer
  de-duplicates by it and JetStream drops a re-send by it (``Nats-Msg-Id``).
* ``source``: the log (``complaintlog:`` and a name; the store URL without its password by
  default); ``type``: ``complaintlog.<EventType>``; ``subject``: the complaint id;
  ``time``: when it happened (business time, ``occurred_at``); ``dataschema``:
  ``urn:complaintlog:event:<EventType>`` naming the payload's JSON Schema
  (:func:`message_schema`).
* Extensions: ``sequence``, the position in the log, zero-padded to 20 digits as the
  CloudEvents sequence extension asks (a string that sorts lexicographically), and
  ``complaintversion``, the event's number within its complaint.
* ``data``: the stored payload, lifted to the event's current schema version as
  ``export`` does, without personal data. Sealed fields are **left out**: the
  AES-GCM boxes are dropped and ``personal`` lists the paths that were sealed; the
  customer's name, e-mail, phone and address are always ``null`` (also in events stored in
  plain by 0.1.0); texts marked personal read ``"[sealed]"`` as in the store. Nothing a
  message carries can be opened with any key, so an erased customer's data is never
  re-published, however often an event is sent again.
"""

from __future__ import annotations

import uuid
from typing import Any

import attrs
import orjson
from cloudevents.conversion import to_structured
from cloudevents.http import CloudEvent
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from complaintlog.application import ComplaintLog
from complaintlog.application.event_schemas import event_schemas
from complaintlog.domain.values import PERSONAL_CUSTOMER_FIELDS
from complaintlog.projections._framework import COMPLAINT_TOPIC_PREFIX

__all__ = ["EVENT_ID_NAMESPACE", "Message", "event_id", "message_of", "message_schema"]

EVENT_ID_NAMESPACE = uuid.UUID("6f1c2a43-3c59-5b0e-9a53-636f6d706c61")
"""The namespace of the events' ``uuid5`` ids (fixed forever: ids must never change)."""

CONTENT_TYPE = "application/cloudevents+json"


@attrs.frozen
class Message:
    """One CloudEvent ready for a broker."""

    id: str
    position: int
    event_type: str
    complaint_id: str
    body: bytes
    content_type: str = CONTENT_TYPE


def event_id(complaint_id: object, version: int) -> str:
    """The stable id of a complaint's ``version``-th event."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{complaint_id}/{version}"))


def event_type_of(topic: str) -> str | None:
    """``Received`` for a complaint event's topic; None for other aggregates' events."""
    if not topic.startswith(COMPLAINT_TOPIC_PREFIX):
        return None
    return topic[len(COMPLAINT_TOPIC_PREFIX) :]


def _upcast(topic: str, state: dict[str, Any]) -> None:
    """Lift an older stored state to the event's current schema (as ``export`` does), so
    ``data`` always matches the published payload schema."""
    event_class = resolve_topic(topic)
    version = int(state.pop("class_version", 1))
    while version < getattr(event_class, "class_version", 1):
        getattr(event_class, f"upcast_v{version}_v{version + 1}")(state)
        version += 1


def _without_personal_data(state: dict[str, Any]) -> dict[str, Any]:
    data = dict(state)
    data.pop("originator_topic", None)
    personal = data.get("personal")
    if isinstance(personal, dict):
        data["personal"] = sorted(personal.get("boxes") or {})
    elif personal is not None and not isinstance(personal, list):
        data["personal"] = []
    customer = data.get("customer")
    if isinstance(customer, dict):
        data["customer"] = {**customer, **dict.fromkeys(PERSONAL_CUSTOMER_FIELDS)}
    return data


def message_of(log: ComplaintLog, notification: Notification, source: str) -> Message | None:
    """The CloudEvent of a stored complaint event (None for other aggregates' events)."""
    kind = event_type_of(notification.topic)
    if kind is None:
        return None
    state = dict(log.mapper.decode_stored_state(notification))
    _upcast(notification.topic, state)
    complaint_id = str(notification.originator_id)
    identifier = event_id(complaint_id, notification.originator_version)
    attributes: dict[str, Any] = {
        "id": identifier,
        "source": source,
        "type": f"complaintlog.{kind}",
        "subject": complaint_id,
        "time": state.get("occurred_at") or state.get("timestamp"),
        "datacontenttype": "application/json",
        "dataschema": f"urn:complaintlog:event:{kind}",
        "sequence": f"{notification.id:020d}",
        "complaintversion": notification.originator_version,
    }
    event = CloudEvent(attributes, _without_personal_data(state))
    _, body = to_structured(event)
    return Message(identifier, notification.id, kind, complaint_id, body)


def decode(body: bytes) -> dict[str, Any]:
    """A published message back as a dict (for consumers and tests)."""
    value = orjson.loads(body)
    assert isinstance(value, dict)
    return value


def message_schema() -> dict[str, Any]:
    """The JSON Schema of the published messages: the envelope, and each payload's."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "complaintlog relay message (CloudEvent 1.0, structured JSON)",
        "type": "object",
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "sequence",
            "data",
        ],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid", "description": "stable per event"},
            "source": {"type": "string", "description": "the log: complaintlog:<name>"},
            "type": {"type": "string", "pattern": "^complaintlog\\.[A-Za-z]+$"},
            "subject": {"type": "string", "format": "uuid", "description": "the complaint"},
            "time": {"type": "string", "format": "date-time", "description": "occurred_at"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"type": "string", "description": "urn:complaintlog:event:<Type>"},
            "sequence": {
                "type": "string",
                "pattern": "^[0-9]{20}$",
                "description": "the position in the log, zero-padded",
            },
            "complaintversion": {"type": "integer", "minimum": 1},
            "data": {"type": "object", "description": "the payload: see events.<Type>"},
        },
        "events": event_schemas()["events"],
    }

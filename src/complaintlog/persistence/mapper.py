"""Stored-event mapping: orjson on the way in, pydantic validation on the way out.

eventsourcing's default mapper rebuilds events with ``object.__new__`` and a raw
``__dict__``, which would hand back strings where the domain expects datetimes, enums,
``Money`` and ``Customer`` values. This mapper validates each stored state against the
event class's own field types, so a replayed event is exactly as typed as a live one.
Projections that need speed read the JSON directly instead (see ``projections``).

Sealed personal data (see :mod:`complaintlog.domain.personal`) is opened here, on the way
out, when the application gave the mapper an ``opener``: replayed events carry the
plaintext beside the stored boxes, or know that the key is gone.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from complaintlog.domain.canonical import json_default, take_content
from complaintlog.domain.personal import Opener, Sealed
from complaintlog.errors import UnreadableRecordError
from complaintlog.persistence.seal import AuditKey

__all__ = [
    "OrjsonTranscoder",
    "PydanticMapper",
    "decode_state",
    "encode_state",
]

_BASE_FIELDS = frozenset({"originator_id", "originator_version"})
OPTIONAL_FIELDS: dict[str, TypeAdapter[Any]] = {
    "personal": TypeAdapter(Sealed),
    "personal_later": TypeAdapter(tuple[str, ...]),
}
"""Fields stored only when set (see ``complaintlog.domain._event_construction``): a later
step's sealed texts, and the later texts a ``Received`` declared personal."""
_UNCHAINED = ("chain", "originator_topic")
"""The event fields a chain does not cover; with the class version, which is no field, they
are ``complaintlog.domain.chain.UNCHAINED_FIELDS``."""


def encode_state(state: dict[str, Any]) -> bytes:
    return orjson.dumps(state, default=json_default)


def decode_state(data: bytes) -> dict[str, Any]:
    decoded = orjson.loads(data)
    if not isinstance(decoded, dict):
        msg = f"a stored state is a JSON object, not {type(decoded).__name__}"
        raise ValueError(msg)  # the callers translate ValueErrors
    return decoded


class OrjsonTranscoder(Transcoder):
    """JSON through orjson: datetimes, UUIDs, enums, tuples, Decimals and pydantic values."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=json_default)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


_ADAPTERS: dict[str, TypeAdapter[dict[str, Any]]] = {}


def _state_adapter(event_class: type[object]) -> TypeAdapter[dict[str, Any]]:
    """A validator for the event class's own fields, built once per class."""
    adapter = _ADAPTERS.get(event_class.__qualname__ + event_class.__module__)
    if adapter is not None:
        return adapter
    hints = typing.get_type_hints(event_class)
    fields = {
        name: hints[name]
        for name in getattr(event_class, "__dataclass_fields__", {})
        if name not in _BASE_FIELDS
    }
    state_type = TypedDict(f"{event_class.__name__}State", fields)  # type: ignore[misc]
    adapter = cast(TypeAdapter[dict[str, Any]], TypeAdapter(state_type))
    _ADAPTERS[event_class.__qualname__ + event_class.__module__] = adapter
    return adapter


_new_stored_event = object.__new__
"""``StoredEvent`` is a frozen dataclass: its ``__init__`` sets each field through
``object.__setattr__``, a tenth of the mapping's cost in a bulk import."""


@dataclasses.dataclass(frozen=True)
class _Layout:
    """What is the same for every stored event of one class, worked out once."""

    topic: str
    class_version: int
    tail: bytes
    """The JSON after the chain value: the class version if above 1, and the closing brace."""

    @classmethod
    def of(cls, event_class: type[Any]) -> _Layout:
        class_version = getattr(event_class, "class_version", 1)
        tail = b'"' + (b',"class_version":%d' % class_version if class_version > 1 else b"") + b"}"
        return cls(get_topic(event_class), class_version, tail)


_LAYOUTS: dict[type[Any], _Layout] = {}


class PydanticMapper(Mapper[UUID]):
    """Maps domain events to stored events and back, validating on the way back."""

    opener: Opener | None = None
    """Opens sealed personal data of events read back (set by the application)."""

    audit_key: AuditKey | None = None
    """Seals every stored record when set (see :mod:`complaintlog.persistence.seal`)."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        event_class = type(domain_event)
        fields = vars(domain_event)
        layout = _LAYOUTS.get(event_class)
        if layout is None:
            layout = _LAYOUTS[event_class] = _Layout.of(event_class)
        chain = fields.get("chain")
        content = take_content(chain) if isinstance(chain, str) else None
        if content is None:
            state = {k: v for k, v in fields.items() if k not in _BASE_FIELDS}
            if layout.class_version > 1:
                state["class_version"] = layout.class_version
            data = encode_state(state)
        elif "originator_topic" in fields:  # the content as chained, then the unchained
            unchained = {k: fields[k] for k in _UNCHAINED if k in fields}
            if layout.class_version > 1:
                unchained["class_version"] = layout.class_version
            data = content[:-1] + b"," + orjson.dumps(unchained)[1:]
        else:  # the common case, byte for byte what the branch above writes
            data = b"".join((content[:-1], b',"chain":"', chain.encode(), layout.tail))  # type: ignore[union-attr]
        topic = layout.topic
        originator_id = fields["originator_id"]
        version = fields["originator_version"]
        if self.audit_key is not None:
            data = self.audit_key.seal(originator_id, version, topic, data)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        stored = _new_stored_event(StoredEvent)
        object.__setattr__(
            stored,
            "__dict__",
            {
                "originator_id": originator_id,
                "originator_version": version,
                "topic": topic,
                "state": data,
            },
        )
        return stored

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event_class: type[Any] = resolve_topic(stored_event.topic)
        try:
            state = self.decode_stored_state(stored_event)
            typed = self.typed_state(event_class, state)
            for name in OPTIONAL_FIELDS.keys() - typed.keys():
                if name in state:  # stored only when set
                    typed[name] = OPTIONAL_FIELDS[name].validate_python(state[name])
        except UnreadableRecordError:
            raise
        except (ValueError, ValidationError, orjson.JSONDecodeError, KeyError) as error:
            detail = f"{stored_event.topic.rpartition('.')[2]}: {error}"
            raise UnreadableRecordError(
                stored_event.originator_id, stored_event.originator_version, None, detail
            ) from MapperDeserialisationError(detail)
        originator_id = stored_event.originator_id
        typed["originator_id"] = (
            originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        )
        for name, value in typed.items():
            if isinstance(value, datetime) and value.tzinfo is not UTC:
                # pydantic reads an offset as its own TzInfo: hand back datetime.UTC
                typed[name] = value.astimezone(UTC)
        sealed = typed.get("personal")
        if isinstance(sealed, Sealed) and self.opener is not None:
            self.opener.open(sealed, typed["originator_id"])
        typed["originator_version"] = stored_event.originator_version
        event = object.__new__(event_class)
        object.__setattr__(event, "__dict__", typed)
        return typing.cast(DomainEventProtocol[UUID], event)

    @staticmethod
    def typed_state(event_class: type[Any], state: dict[str, Any]) -> dict[str, Any]:
        """A decoded state lifted to the class's schema version and validated against its
        fields (raises ``ValueError``/``ValidationError`` when it does not fit)."""
        from_version = state.pop("class_version", 1)
        class_version = getattr(event_class, "class_version", 1)
        while from_version < class_version:
            getattr(event_class, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        return _state_adapter(event_class).validate_python(state)

    def decode_stored_state(self, stored_event: StoredEvent) -> dict[str, Any]:
        """The event's JSON state as a dict, after decryption and decompression, without
        its audit seal."""
        try:
            state = decode_state(self.plain_bytes(stored_event))
        except ValueError as error:  # orjson's errors are ValueErrors too
            raise UnreadableRecordError(
                stored_event.originator_id,
                stored_event.originator_version,
                getattr(stored_event, "id", None),  # a Notification knows its position
                f"not a JSON object: {error}",
            ) from error
        state.pop("seal", None)
        return state

    def plain_bytes(self, stored_event: StoredEvent) -> bytes:
        """The stored JSON as written: decrypted and decompressed, seal included."""
        data = stored_event.state
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        if isinstance(data, str):  # a tampered SQLite row may hold text instead of a blob
            return data.encode("utf-8", "surrogatepass")
        return bytes(data)

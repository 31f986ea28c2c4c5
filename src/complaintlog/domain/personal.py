"""Personal data inside events: sealed (encrypted) when stored, opened when read.

An event that carries personal data stores it in a :class:`Sealed` value: one AES-GCM box
per field, encrypted with a key of the customer that lives outside the events (see
:mod:`complaintlog.application.personal_data`). The event's plain fields keep only what is not
personal (the customer's id) and :data:`SEALED` where a sealed text was. The hash chain
covers the stored boxes, so destroying the key later (crypto-shredding) leaves every chain
intact.

The plaintext never reaches the store: it travels beside the boxes in memory, attached
when an event is sealed (a live command) or opened (a replay), and is absent once the key
is gone. The domain only asks a ``Sealed`` what it holds; it never sees a key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = [
    "ERASED",
    "LATER_TEXTS",
    "LATER_TEXT_FIELDS",
    "PERSONAL_TEXT_FIELDS",
    "SEALED",
    "Opener",
    "Sealed",
]

SEALED = "[sealed]"
"""Stored in a plain text field whose value is sealed, so raw readers see what happened."""

ERASED = "[erased]"
"""What views, histories and exports show for a sealed text once its key was destroyed."""

PERSONAL_TEXT_FIELDS = ("subject", "description", "desired_outcome")
"""The free-text fields of ``receive`` a caller may mark personal (``personal_fields=``)."""

LATER_TEXT_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "acknowledge": ("message",),
        "escalate": ("reason",),
        "make_promise": ("promise",),
        "inform": ("message",),
        "reclassify": ("reason",),
        "pause": ("reason",),
        "resume": ("note",),
        "resolve": ("summary",),
        "reopen": ("note",),
        "follow_up": ("note",),
        "record_survey": ("comment",),
        "withdraw": ("reason",),
        "record_desired_remedy": ("note",),
        "attach_evidence": ("name", "uri"),
        "note": ("text",),
        "note_review": ("note",),
        "sign_off": ("note",),
    }
)
"""The free texts typed in later steps, by command: ``personal_fields=`` of ``receive`` may
name each as ``command.argument`` (``"inform.message"``), or all at once as
:data:`LATER_TEXTS`. Each step then seals those texts like the receipt's personal fields."""

LATER_TEXTS = "later_texts"
"""In ``personal_fields``: every free text of the later steps (:data:`LATER_TEXT_FIELDS`)."""


def later_personal(declared: tuple[str, ...], command: str) -> tuple[str, ...]:
    """The arguments of ``command`` that ``declared`` (a complaint's ``personal_fields``
    naming later texts) makes personal."""
    fields = LATER_TEXT_FIELDS.get(command, ())
    if LATER_TEXTS in declared:
        return fields
    return tuple(name for name in fields if f"{command}.{name}" in declared)


def shown_text(value: Any, sealed: Any, name: str) -> Any:
    """A later step's text field as it should be shown: opened where it was sealed,
    :data:`ERASED` once its key is gone, else as stored."""
    if not isinstance(sealed, Sealed) or name not in sealed.boxes:
        return value
    if sealed.is_erased:
        return ERASED
    return sealed.plaintext(name) if sealed.is_open else value


T = TypeVar("T")


class Sealed:
    """Personal fields of one event, each encrypted with the same key of the customer.

    ``boxes`` maps a field's path (``customer.name``, ``description``) to the base64 of a
    96-bit nonce followed by the AES-256-GCM ciphertext and tag; the associated data binds
    each box to its complaint and field. ``key_id`` names the key in the key table. Only
    these two are stored and chained (:meth:`stored_form`); pydantic validates the stored
    form back into a ``Sealed`` (a plain class with slots: events are built in bulk, and a
    pydantic model with private attributes costs several times more).
    """

    __slots__ = ("_boxes", "_customer", "_erased", "_key_id", "_plaintext")

    def __init__(self, key_id: str, boxes: Mapping[str, str]) -> None:
        self._key_id = key_id
        self._boxes = dict(boxes)
        self._plaintext: dict[str, str] | None = None
        self._erased = False
        self._customer: Any = None

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def boxes(self) -> Mapping[str, str]:
        return MappingProxyType(self._boxes)

    @property
    def fields(self) -> tuple[str, ...]:
        """The paths of the sealed fields, sorted."""
        return tuple(sorted(self._boxes))

    @property
    def is_open(self) -> bool:
        """The plaintext is attached (sealed in this process, or opened with the key)."""
        return self._plaintext is not None

    @property
    def is_erased(self) -> bool:
        """The key is gone: the plaintext can never be read again."""
        return self._erased

    def plaintext(self, path: str) -> str | None:
        """The opened value of a sealed field (``None`` when not open or not sealed here)."""
        return None if self._plaintext is None else self._plaintext.get(path)

    def attach(self, plaintext: Mapping[str, str], customer: Any = None) -> None:
        """Attach the opened values (done by whoever holds the key).

        ``customer`` may pass the opened customer value itself, so it is not rebuilt.
        """
        self._plaintext = dict(plaintext)
        self._erased = False
        self._customer = customer

    def mark_erased(self) -> None:
        """Record that the key is gone (done by whoever looked for it)."""
        self._plaintext = None
        self._erased = True
        self._customer = None

    def opened_customer(self, build: Callable[[], T]) -> T:
        """The opened customer value, built once by ``build`` and kept."""
        if self._customer is None:
            self._customer = build()
        return cast(T, self._customer)

    def stored_form(self) -> dict[str, Any]:
        """What is stored and chained: the key's id and the boxes, never the plaintext."""
        return {"key_id": self._key_id, "boxes": self._boxes}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sealed):
            return NotImplemented
        return (self._key_id, self._boxes) == (other._key_id, other._boxes)

    __hash__ = None  # type: ignore[assignment]  # mutable plaintext beside: not hashable

    def __repr__(self) -> str:
        return f"Sealed(key_id={self._key_id!r}, boxes={self._boxes!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        stored = core_schema.typed_dict_schema(
            {
                "key_id": core_schema.typed_dict_field(core_schema.str_schema()),
                "boxes": core_schema.typed_dict_field(
                    core_schema.dict_schema(core_schema.str_schema(), core_schema.str_schema())
                ),
            },
            extra_behavior="forbid",
        )
        from_stored = core_schema.no_info_after_validator_function(
            lambda data: cls(data["key_id"], data["boxes"]), stored
        )
        return core_schema.json_or_python_schema(
            json_schema=from_stored,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_stored]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda sealed: sealed.stored_form()
            ),
        )


class Opener(Protocol):
    """Attaches the plaintext of a sealed value, or marks it erased when its key is gone."""

    def open(self, sealed: Sealed, complaint_id: UUID) -> None: ...

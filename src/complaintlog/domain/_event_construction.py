"""The fast path that makes an event from its complete state.

The aggregate's commands build their events here instead of through the events' generated
``__init__`` (see :func:`_new_event` for why); the event classes stay on the aggregate, whose
module gives them their stored topics.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

_FIELDS: dict[type[Any], frozenset[str]] = {}

OPTIONAL_FIELDS = frozenset({"personal", "personal_later"})
"""Stored only when set, so events without them keep their stored form: a later step's
sealed texts (``personal``) and, on ``Received``, the later texts declared personal."""

EventT = TypeVar("EventT", bound=Aggregate.Event)


def _new_event(event_class: type[EventT], state: dict[str, Any]) -> EventT:
    """An event made from its complete state, as eventsourcing's mapper remakes stored ones.

    eventsourcing's events are frozen dataclasses whose generated ``__init__`` sets every
    field through ``object.__setattr__``; with the keyword copying around it that was a
    fifth of the cost of recording an event in a bulk import. The state must hold exactly
    the class's fields, so a missing or misspelt one fails here as it would there.
    """
    fields = _FIELDS.get(event_class)
    if fields is None:
        fields = _FIELDS[event_class] = frozenset(f.name for f in dataclasses.fields(event_class))
    if state.keys() != fields and (
        fields - state.keys() or state.keys() - fields - OPTIONAL_FIELDS
    ):
        missing = sorted(fields - state.keys())
        unknown = sorted(state.keys() - fields - OPTIONAL_FIELDS)
        msg = f"{event_class.__qualname__}: missing fields {missing}, unknown fields {unknown}"
        raise TypeError(msg)
    event = object.__new__(event_class)
    object.__setattr__(event, "__dict__", state)
    return event

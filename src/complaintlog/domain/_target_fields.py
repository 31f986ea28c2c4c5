"""The checks and representations of an SLA target's fields: channels, severities, waits
and categories as frozen sets, enums in reprs that read as code. Kept apart from
:mod:`.sla_policy` so that module stays about what a target and a policy mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from complaintlog.domain.values import Channel, Severity, WaitingFor
from complaintlog.errors import InvalidValueError

__all__ = ["categories", "channels", "enum_repr", "set_repr", "severities", "waits"]


def enum_repr(value: StrEnum) -> str:
    return f"{type(value).__name__}.{value.name}"


def set_repr(values: frozenset[Any] | None) -> str:
    if values is None:
        return "None"
    shown = (enum_repr(value) if isinstance(value, StrEnum) else repr(value) for value in values)
    return f"frozenset({{{', '.join(sorted(shown))}}})" if values else "frozenset()"


def channels(values: Iterable[Channel | str] | None) -> frozenset[Channel] | None:
    if values is None:
        return None
    try:
        return frozenset(Channel(value) for value in values)
    except ValueError as error:
        raise InvalidValueError("channels", values, f"channels are {[*Channel]}") from error


def severities(values: Iterable[Severity | str] | None) -> frozenset[Severity] | None:
    if values is None:
        return None
    try:
        return frozenset(Severity(value) for value in values)
    except ValueError as error:
        raise InvalidValueError("severities", values, f"severities are {[*Severity]}") from error


def waits(values: Iterable[WaitingFor | str] | None) -> frozenset[WaitingFor] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise InvalidValueError("paused_by", values, "a collection of waits, not one")
    try:
        return frozenset(WaitingFor(value) for value in values)
    except ValueError as error:
        raise InvalidValueError("paused_by", values, f"waits are {[*WaitingFor]}") from error


def categories(values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise InvalidValueError("categories", values, "must be a collection of codes, not one")
    chosen = frozenset(values)
    if not all(isinstance(value, str) and value for value in chosen):
        raise InvalidValueError("categories", values, "codes are non-empty strings")
    return chosen

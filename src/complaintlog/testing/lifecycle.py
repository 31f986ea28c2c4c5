"""Scripts of commands for one complaint: plain to read, to save as JSON and to replay.

A :class:`Lifecycle` is what the strategies draw and what a failing property prints, so it
is written in the values a person types (``"supervisor"``, ``{"amount": "500.00",
"currency": "EUR"}``, ISO times), and :meth:`Lifecycle.to_json` /
:meth:`Lifecycle.from_json` / :meth:`Lifecycle.from_history` turn a counterexample or a
recorded complaint into a regression fixture in one step.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from complaintlog.application import Batch, ComplaintLog
from complaintlog.domain.values import Category, Customer, Money

__all__ = ["Lifecycle", "PlannedCommand", "Workload", "apply_lifecycle", "apply_workload", "plain"]

_STAMP = frozenset({"self", "complaint_id", "at", "idempotency_key"})
_TIMES = frozenset({"due"})


def plain(value: Any) -> Any:
    """``value`` in the form a person would type it: codes as strings, money as a dict."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Customer | Category):
        return {k: v for k, v in value.model_dump(mode="json").items() if v}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _argument_repr(value: Any) -> str:
    return repr(value.isoformat()) if isinstance(value, datetime) else repr(value)


@attrs.frozen(repr=False)
class PlannedCommand:
    """One command of a lifecycle: its name, its arguments (without the id) and when."""

    name: str
    at: datetime
    arguments: Mapping[str, Any] = attrs.field(factory=dict, converter=plain)

    def __repr__(self) -> str:
        shown = "".join(f", {k}={_argument_repr(v)}" for k, v in self.arguments.items())
        return f"PlannedCommand({self.name!r}, {self.at.isoformat()!r}{shown})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis prints it in a counterexample: the same plain repr."""
        printer.text(repr(self))

    def to_dict(self) -> dict[str, Any]:
        arguments = {
            k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.arguments.items()
        }
        return {"name": self.name, "at": self.at.isoformat(), "arguments": arguments}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedCommand:
        arguments = {
            k: datetime.fromisoformat(v) if k in _TIMES and isinstance(v, str) else v
            for k, v in data.get("arguments", {}).items()
        }
        return cls(data["name"], datetime.fromisoformat(data["at"]), arguments)


@attrs.frozen(repr=False)
class Lifecycle:
    """A sequence of commands for one complaint; the first is always ``receive``."""

    commands: tuple[PlannedCommand, ...]

    def __repr__(self) -> str:
        lines = "".join(f"\n    {command!r}," for command in self.commands)
        return f"Lifecycle(({lines}\n))"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @property
    def ends_at(self) -> datetime:
        return self.commands[-1].at

    def to_json(self) -> str:
        """The lifecycle as JSON, e.g. to keep a counterexample as a regression fixture."""
        return json.dumps([c.to_dict() for c in self.commands], indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Lifecycle:
        return cls(tuple(PlannedCommand.from_dict(item) for item in json.loads(text)))

    @classmethod
    def from_history(cls, log: ComplaintLog, complaint_id: UUID) -> Lifecycle:
        """The commands that recorded a complaint, to replay it elsewhere (a fixture).

        A first-contact resolution comes back as ``acknowledge`` and ``resolve``; the
        reopening an unsolved follow-up makes is left to the follow-up.
        """
        planned: list[PlannedCommand] = []
        for step in log.steps(complaint_id):
            entry = step.entry
            if entry.event == "Reopened" and entry.payload.get("reason") == "follow_up_unsolved":
                continue
            method = getattr(ComplaintLog, step.command.name)
            names = set(inspect.signature(method).parameters) - _STAMP
            arguments = {
                k: v for k, v in entry.payload.items() if k in names and v not in (None, [], {})
            }
            if step.command.name == "receive":
                _receive_arguments(arguments, entry.payload)
            if "due" in arguments:
                arguments["due"] = datetime.fromisoformat(arguments["due"])
            if entry.actor is not None:
                arguments["actor"] = entry.actor
            planned.append(PlannedCommand(step.command.name, entry.occurred_at, arguments))
        return cls(tuple(planned))


def _receive_arguments(arguments: dict[str, Any], payload: Mapping[str, Any]) -> None:
    arguments["customer"] = {
        k: v for k, v in payload["customer"].items() if v is not None and k != "erased"
    }
    if arguments.get("category"):
        arguments["category"] = {k: v for k, v in arguments["category"].items() if v}
    if isinstance(arguments.get("attributes"), list):
        arguments["attributes"] = dict(arguments["attributes"])
    texts = [p for p in payload.get("personal", ()) if not p.startswith("customer.")]
    if texts:
        arguments["personal_fields"] = tuple(texts)


@attrs.frozen
class Workload:
    lifecycles: tuple[Lifecycle, ...]

    @property
    def ends_at(self) -> datetime:
        return max(lifecycle.ends_at for lifecycle in self.lifecycles)

    @property
    def command_count(self) -> int:
        return sum(len(lifecycle.commands) for lifecycle in self.lifecycles)


def apply_lifecycle(log: ComplaintLog | Batch, lifecycle: Lifecycle) -> UUID:
    """Run the lifecycle's commands; returns the new complaint's id."""
    receive, *rest = lifecycle.commands
    cid = log.receive(at=receive.at, **receive.arguments)
    for planned in rest:
        getattr(log, planned.name)(cid, at=planned.at, **planned.arguments)
    return cid


def apply_workload(log: ComplaintLog, workload: Workload, batch_size: int = 200) -> list[UUID]:
    """Run every lifecycle, saving in batches; returns the complaint ids in order."""
    ids: list[UUID] = []
    batch = log.batch()
    for lifecycle in workload.lifecycles:
        ids.append(apply_lifecycle(batch, lifecycle))
        if len(batch) >= batch_size:
            batch.commit()
    batch.commit()
    return ids

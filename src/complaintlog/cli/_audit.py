"""``show``, ``export`` and ``schema``: the recorded history, for people and for machines."""

from __future__ import annotations

import csv
import sys
import typing
from pathlib import Path
from typing import Annotated, Any, TextIO
from uuid import UUID

import orjson
import typer
from pydantic import TypeAdapter
from rich.table import Table
from typing_extensions import TypedDict

from complaintlog.application import ComplaintLog
from complaintlog.cli._common import fail, open_log, options, parse_as_of, print_json, user_errors
from complaintlog.domain.complaint import Complaint

__all__ = ["event_schemas", "export_command", "schema_command", "show_command"]


def _resolve(log: ComplaintLog, key: str) -> UUID:
    try:
        complaint_id = UUID(key)
    except ValueError:
        found = log.find(key)
        if found is None:
            raise fail(
                f"no complaint {key!r}: not an id, and no complaint has this reference"
            ) from None
        return found
    return complaint_id


def _payload_text(payload: dict[str, Any]) -> str:
    parts = []
    for name, value in payload.items():
        if value is None or value == [] or value == {}:
            continue
        if name == "attributes" and isinstance(value, list):
            value = ", ".join(f"{k}={v}" for k, v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if v is not None)
        text = str(value)
        parts.append(f"{name}: {text[:300]}{'...' if len(text) > 300 else ''}")
    return "\n".join(parts)


@user_errors
def show_command(
    ctx: typer.Context,
    complaint: Annotated[str, typer.Argument(help="The complaint's id or external reference.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Only events that happened by then (ISO date/time)."),
    ] = None,
) -> None:
    """Show a complaint's timeline: business time, recording time, actor and payload.

    Example: complaintlog show cfpb:3790251 --as-of 2020-08-31
    """
    opts = options(ctx)
    moment = parse_as_of(as_of)
    with open_log(opts) as log:
        complaint_id = _resolve(log, complaint)
        entries = [
            e for e in log.history(complaint_id) if moment is None or e.occurred_at <= moment
        ]
        if not entries:
            raise fail(f"complaint {complaint} had not been received by {as_of}")
        view = log.get(complaint_id, as_of=moment) if moment else log.get(complaint_id)
    if opts.json:
        print_json(
            opts,
            {
                "id": str(complaint_id),
                "external_ref": view.external_ref,
                "status": view.status.value,
                "as_of": view.reference_time.isoformat(),
                "events": [
                    {
                        "version": e.version,
                        "event": e.event,
                        "occurred_at": e.occurred_at.isoformat(),
                        "recorded_at": e.recorded_at.isoformat(),
                        "actor": e.actor,
                        "payload": e.payload,
                    }
                    for e in entries
                ],
            },
        )
        return
    title = f"{view.external_ref or complaint_id}: {view.status.value}, {len(entries)} events"
    table = Table(title=title, width=min(opts.out.width, 100), show_lines=True)
    table.add_column("#", justify="right", width=2)
    table.add_column("happened (UTC)", width=16)
    table.add_column("recorded (UTC)", width=16)
    table.add_column("actor", width=12, overflow="fold")
    table.add_column("event and payload", overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry.version),
            f"{entry.occurred_at:%Y-%m-%d %H:%M}",
            f"{entry.recorded_at:%Y-%m-%d %H:%M}",
            entry.actor or "-",
            f"[bold]{entry.event}[/bold]\n{_payload_text(entry.payload)}",
        )
    opts.out.print(table)


_EXPORT_FIELDS = (
    "position",
    "aggregate",
    "aggregate_id",
    "version",
    "event",
    "occurred_at",
    "recorded_at",
    "actor",
    "payload",
)


def _records(log: ComplaintLog) -> typing.Iterator[dict[str, Any]]:
    mapper = log.mapper
    for notification in log.notifications(limit=2000):
        state = mapper.decode_stored_state(notification)
        state.pop("originator_topic", None)  # the aggregate's class: "aggregate" says it
        module_class = notification.topic.split(":", 1)[-1]
        aggregate, _, event = module_class.rpartition(".")
        yield {
            "position": notification.id,
            "aggregate": aggregate,
            "aggregate_id": str(notification.originator_id),
            "version": notification.originator_version,
            "event": event,
            "occurred_at": state.pop("occurred_at", None),
            "recorded_at": state.pop("timestamp", None),
            "actor": state.pop("actor", None),
            "payload": state,
        }


@user_errors
def export_command(
    ctx: typer.Context,
    format: Annotated[
        str, typer.Option("--format", "-f", help="jsonl (one event per line) or csv.")
    ] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Stream every recorded event, in recording order, for auditors and other systems.

    Each record has the store position, the aggregate and its id, the version, the event,
    both times, the actor and the payload.

    Example: complaintlog export --format csv -o events.csv
    """
    opts = options(ctx)
    if format not in {"jsonl", "csv"}:
        raise fail(f"--format {format!r}: use jsonl or csv", 2)
    with open_log(opts) as log:
        handle: TextIO = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            count = _write(log, handle, format)
        finally:
            if output:
                handle.close()
    if output:
        opts.say(f"wrote {count:,} events to {output}")


def _write(log: ComplaintLog, handle: TextIO, format: str) -> int:
    count = 0
    if format == "jsonl":
        for record in _records(log):
            handle.write(orjson.dumps(record).decode() + "\n")
            count += 1
        return count
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(_EXPORT_FIELDS)
    for record in _records(log):
        record["payload"] = orjson.dumps(record["payload"]).decode()
        writer.writerow(record[name] for name in _EXPORT_FIELDS)
        count += 1
    return count


def event_schemas() -> dict[str, Any]:
    """The JSON Schema of every complaint event, as stored and exported."""
    schemas: dict[str, Any] = {}
    for name, value in vars(Complaint).items():
        if not (isinstance(value, type) and issubclass(value, Complaint.Event)):
            continue
        if value is Complaint.Event:
            continue
        hints = typing.get_type_hints(value)
        fields = {field: hints[field] for field in getattr(value, "__dataclass_fields__", {})}
        state = TypedDict(name, fields)  # type: ignore[misc]  # built from the event's fields
        schema = TypeAdapter(state).json_schema(mode="serialization")
        schema["title"] = f"Complaint.{name}"
        schemas[name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "complaintlog events",
        "events": schemas,
    }


@user_errors
def schema_command(ctx: typer.Context) -> None:
    """Print the JSON Schema of every event type (the payloads `export` writes).

    Example: complaintlog schema > events.schema.json
    """
    print_json(options(ctx), event_schemas())

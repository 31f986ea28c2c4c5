"""The recorded events for people and other systems: JSON Lines, a flat CSV, an XLSX workbook.

JSON Lines keeps each payload as an object. The CSV and the workbook are for spreadsheet
users: one column per field (``customer.id``, ``compensation.amount``, one
``attribute.NAME`` column per imported attribute), the CSV with a byte-order mark so
spreadsheet programs read it as UTF-8, and text that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``, tab, carriage return first) kept as text with a leading ``'``.
A :class:`Selection` narrows the events by complaint, tenant, business date and product,
and to what had been recorded by a moment; times can be shown in a policy's time zone.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from typing import IO, Any, TextIO
from uuid import UUID

import attrs
import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import TopicError, resolve_topic
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from complaintlog.application import ComplaintLog
from complaintlog.domain.values import DEFAULT_TENANT

__all__ = ["ENVELOPE", "Selection", "records", "write_csv", "write_jsonl", "write_xlsx"]

ENVELOPE = (
    "position",
    "aggregate",
    "aggregate_id",
    "version",
    "event",
    "occurred_at",
    "recorded_at",
    "actor",
)
"""The columns every record has; the payload's fields follow."""

_PAYLOAD_TIMES = frozenset({"due"})
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@attrs.frozen
class Selection:
    """Which events to export; the default is every stored record."""

    complaints: frozenset[UUID] | None = None
    since: datetime | None = None
    until: datetime | None = None
    products: frozenset[str] | None = None
    known_at: datetime | None = None
    time_zone: tzinfo | None = None
    tenant: str | None = None
    """Only the events of this tenant's complaints (a return or an audit per legal entity)."""
    shown: Callable[[Notification, dict[str, Any]], dict[str, Any] | None] | None = None
    """Read authorisation: the state to export (masked), or ``None`` to leave it out."""

    @property
    def narrowed(self) -> bool:
        """Whether only complaint events can match (other records have no business time)."""
        return any(
            value is not None
            for value in (
                self.complaints,
                self.since,
                self.until,
                self.products,
                self.known_at,
                self.tenant,
            )
        )


@attrs.define
class _Filed:
    """What a complaint is filed under: its product as last recorded, its tenant."""

    product: str | None
    tenant: str


def _filed(log: ComplaintLog) -> dict[str, _Filed]:
    """Each complaint's product (received, then reclassified) and tenant (received)."""
    found: dict[str, _Filed] = {}
    for notification in log.notifications(limit=2000):
        topic = notification.topic
        if not topic.endswith((".Received", ".Reclassified")):
            continue
        state = log.mapper.decode_stored_state(notification)
        category = state.get("category")
        key = str(notification.originator_id)
        if topic.endswith(".Received"):
            tenant = state.get("tenant") or DEFAULT_TENANT
            found[key] = _Filed((category or {}).get("product"), tenant)
        elif isinstance(category, dict):
            found.setdefault(key, _Filed(None, DEFAULT_TENANT)).product = category.get("product")
    return found


def _upcast(topic: str, state: dict[str, Any]) -> None:
    """Lift an older stored state to the event's current schema (what ``schema`` shows)."""
    try:
        event_class = resolve_topic(topic)
    except (TopicError, ValueError):
        return
    version = int(state.pop("class_version", 1))
    while version < getattr(event_class, "class_version", 1):
        getattr(event_class, f"upcast_v{version}_v{version + 1}")(state)
        version += 1


def _in_zone(value: object, zone: tzinfo | None) -> object:
    if zone is None or not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value).astimezone(zone).isoformat()
    except ValueError:
        return value


def records(log: ComplaintLog, selection: Selection = Selection()) -> Iterator[dict[str, Any]]:
    """The selected events in recording order, payload opened (or shown erased)."""
    wanted = selection.products is not None or selection.tenant is not None
    filed = _filed(log) if wanted else {}
    nowhere = _Filed(None, "")
    late: set[str] = set()
    zone = selection.time_zone
    for notification in log.notifications(limit=2000):
        module_class = notification.topic.split(":", 1)[-1]
        aggregate, _, event = module_class.rpartition(".")
        originator = str(notification.originator_id)
        is_complaint = aggregate.endswith(".Complaint") or aggregate == "Complaint"
        if selection.narrowed and not is_complaint:
            continue
        if selection.complaints is not None and UUID(originator) not in selection.complaints:
            continue
        if wanted:
            found = filed.get(originator, nowhere)
            if selection.products is not None and found.product not in selection.products:
                continue
            if selection.tenant is not None and found.tenant != selection.tenant:
                continue
        state = log.event_state(notification)  # personal data opened, or shown as erased
        _upcast(notification.topic, state)
        if selection.shown is not None:
            shown = selection.shown(notification, state)
            if shown is None:
                continue
            state = shown
        if selection.known_at is not None:
            recorded = datetime.fromisoformat(str(state.get("timestamp")))
            if originator in late or recorded > selection.known_at:
                late.add(originator)  # a complaint's later events are cut after it
                continue
        occurred = state.pop("occurred_at", None)
        if occurred is not None and (selection.since or selection.until):
            moment = datetime.fromisoformat(occurred)
            if (selection.since and moment < selection.since) or (
                selection.until and moment > selection.until
            ):
                continue
        state.pop("originator_topic", None)  # the aggregate's class: "aggregate" says it
        recorded_at = state.pop("timestamp", None)
        actor = state.pop("actor", None)
        yield {
            "position": notification.id,
            "aggregate": aggregate,
            "aggregate_id": originator,
            "version": notification.originator_version,
            "event": event,
            "occurred_at": _in_zone(occurred, zone),
            "recorded_at": _in_zone(recorded_at, zone),
            "actor": actor,
            "payload": {
                k: _in_zone(v, zone) if k in _PAYLOAD_TIMES else v for k, v in state.items()
            },
        }


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    count = 0
    for row in rows:
        out.write(orjson.dumps(row) + b"\n")
        count += 1
    return count


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One value per column: nested objects by dotted names, attributes one column each."""
    flat = {name: record[name] for name in ENVELOPE}

    def put(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                put(f"{prefix}.{key}", inner)
        elif prefix == "attributes" and isinstance(value, list):
            for pair in value:
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    flat[f"attribute.{pair[0]}"] = pair[1]
        elif isinstance(value, list):
            flat[prefix] = "; ".join(str(item) for item in value)
        else:
            flat[prefix] = value

    for key, value in record["payload"].items():
        put(key, value)
    return flat


def _columns(log: ComplaintLog, selection: Selection) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(ENVELOPE)
    for record in records(log, selection):
        seen.update(dict.fromkeys(flatten(record)))
    return list(seen)


def plain_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_text(value: Any) -> str:
    """A CSV cell's text; what a spreadsheet would run as a formula stays text."""
    text = plain_text(value)
    if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(log: ComplaintLog, selection: Selection, out: TextIO) -> int:
    """The flat CSV (two passes over the log: the columns, then the rows)."""
    columns = _columns(log, selection)
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for record in records(log, selection):
        flat = flatten(record)
        writer.writerow([as_text(flat.get(column)) for column in columns])
        count += 1
    return count


def write_xlsx(log: ComplaintLog, selection: Selection, out: IO[bytes]) -> int:
    """The flat table as one worksheet; every cell is text, so nothing is run as a formula."""
    columns = _columns(log, selection)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("events")
    sheet.freeze_panes = "A2"

    def text_cell(value: Any) -> Any:
        cell = WriteOnlyCell(sheet, value=plain_text(value))
        cell.data_type = "s"  # never "f": a stored "=HYPERLINK(...)" stays text
        return cell

    sheet.append([text_cell(column) for column in columns])
    count = 0
    for record in records(log, selection):
        flat = flatten(record)
        row: list[Any] = []
        for column in columns:
            value = flat.get(column)
            number = isinstance(value, int) and not isinstance(value, bool)
            safe = value is None or number or (isinstance(value, str) and value[:1] != "=")
            row.append(value if safe else text_cell(value))
        sheet.append(row)
        count += 1
    workbook.save(out)
    return count

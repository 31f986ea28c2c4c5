"""The shape every regulatory return takes, and its JSON, CSV and XLSX renderings.

A return is a few named tables (the FCA's: per product, per cause, totals) of rows with the
same columns, plus the window, the policy and notes. A new return builds a
:class:`ReturnTable` from :class:`~complaintlog.returns._facts.ComplaintFacts` and gets the
three formats for free.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import IO, Any

import attrs
from openpyxl import Workbook

from complaintlog.report.event_export import as_text

__all__ = ["ReturnTable", "to_csv", "to_json_data", "to_xlsx"]


@attrs.frozen
class ReturnTable:
    name: str
    title: str
    since: datetime
    until: datetime
    policy: str
    time_zone: str
    columns: tuple[str, ...]
    """The figures of every row, in order."""
    sections: dict[str, list[dict[str, Any]]]
    """Section name -> rows; each row has its key columns (``group``, ``product``, ...)
    and then :attr:`columns`."""
    notes: tuple[str, ...] = ()
    tenant: str | None = None
    """The tenant (legal entity) whose complaints the return counts; ``None``: every one."""


def to_json_data(table: ReturnTable) -> dict[str, Any]:
    return {
        "return": table.name,
        "title": table.title,
        "since": table.since.isoformat(),
        "until": table.until.isoformat(),
        "policy": table.policy,
        "time_zone": table.time_zone,
        "tenant": table.tenant,
        "columns": list(table.columns),
        **table.sections,
        "notes": list(table.notes),
    }


def _keys(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> list[str]:
    return [key for key in (rows[0] if rows else {}) if key not in columns]


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return "; ".join(f"{amount} {currency}" for currency, amount in value.items())
    return value


def to_csv(table: ReturnTable) -> str:
    """One CSV: ``section``, the row's keys (group, item), then the figures; a BOM first."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("section", "group", "item", *table.columns))
    for section, rows in table.sections.items():
        for row in rows:
            keys = [row.get(key) for key in _keys(rows, table.columns)]
            keys = [*keys, None, None][:2]
            writer.writerow(
                [section, *(as_text(k) for k in keys)]
                + [as_text(_cell(row.get(c))) for c in table.columns]
            )
    return out.getvalue()


def to_xlsx(table: ReturnTable, out: IO[bytes]) -> None:
    """A sheet per section, and one for the window, the policy and the notes."""
    book = Workbook()
    about = book.active
    assert about is not None
    about.title = "return"
    lines: list[tuple[str, str]] = [
        ("return", table.title),
        ("since", table.since.isoformat()),
        ("until", table.until.isoformat()),
        ("policy", table.policy),
        ("time zone", table.time_zone),
        *((("tenant", table.tenant),) if table.tenant is not None else ()),
        *(("note", note) for note in table.notes),
    ]
    for line in lines:
        about.append(list(line))
    for section, rows in table.sections.items():
        sheet = book.create_sheet(section[:31])
        keys = _keys(rows, table.columns)
        sheet.append([*keys, *table.columns])
        for row in rows:
            cells = [row.get(key) for key in keys] + [_cell(row.get(c)) for c in table.columns]
            sheet.append(cells)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a stored name is text, never a formula
    book.save(out)

"""A complaint's file as a reviewer reads it: terminal tables, an HTML page, a PDF document.

All three show the same sections from :class:`ComplaintFile` (the JSON has them as data):
summary, deadlines, timeline, promises, pauses, escalations, resolutions, reviews. Stored
text is escaped for the format it lands in (rich markup, HTML, ReportLab's paragraph markup).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from complaintlog.report.complaint_file import ComplaintFile
from complaintlog.report.terminal import safe_text, visible

__all__ = ["file_sections", "file_to_html", "file_to_pdf", "file_to_rich"]

Rows = list[tuple[str, ...]]


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "-" if value is None else str(value)


def _duration(value: timedelta) -> str:
    hours = value.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


_SHOWN_ELSEWHERE = frozenset({"customer", "attributes", "personal", "idempotency", "promise_id"})


def _payload(payload: dict[str, Any]) -> str:
    parts = []
    for name, value in payload.items():
        if name in _SHOWN_ELSEWHERE or value in (None, [], {}, ()):
            continue
        text = str(value)
        parts.append(f"{name}: {text[:160]}{'...' if len(text) > 160 else ''}")
    return "; ".join(parts)


def file_sections(file: ComplaintFile) -> list[tuple[str, tuple[str, ...], Rows]]:
    """The file's sections as (title, columns, rows) of plain text, in reading order."""
    s = file.summary
    summary: Rows = [
        ("complaint", f"{file.external_ref or file.complaint_id}"),
        ("status", f"{s['status']} at {_when(file.reference_time)}"),
        ("tenant", str(s.get("tenant", "-"))),
        ("received", _when(s["received_at"])),
        ("channel / severity", f"{s['channel']} / {s['severity']}"),
        ("product / cause", f"{s['product'] or '-'} / {s['cause'] or '-'}"),
        ("customer", str(s["customer_id"])),
        ("subject", str(s["subject"])),
        ("handled by", f"{s['assignee'] or '-'} ({s['team'] or 'no team'})"),
        ("cycles", str(s["cycles"])),
    ]
    deadlines: Rows = [
        (
            d["target"] + (" (informational)" if d["informational"] else ""),
            str(d["cycle"]),
            _when(d["started"]),
            _when(d["due"]),
            _when(d["met_at"]),
            d["state"],
        )
        for d in file.deadlines
    ]
    timeline: Rows = [
        (
            str(e["version"]),
            _when(e["happened"]),
            _when(e["recorded"])
            + (f"\nBACKDATED by {_duration(e['recorded_later_by'])}" if e["backdated"] else ""),
            e["actor"] or "-",
            e["event"],
            _payload(e["payload"]),
        )
        for e in file.timeline
    ]
    promises: Rows = [
        (p["promise"], _when(p["made_at"]), _when(p["due"]), _when(p["kept_at"]), p["state"])
        for p in file.promises
    ]
    pauses: Rows = [
        (_when(p["started"]), _when(p["ended"]), p["waiting_for"], p["reason"]) for p in file.pauses
    ]
    escalations: Rows = [
        (_when(e["at"]), str(e["level"]), str(e["reason"]), e["actor"] or "-")
        for e in file.escalations
    ]
    resolutions: Rows = [
        (
            str(r["cycle"]),
            _when(r["resolved_at"]),
            r["remedy"],
            r["redress"] or "-",
            r["upheld"] or "unknown",
            {True: "yes", False: "no", None: "-"}[r["accepted"]],
            r["summary"],
        )
        for r in file.resolutions
    ]
    reviews: Rows = [
        (
            _when(r["at"]),
            r["actor"] or "-",
            r["event"],
            _payload({k: v for k, v in r.items() if k not in {"at", "recorded", "actor", "event"}}),
        )
        for r in file.reviews
    ]
    return [
        ("Complaint", ("", ""), summary),
        (
            f"Deadlines under {file.policy}",
            ("target", "cycle", "started", "due", "met", "state"),
            deadlines,
        ),
        (
            f"Timeline ({file.time_zone})",
            ("#", "happened", "recorded", "actor", "event", "details"),
            timeline,
        ),
        ("Promises", ("promise", "made", "due", "kept", "state"), promises),
        ("Pauses", ("from", "until", "waiting for", "reason"), pauses),
        ("Escalations", ("at", "level", "reason", "actor"), escalations),
        (
            "Resolutions and redress",
            ("cycle", "resolved", "remedy", "redress", "upheld", "accepted", "summary"),
            resolutions,
        ),
        ("Reviewer notes and sign-off", ("at", "reviewer", "record", "note"), reviews),
    ]


def _heading(file: ComplaintFile) -> str:
    known = f", as recorded by {_when(file.known_at)}" if file.known_at else ""
    return f"Complaint file {file.external_ref or file.complaint_id}{known}"


def file_to_rich(file: ComplaintFile) -> RenderableType:
    parts: list[RenderableType] = [Text(visible(_heading(file)), style="bold")]
    parts += [Text(f"warning: {w}", style="yellow") for w in file.warnings]
    for title, columns, rows in file_sections(file):
        table = RichTable(title=Text(title), show_lines=title.startswith("Timeline"), width=100)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows or [("(none)", *[""] * (len(columns) - 1))]:
            table.add_row(*(safe_text(cell) for cell in row))
        parts.append(table)
    return Group(*parts)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
    "table{border-collapse:collapse;margin-bottom:1.5rem;width:100%}"
    "td,th{border:1px solid #ccc;padding:.25rem .4rem;text-align:left;vertical-align:top;"
    "font-size:.85rem;white-space:pre-wrap}th{background:#eee}.warn{color:#a60}"
)


def file_to_html(file: ComplaintFile) -> str:
    """One self-contained page; every stored value escaped."""
    body = [f"<h1>{html.escape(_heading(file))}</h1>"]
    body += [f'<p class="warn">warning: {html.escape(w)}</p>' for w in file.warnings]
    for title, columns, rows in file_sections(file):
        body.append(f"<h2>{html.escape(title)}</h2>")
        if not rows:
            body.append("<p>(none)</p>")
            continue
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns) if any(columns) else ""
        lines = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in rows
        )
        thead = f"<thead><tr>{head}</tr></thead>" if head else ""
        body.append(f"<table>{thead}<tbody>{lines}</tbody></table>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(_heading(file))}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _cell(text: str, style: Any) -> Paragraph:
    return Paragraph(html.escape(text).replace("\n", "<br/>"), style)


def _widths(columns: Sequence[str], total: float) -> list[float] | None:
    if len(columns) == 6 and columns[0] == "#":  # the timeline: details take the rest
        fixed = [8 * mm, 28 * mm, 32 * mm, 28 * mm, 30 * mm]
        return [*fixed, total - sum(fixed)]
    return None


def file_to_pdf(file: ComplaintFile) -> bytes:
    """The file as a PDF document (ReportLab), landscape A4, with page numbers."""
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    page = landscape(A4)
    document = SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=_heading(file),
        author="complaintlog",
        subject=f"complaint file under policy {file.policy}",
    )
    width = page[0] - 24 * mm
    story: list[Any] = [Paragraph(html.escape(_heading(file)), styles["Title"])]
    story += [Paragraph(f"warning: {html.escape(w)}", styles["BodyText"]) for w in file.warnings]
    for title, columns, rows in file_sections(file):
        story.append(Paragraph(html.escape(title), styles["Heading2"]))
        if not rows:
            story.append(Paragraph("(none)", small))
            continue
        header = [[_cell(c, small) for c in columns]] if any(columns) else []
        data = header + [[_cell(cell, small) for cell in row] for row in rows]
        table = Table(data, colWidths=_widths(columns, width), repeatRows=len(header))
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, len(header) - 1), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 4 * mm)]

    def number(canvas: Any, doc: Any) -> None:
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(
            page[0] - 12 * mm,
            7 * mm,
            f"{_heading(file)} - generated {_when(file.reference_time)} - page {doc.page}",
        )

    document.build(story, onFirstPage=number, onLaterPages=number)
    return out.getvalue()

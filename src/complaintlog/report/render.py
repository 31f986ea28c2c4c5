"""The report as text: rich tables for the terminal, JSON, CSV (long form) and Markdown.

Every renderer shows the same :class:`ReportData`; the table builders here are shared with
the HTML page, so the terminal, Markdown and HTML tables always agree.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs
import orjson
from rich.console import Group, RenderableType
from rich.table import Table

from complaintlog.report.data import BreachRow, GroupRow, MetricRow, Rate, ReportData
from complaintlog.report.spreadsheet import safe_row
from complaintlog.report.terminal import safe_text, visible

__all__ = ["Section", "as_dict", "sections", "to_csv", "to_json", "to_markdown", "to_rich"]

LIST_LIMIT = 15
"""Rows shown of each list in the terminal, Markdown and HTML (JSON and CSV have all)."""
PERIOD_LIMIT = 12
"""Latest periods shown in the terminal and Markdown tables."""


# -- JSON ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Rate):
        return {"part": value.part, "whole": value.whole, "value": value.value}
    if attrs.has(type(value)):
        plain = {
            field.name: _plain(getattr(value, field.name)) for field in attrs.fields(type(value))
        }
        if isinstance(value, MetricRow):
            plain["missed"] = value.missed
            plain["rate"] = value.rate
        return plain
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def as_dict(data: ReportData) -> dict[str, Any]:
    """Everything in the report as JSON-ready values (rates as part, whole and value)."""
    plain: dict[str, Any] = _plain(data)
    plain["complaints"] = data.complaints
    plain["headline"] = data.headline()
    plain["moment"] = data.now
    return plain


def to_json(data: ReportData) -> str:
    return orjson.dumps(
        as_dict(data), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    ).decode()


# -- CSV -------------------------------------------------------------------------------------


def to_csv(data: ReportData) -> str:
    """One row per figure: ``section,key,subkey,value``, easy to load into a spreadsheet.

    ``received,PERIOD,GROUP,N`` rows hold the volumes per period and group; ``group,GROUP,
    FIGURE,VALUE`` rows the all-time figures per group; rates are fractions of 1. Text a
    spreadsheet would run as a formula starts with ``'`` (:mod:`.spreadsheet`).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def write(row: Iterable[Any]) -> None:
        writer.writerow(safe_row(row))  # stored values could be formulas (OWASP)

    write(("section", "key", "subkey", "value"))
    for key, value in data.headline().items():
        write(("headline", key, "", _cell(value)))
    for status, count in data.status_counts.items():
        write(("status", status, "", count))
    for period, groups in data.received_by_period.items():
        for group, count in groups.items():
            write(("received", period, group, count))
    for row in data.periods:
        figures: dict[str, Any] = {
            "received": row.received,
            "resolved": row.resolved,
            "withdrawn": row.withdrawn,
            "open_at_end": row.open_at_end,
            "acknowledge_median_hours": row.acknowledge_median_hours,
            "resolve_median_hours": row.resolve_median_hours,
            "resolve_p90_hours": row.resolve_p90_hours,
            "reopened": row.reopened.value,
            "escalated": row.escalated.value,
            "survey_mean": row.survey_mean,
            "repeat_complaints": row.repeat_complaints,
        }
        figures.update({f"on_time.{metric}": rate.value for metric, rate in row.sla.items()})
        for name, value in figures.items():
            write(("period", row.period, name, _cell(value)))
    for metric in data.metrics:
        for name, value in (
            ("decided", metric.decided),
            ("on_time", metric.on_time),
            ("missed", metric.missed),
            ("rate", metric.rate),
            ("breaching_now", metric.breaching_now),
            ("at_risk", metric.at_risk),
        ):
            write(("sla", metric.metric, name, _cell(value)))
    for figures_of in [data.totals, *data.groups]:
        for name, value in _group_figures(figures_of).items():
            write(("group", figures_of.group, name, _cell(value)))
    for remedy, count in data.remedies.items():
        write(("remedy", remedy, "", count))
    for info in data.informational:
        for name in ("missed", "still_open", "at_risk"):
            write(("informational", info.target, name, getattr(info, name)))
    for section, rows in (
        ("breach", data.breaches),
        ("at_risk", data.at_risk),
        ("informational_open", data.informational_open),
    ):
        for breach in rows:
            write((section, breach.complaint, breach.target, breach.late_by_hours))
    for promise in data.broken_promises:
        write(("broken_promise", promise.complaint, promise.due.isoformat(), promise.late_by_hours))
    return out.getvalue()


def _group_figures(group: GroupRow) -> dict[str, Any]:
    return {
        "received": group.received,
        "resolved": group.resolved,
        "withdrawn": group.withdrawn,
        "open_now": group.open_now,
        "resolve_on_time": group.resolve_on_time.value,
        "promises_kept": group.promises_kept.value,
        "reopened": group.reopened.value,
        "escalated": group.escalated.value,
        "repeat_complaints": group.repeat_complaints,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# -- the tables, shared by the terminal, Markdown and HTML ------------------------------------


@attrs.frozen
class Section:
    """One table: a title, column names (``>`` in front: right-aligned) and rows."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    note: str = ""


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _rate(rate: Rate) -> str:
    return "-" if rate.value is None else f"{rate.value:.0%} of {rate.whole:,}"


def _days(data: ReportData, hours: float | None) -> str:
    days = data.business_days(hours)
    return "-" if days is None else f"{days:.1f}"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def headline_rows(data: ReportData) -> list[tuple[str, str]]:
    head = data.headline()
    latest = head["latest_period"] or "-"
    median = head["median_business_days_to_resolve"]
    return [
        ("Complaints received", f"{head['complaints']:,}"),
        (f"Open {data.now}", f"{head['open']:,}"),
        (f"Breaching an SLA target {data.now}", f"{head['breaching_now']:,}"),
        ("At risk (past the warning point)", f"{head['at_risk']:,}"),
        ("Broken promises", f"{head['broken_promises']:,}"),
        *(
            [("Late by the source's own verdict", f"{head['late_by_source']:,}")]
            if head["late_by_source"]
            else []
        ),
        ("Resolved on time", percent(head["resolved_on_time"])),
        (
            f"Median business days to resolve, {latest}",
            "-" if median is None else f"{median:.1f}",
        ),
        (
            "Repeat complaints (same customer and category, 30 days)",
            f"{head['repeat_complaints']:,}",
        ),
    ]


def _breach_section(
    key: str, title: str, rows: Sequence[BreachRow], hours: str, limit: int | None
) -> Section:
    shown = [
        (
            row.complaint[:26],
            row.target[:24],
            _when(row.due),
            f"{abs(row.late_by_hours):,.1f}",
            (row.assignee or "-")[:16],
        )
        for row in rows[:limit]
    ]
    more = f", first {limit} shown" if limit is not None and len(rows) > limit else ""
    complaints = len({row.complaint for row in rows})
    return Section(
        key,
        f"{title}: {len(rows):,} clocks of {complaints:,} complaints{more}",
        ("complaint", "target", "due", f">{hours}", "assignee"),
        shown,
    )


def sections(
    data: ReportData, *, periods: int | None = PERIOD_LIMIT, limit: int | None = LIST_LIMIT
) -> list[Section]:
    """The report's tables in reading order: current state, SLA, statistics.

    ``limit`` shortens the lists (breaches, at risk, broken promises, groups) for a
    terminal; ``None`` keeps them complete, as a page or a file for a reviewer must.
    """
    total = data.complaints
    status = Section(
        "status",
        "Current state: complaints by status",
        ("status", ">complaints", ">share"),
        [
            (name, f"{count:,}", percent(count / total if total else None))
            for name, count in data.status_counts.items()
        ],
    )
    sla = Section(
        "sla",
        f"SLA clocks under policy {data.policy!r}: decided (all time), breaching and at risk "
        f"{data.now}",
        (
            "metric",
            ">decided",
            ">on time",
            ">missed",
            ">on-time\nrate",
            f">breaching\n{data.now}",
            ">at risk",
        ),
        [
            (
                metric.metric,
                f"{metric.decided:,}",
                f"{metric.on_time:,}",
                f"{metric.missed:,}",
                percent(metric.rate),
                f"{metric.breaching_now:,}",
                f"{metric.at_risk:,}",
            )
            for metric in data.metrics
        ],
        "Targets: "
        + "; ".join(f"{metric.metric}: {', '.join(metric.targets)}" for metric in data.metrics),
    )
    parts = [status, sla]
    if data.informational:
        parts.append(
            Section(
                "informational",
                "Informational targets (measured, but missing them is no breach)",
                ("target", "metric", ">missed", ">still open", ">at risk"),
                [
                    (
                        info.target,
                        info.metric,
                        f"{info.missed:,}",
                        f"{info.still_open:,}",
                        f"{info.at_risk:,}",
                    )
                    for info in data.informational
                ],
            )
        )
    parts += [
        _breach_section(
            "breaches",
            f"Breaching {data.now}, most recently due first",
            data.breaches,
            "hours late",
            limit,
        ),
        _breach_section("at-risk", "At risk, due soonest first", data.at_risk, "hours left", limit),
        Section(
            "broken-promises",
            f"Broken promises, most recently due first: {len(data.broken_promises):,}",
            ("complaint", "made", "was due", "fulfilled late", ">hours late"),
            [
                (
                    p.complaint[:26],
                    _when(p.made_at),
                    _when(p.due),
                    _when(p.kept_at) if p.kept_at else "not yet",
                    f"{p.late_by_hours:,.1f}",
                )
                for p in data.broken_promises[:limit]
            ],
        ),
    ]
    if data.informational_open:
        parts.append(
            _breach_section(
                "informational-open",
                "Informational targets missed, complaint still open",
                data.informational_open,
                "hours past",
                limit,
            )
        )
    active = [row for row in data.periods if row.received or row.resolved]
    shown = active[-periods:] if periods else active
    parts.append(
        Section(
            "periods",
            f"Statistics per {data.period}"
            + (
                f" (latest {len(shown)} of {len(active)} with data)"
                if len(shown) != len(data.periods)
                else ""
            )
            + (f"; the data ends in {data.data_ends}" if data.data_ends else ""),
            (
                data.period,
                ">received",
                ">resolved",
                ">open at\nend",
                ">median\ndays",
                ">p90\ndays",
                ">on\ntime",
                ">promises\nkept",
                ">reopened",
                ">repeat",
            ),
            [
                (
                    row.period,
                    f"{row.received:,}",
                    f"{row.resolved:,}",
                    f"{row.open_at_end:,}",
                    _days(data, row.resolve_median_hours),
                    _days(data, row.resolve_p90_hours),
                    percent(row.sla.get("resolve", Rate(0, 0)).value),
                    percent(row.sla.get("promise", Rate(0, 0)).value),
                    percent(row.reopened.value),
                    f"{row.repeat_complaints:,}",
                )
                for row in shown
            ],
            "Time to resolve: business days of "
            f"{data.business_day_hours:g} working hours on the policy's calendar, per "
            "resolution in the period (a reopened complaint's cycles each count).",
        )
    )
    parts.append(
        Section(
            "groups",
            f"By {data.by}, all time"
            + (
                f" (top {limit} of {len(data.groups)})"
                if limit is not None and len(data.groups) > limit
                else ""
            ),
            (
                data.by,
                ">received",
                ">resolved",
                f">open\n{data.now}",
                ">on\ntime",
                ">promises\nkept",
                ">reopened",
                ">escalated",
            ),
            [
                (
                    group.group[:32],
                    f"{group.received:,}",
                    f"{group.resolved:,}",
                    f"{group.open_now:,}",
                    percent(group.resolve_on_time.value),
                    percent(group.promises_kept.value),
                    percent(group.reopened.value),
                    percent(group.escalated.value),
                )
                for group in [*data.groups[:limit], data.totals]
            ],
        )
    )
    resolutions = sum(data.remedies.values())
    parts.append(
        Section(
            "remedies",
            "Remedies, all resolutions",
            ("remedy", ">resolutions", ">share"),
            [
                (remedy, f"{count:,}", percent(count / resolutions))
                for remedy, count in data.remedies.items()
            ],
        )
    )
    return parts


# -- terminal --------------------------------------------------------------------------------


def _rich_table(section: Section) -> Table:
    table = Table(title=section.title, caption=section.note or None, caption_justify="left")
    for column in section.columns:
        right = column.startswith(">")
        table.add_column(
            column.removeprefix(">"), justify="right" if right else "left", overflow="fold"
        )
    for row in section.rows:
        table.add_row(*(safe_text(cell) for cell in row))
    return table


def title(data: ReportData) -> str:
    known = f", as recorded by {data.known_at:%Y-%m-%d %H:%M %Z}" if data.known_at else ""
    ends = f"; the data ends in {data.data_ends}" if data.data_ends else ""
    whose = f" of tenant {data.tenant!r}" if data.tenant is not None else ""
    return (
        f"Complaint handling{whose} as of {data.as_of:%Y-%m-%d %H:%M %Z}{known}, "
        f"policy {data.policy!r} in {data.time_zone}{ends}"
    )


def to_rich(data: ReportData) -> RenderableType:
    """Tables that fit 100 columns."""
    head = Table(title=title(data), show_header=False, width=80)
    head.add_column("figure")
    head.add_column("value", justify="right")
    for row in headline_rows(data):
        head.add_row(*(safe_text(cell) for cell in row))
    parts: list[RenderableType] = [head]
    parts += [_rich_table(section) for section in sections(data)]
    return Group(*parts)


# -- Markdown --------------------------------------------------------------------------------


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#!|~])")


def _md_cell(text: str) -> str:
    """Stored text as Markdown that renders as that text: no HTML, links or emphasis."""
    escaped = html.escape(visible(text), quote=False)  # <script> shows, never runs
    return _MARKDOWN.sub(r"\\\1", escaped).replace("\n", " ")


def to_markdown(data: ReportData) -> str:
    lines = [
        f"# {_md_cell(title(data))}",
        "",
        f"Policy {_md_cell(data.policy)} in {_md_cell(data.time_zone)}, per {data.period} "
        f"since {data.since:%Y-%m-%d}, by {_md_cell(data.by)}"
        + (f"; the data ends in {data.data_ends}" if data.data_ends else "")
        + f". Source: {_md_cell(data.source)}.",
        "",
        "| figure | value |",
        "| --- | ---: |",
    ]
    lines += [f"| {_md_cell(name)} | {value} |" for name, value in headline_rows(data)]
    for section in sections(data, periods=2 * PERIOD_LIMIT, limit=None):
        lines += ["", f"## {section.title}", ""]
        if section.note:
            lines += [section.note, ""]
        lines.append(
            "| " + " | ".join(_md_cell(c.removeprefix(">")) for c in section.columns) + " |"
        )
        lines.append(
            "| "
            + " | ".join("---:" if c.startswith(">") else "---" for c in section.columns)
            + " |"
        )
        lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in section.rows]
    return "\n".join(lines) + "\n"

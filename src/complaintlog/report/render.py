"""The report as text: rich tables for the terminal, JSON, CSV (long form) and Markdown."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import attrs
import orjson
from rich.console import Group, RenderableType
from rich.table import Table

from complaintlog.report.data import BreachRow, ReportData

__all__ = ["as_dict", "to_csv", "to_json", "to_markdown", "to_rich"]

_LIST_LIMIT = 15


def as_dict(data: ReportData) -> dict[str, Any]:
    """Everything in the report as JSON-ready values."""
    plain = attrs.asdict(data)
    plain["headline"] = data.headline()
    return plain


def to_json(data: ReportData) -> str:
    return orjson.dumps(
        as_dict(data), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    ).decode()


def to_csv(data: ReportData) -> str:
    """One row per figure: ``section,key,subkey,value``, easy to load into a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "subkey", "value"))
    for key, value in data.headline().items():
        writer.writerow(("headline", key, "", _cell(value)))
    for status, count in data.status_counts.items():
        writer.writerow(("status", status, "", count))
    for period, groups in data.received_by_period.items():
        for group, count in groups.items():
            writer.writerow(("received", period, group, count))
    for period, rates in data.compliance_by_period.items():
        for metric, rate in rates.items():
            writer.writerow(("compliance", period, metric, _cell(rate)))
    for metric, outcomes in data.compliance.items():
        for outcome, count in outcomes.items():
            writer.writerow(("sla", metric, outcome, count))
    for group, figures in data.groups.items():
        for name, value in figures.items():
            writer.writerow(("group", group, name, _cell(value)))
    for remedy, count in data.remedies.items():
        writer.writerow(("remedy", remedy, "", count))
    for state, count in data.promises.items():
        writer.writerow(("promises", state, "", count))
    for row in data.breaches:
        writer.writerow(("breach", row.complaint, row.target, row.late_by_hours))
    for row in data.at_risk:
        writer.writerow(("at_risk", row.complaint, row.target, -row.late_by_hours))
    for promise in data.broken_promises:
        writer.writerow(
            ("broken_promise", promise.complaint, promise.due.isoformat(), promise.late_by_hours)
        )
    for repeat in data.repeats:
        writer.writerow(("repeat", repeat.customer, repeat.category, repeat.complaints))
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _headline_rows(data: ReportData) -> list[tuple[str, str]]:
    head = data.headline()
    days = head["median_days_to_resolve"]
    score = head["mean_survey_score"]
    return [
        ("Complaints", f"{head['complaints']:,}"),
        ("Open now", f"{head['open']:,}"),
        ("Breaching an SLA target", f"{head['breaching_now']:,}"),
        ("At risk (past the warning point)", f"{head['at_risk']:,}"),
        ("Broken promises", f"{head['broken_promises']:,}"),
        ("Resolved on time", _percent(head["resolved_on_time"])),
        ("Median days to resolve", "-" if days is None else f"{days:.1f}"),
        ("Mean survey score (1-5)", "-" if score is None else f"{score:.2f}"),
    ]


def _compliance_rows(data: ReportData) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for metric, outcome in data.compliance.items():
        ended = outcome.get("met", 0) + outcome.get("missed", 0) + outcome.get("open_breached", 0)
        rate = outcome.get("met", 0) / ended if ended else None
        rows.append(
            (
                metric,
                str(outcome.get("met", 0)),
                str(outcome.get("missed", 0)),
                str(outcome.get("open_breached", 0)),
                str(outcome.get("open", 0)),
                _percent(rate),
            )
        )
    return rows


def _group_rows(data: ReportData) -> list[tuple[str, ...]]:
    ordered = sorted(data.groups.items(), key=lambda item: -int(item[1].get("received", 0)))
    rows: list[tuple[str, ...]] = []
    for group, figures in ordered[:_LIST_LIMIT]:
        median = figures.get("median_resolve_days")
        rows.append(
            (
                group[:34],
                str(figures.get("received", 0)),
                str(figures.get("open", 0)),
                "-" if median is None else f"{median:.1f}",
                _percent(figures.get("reopen_rate")),
                str(figures.get("broken_promises", 0)),
            )
        )
    return rows


def _breach_rows(rows: list[BreachRow]) -> list[tuple[str, ...]]:
    return [
        (
            row.complaint[:28],
            row.target[:24],
            row.due.strftime("%Y-%m-%d %H:%M"),
            f"{abs(row.late_by_hours):,.1f}",
            (row.assignee or "-")[:22],
        )
        for row in rows[:_LIST_LIMIT]
    ]


def to_rich(data: ReportData) -> RenderableType:
    """Tables that fit 100 columns."""
    title = f"Complaint handling as of {data.as_of:%Y-%m-%d %H:%M %Z}, policy {data.policy!r}"
    head = Table(title=title, show_header=False, width=72)
    head.add_column("figure")
    head.add_column("value", justify="right")
    for row in _headline_rows(data):
        head.add_row(*row)
    sla = Table(title="SLA targets", width=72)
    for name in ("metric", "met", "missed", "breaching", "running", "on time"):
        sla.add_column(name, justify="left" if name == "metric" else "right")
    for sla_row in _compliance_rows(data):
        sla.add_row(*sla_row)
    groups = Table(title=f"By {data.by} (top {_LIST_LIMIT})", width=100)
    for name in ("group", "received", "open", "median days", "reopened", "broken promises"):
        groups.add_column(name, justify="left" if name == "group" else "right", overflow="fold")
    for group_row in _group_rows(data):
        groups.add_row(*group_row)
    parts: list[RenderableType] = [head, sla, groups]
    for caption, rows, hours in (
        ("Breaching now (most recently due first)", data.breaches, "hours late"),
        ("At risk (due soonest first)", data.at_risk, "hours left"),
    ):
        table = Table(title=f"{caption}: {len(rows)}", width=100)
        for name in ("complaint", "target", "due", hours, "assignee"):
            table.add_column(name, justify="right" if name == hours else "left")
        for breach_row in _breach_rows(rows):
            table.add_row(*breach_row)
        parts.append(table)
    remedies = Table(title="Remedies", width=72)
    remedies.add_column("remedy")
    remedies.add_column("resolutions", justify="right")
    for remedy, count in data.remedies.items():
        remedies.add_row(remedy, str(count))
    parts.append(remedies)
    return Group(*parts)


def to_markdown(data: ReportData) -> str:
    lines = [
        f"# Complaint handling as of {data.as_of:%Y-%m-%d %H:%M %Z}",
        "",
        f"Policy `{data.policy}`, grouped by {data.by}, per {data.period}. Source: {data.source}.",
        "",
        "| figure | value |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {value} |" for name, value in _headline_rows(data)]
    lines += ["", "## SLA targets", "", "| metric | met | missed | breaching | running | on time |"]
    lines += ["| --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += ["| " + " | ".join(row) + " |" for row in _compliance_rows(data)]
    lines += ["", f"## By {data.by}", "", "| group | received | open | median days | reopened |"]
    lines += ["| --- | ---: | ---: | ---: | ---: |"]
    lines += ["| " + " | ".join(row[:5]) + " |" for row in _group_rows(data)]
    for caption, rows in (("Breaching now", data.breaches), ("At risk", data.at_risk)):
        lines += [
            "",
            f"## {caption} ({len(rows)})",
            "",
            "| complaint | target | due | hours | assignee |",
        ]
        lines += ["| --- | --- | --- | ---: | --- |"]
        lines += ["| " + " | ".join(row) + " |" for row in _breach_rows(rows)]
    lines += ["", "## Remedies", "", "| remedy | resolutions |", "| --- | ---: |"]
    lines += [f"| {remedy} | {count} |" for remedy, count in data.remedies.items()]
    return "\n".join(lines) + "\n"

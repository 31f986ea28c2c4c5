"""``complaintlog export``: the recorded events as JSON Lines, a flat CSV or an XLSX workbook."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from complaintlog.cli._audit import resolve_complaint
from complaintlog.cli._common import fail, open_log, options, parse_as_of, user_errors
from complaintlog.cli._export_filter import ExportFilter
from complaintlog.cli._report import policy_named, tenant_named
from complaintlog.report.event_export import (
    Selection,
    records,
    write_csv,
    write_jsonl,
    write_xlsx,
)

__all__ = ["export_command"]

_FORMATS = ("jsonl", "csv", "xlsx")


@user_errors
def export_command(
    ctx: typer.Context,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="jsonl (one event per line), csv (flat, one column per field, with a "
            "byte-order mark) or xlsx.",
        ),
    ] = "jsonl",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of stdout (xlsx needs it)."),
    ] = None,
    complaint: Annotated[
        list[str] | None,
        typer.Option("--complaint", help="Only this complaint (id or reference; repeatable)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only events that happened from then (ISO date/time).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="... until then (a date: the end of that day).")
    ] = None,
    product: Annotated[
        list[str] | None,
        typer.Option("--product", help="Only complaints about this product (repeatable)."),
    ] = None,
    as_known_at: Annotated[
        str | None,
        typer.Option("--as-known-at", help="Only events recorded by then (ISO date/time)."),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(
            help="Show times in this policy's time zone, and read dates there (default: UTC)."
        ),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option(help="Only the events of this tenant's complaints.")
    ] = None,
) -> None:
    """Stream the recorded events, in recording order, for auditors and other systems.

    Each record has the store position, the aggregate and its id, the version, the event,
    both times, the actor and the payload (in the CSV and XLSX one column per field). A
    filter keeps complaint events only; --tenant keeps one tenant's complaints.

    Example: complaintlog export --format csv --product Mortgage --since 2026-01-01 -o q1.csv
    """
    opts = options(ctx)
    if format not in _FORMATS:
        raise fail(f"--format {format!r}: use one of {', '.join(_FORMATS)}", 2)
    if format == "xlsx" and output is None:
        raise fail("--format xlsx writes a workbook: name it with --output FILE.xlsx", 2)
    zone = policy_named(policy).calendar.time_zone if policy else None
    only = tenant_named(tenant)
    with open_log(opts) as log:
        chosen: frozenset[UUID] | None = (
            frozenset(resolve_complaint(log, key) for key in complaint) if complaint else None
        )
        selection = Selection(
            complaints=chosen,
            since=parse_as_of(since, option="--since", end_of_day=False, zone=zone),
            until=parse_as_of(until, option="--until", zone=zone),
            products=frozenset(product) if product else None,
            known_at=parse_as_of(as_known_at, option="--as-known-at", zone=zone),
            time_zone=zone,
            tenant=only,
            shown=ExportFilter(log, opts.actor) if opts.actor is not None else None,
        )
        if format == "jsonl":
            if output is None:
                count = write_jsonl(records(log, selection), sys.stdout.buffer)
                sys.stdout.buffer.flush()
            else:
                with output.open("wb") as handle:
                    count = write_jsonl(records(log, selection), handle)
        elif format == "csv":
            if output is None:
                count = write_csv(log, selection, sys.stdout)
            else:
                with output.open("w", encoding="utf-8", newline="") as text:
                    count = write_csv(log, selection, text)
        else:
            assert output is not None
            with output.open("wb") as handle:
                count = write_xlsx(log, selection, handle)
    if output:
        opts.say(f"wrote {count:,} events to {output}")

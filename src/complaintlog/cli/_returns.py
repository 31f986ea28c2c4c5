"""``complaintlog regulatory-return NAME``: a regulator's complaints return for a window."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from complaintlog.cli._common import fail, open_log, options, parse_as_of, print_json, user_errors
from complaintlog.cli._report import policy_named, tenant_named
from complaintlog.errors import InvalidValueError
from complaintlog.returns import (
    FcaMapping,
    complaint_facts,
    fca_return,
    to_csv,
    to_json_data,
    to_xlsx,
)

__all__ = ["RETURNS", "regulatory_return_command"]

RETURNS = ("fca",)
_FORMATS = ("json", "csv", "xlsx")


@user_errors
def regulatory_return_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Which return: fca (DISP 1 Annex 1R).")],
    since: Annotated[str, typer.Option(help="First day of the window (ISO date).")],
    until: Annotated[str, typer.Option(help="Last day of the window (ISO date, inclusive).")],
    format: Annotated[str, typer.Option("--format", "-f", help="json, csv or xlsx.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (xlsx needs it).")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="Your products and causes -> the return's (TOML; default shipped)."),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(help="The policy whose deadlines and calendar count (default: the return's)."),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(help="Only this tenant's complaints: the return of one legal entity."),
    ] = None,
) -> None:
    """A regulator's complaints return for any window, totals and medians included.

    fca: per product group and product, and per cause: outstanding at the start, opened,
    closed (within three business days, within eight weeks, later), upheld and its
    share, redress paid, median days to close, outstanding at the end. A reopened
    complaint is closed once. Days are read in the policy's time zone. A return is filed
    per legal entity: --tenant counts that tenant's complaints only.

    Example: complaintlog regulatory-return fca --since 2026-01-01 --until 2026-06-30 -f csv
    """
    opts = options(ctx)
    if name not in RETURNS:
        raise fail(f"no return {name!r}: use one of {', '.join(RETURNS)}", 2)
    if format not in _FORMATS:
        raise fail(f"--format {format!r}: use one of {', '.join(_FORMATS)}", 2)
    if format == "xlsx" and output is None:
        raise fail("--format xlsx writes a workbook: name it with --output FILE.xlsx", 2)
    sla = policy_named(policy or name)
    only = tenant_named(tenant)
    zone = sla.calendar.time_zone
    start = parse_as_of(since, option="--since", end_of_day=False, zone=zone)
    end = parse_as_of(until, option="--until", zone=zone)
    assert start is not None
    assert end is not None
    try:
        table_mapping = FcaMapping.load(mapping)
    except InvalidValueError as error:
        raise fail(f"--mapping {str(mapping)!r}: {error.rule}", 2) from None
    with open_log(opts) as log:
        table = fca_return(
            complaint_facts(log),
            since=start,
            until=end,
            policy=sla,
            mapping=table_mapping,
            tenant=only,
        )
    for note in table.notes:
        if note.startswith("warning:"):
            opts.say(note)
    if format == "xlsx":
        assert output is not None
        with output.open("wb") as handle:
            to_xlsx(table, handle)
        opts.say(f"wrote {output}")
    elif format == "csv":
        text = to_csv(table)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8", newline="")
    elif output is None:
        print_json(opts, to_json_data(table))
    else:
        output.write_bytes(orjson.dumps(to_json_data(table), option=orjson.OPT_INDENT_2))

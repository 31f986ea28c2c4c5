"""``complaintlog file REF``: one complaint's whole file for a reviewer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from complaintlog.cli._audit import resolve_complaint
from complaintlog.cli._common import fail, open_log, options, parse_as_of, print_json, user_errors
from complaintlog.cli._report import TENANT_POLICY_HELP, policy_named, scope_named
from complaintlog.report.complaint_file import complaint_file
from complaintlog.report.file_render import file_to_html, file_to_pdf, file_to_rich

__all__ = ["file_command"]

_FORMATS = ("text", "json", "html", "pdf")


@user_errors
def file_command(
    ctx: typer.Context,
    complaint: Annotated[str, typer.Argument(help="The complaint's id or external reference.")],
    policy: Annotated[
        str, typer.Option(help="SLA policy of the deadlines and the time zone: fca, cfpb, ...")
    ] = "default",
    as_known_at: Annotated[
        str | None,
        typer.Option(
            "--as-known-at",
            help="Only what had been recorded by then (ISO date/time; a date is the end of "
            "that day in the policy's time zone).",
        ),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="text, json, html or pdf.")
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (pdf needs it).")
    ] = None,
    tenant_policy: Annotated[
        list[str] | None, typer.Option("--tenant-policy", help=TENANT_POLICY_HELP)
    ] = None,
) -> None:
    """A complaint's file for a reviewer: timeline, every deadline, promises, outcome.

    The timeline is in the policy's time zone, with business time beside recording time,
    the actor of each step and backdated entries flagged; every deadline of the policy is
    due, met, late or open (FCA: the summary resolution by the third business day, the
    final response within eight weeks); then promises kept and broken, pauses,
    escalations, each resolution with its redress and upheld outcome, reviewer notes.
    With --tenant-policy, a complaint of that tenant is measured under its policy.

    Example: complaintlog file cfpb:3790251 --policy fca --format pdf -o 3790251.pdf
    """
    opts = options(ctx)
    chosen = "json" if opts.json else format
    if chosen not in _FORMATS:
        raise fail(f"--format {format!r}: use one of {', '.join(_FORMATS)}", 2)
    if chosen == "pdf" and output is None:
        raise fail("--format pdf writes a file: name it with --output FILE.pdf", 2)
    scope = scope_named(policy_named(policy), tenant_policy, None)
    with open_log(opts) as log:
        complaint_id = resolve_complaint(log, complaint)
        measured = scope.policies.of(log.get(complaint_id).tenant)
        known_at = parse_as_of(
            as_known_at, option="--as-known-at", zone=measured.calendar.time_zone
        )
        if known_at is not None and log.history(complaint_id)[0].recorded_at > known_at:
            raise fail(f"complaint {complaint} had not been recorded by {as_known_at}")
        file = complaint_file(
            log,
            complaint_id,
            policy=scope.policies.default,
            known_at=known_at,
            tenant_policies=scope.policies.own,
        )
    if chosen != "text":  # the text shows them at its top
        for warning in file.warnings:
            opts.say(f"warning: {warning}")
    if chosen == "json":
        print_json(opts, file.as_dict())
        return
    if chosen == "text":
        opts.out.print(file_to_rich(file))
        return
    if chosen == "pdf":
        assert output is not None
        output.write_bytes(file_to_pdf(file))
        opts.say(f"wrote {output}")
        return
    page = file_to_html(file)
    if output is None:
        sys.stdout.write(page)
    else:
        output.write_text(page, encoding="utf-8")
        opts.say(f"wrote {output}")

"""``show``, ``export``, ``schema`` and ``audit``: the recorded history, for people and for
machines, and the proof that it was not altered."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.table import Table
from rich.text import Text

from complaintlog.application import ComplaintLog
from complaintlog.application.audit import AuditReport, verify
from complaintlog.application.checkpoints import read_checkpoints
from complaintlog.application.event_schemas import event_schemas
from complaintlog.application.history import known_entries
from complaintlog.cli._checkpoint import (
    checkpoint_command,
    new_key_command,
    public_key_command,
)
from complaintlog.cli._common import (
    Options,
    UserError,
    fail,
    open_log,
    options,
    parse_as_of,
    print_json,
    user_errors,
)
from complaintlog.cli._evidence import (
    NO_KEPT_DIGEST,
    bad_day_sentence,
    first_bad_checkpoint,
    pack_command,
)
from complaintlog.errors import InvalidValueError
from complaintlog.report.terminal import safe_text, visible

__all__ = [
    "audit_app",
    "resolve_complaint",
    "digest_command",
    "event_schemas",
    "schema_command",
    "show_command",
    "verify_command",
]


def resolve_complaint(log: ComplaintLog, key: str) -> UUID:
    """The complaint named by its id or external reference, or a one-line error."""
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
        parts.append(f"{name}: {value}")  # whole: the table folds long values
    return "\n".join(parts)


@user_errors
def show_command(
    ctx: typer.Context,
    complaint: Annotated[str, typer.Argument(help="The complaint's id or external reference.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Only events that happened by then (ISO date/time)."),
    ] = None,
    as_known_at: Annotated[
        str | None,
        typer.Option(
            "--as-known-at",
            help="Only events recorded by then (ISO date/time): what the screens showed.",
        ),
    ] = None,
) -> None:
    """Show a complaint's timeline: business time, recording time, actor and payload.

    Example: complaintlog show cfpb:3790251 --as-of 2020-08-31
    """
    opts = options(ctx)
    moment = parse_as_of(as_of)
    known_at = parse_as_of(as_known_at, option="--as-known-at")
    with open_log(opts) as log:
        complaint_id = resolve_complaint(log, complaint)
        reader = log.reading_as(opts.actor)  # everything without a policy
        entries = known_entries(reader.history(complaint_id), known_at)
        entries = [e for e in entries if moment is None or e.occurred_at <= moment]
        if not entries:
            when = as_of if moment is not None else as_known_at
            raise fail(f"complaint {complaint} had not been received by {when}")
        view = reader.get(complaint_id, as_of=moment, as_known_at=known_at)
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
    title = visible(
        f"{view.external_ref or complaint_id}: {view.status.value}, {len(entries)} events"
    )
    table = Table(title=Text(title), width=min(opts.out.width, 100), show_lines=True)
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
            safe_text(entry.actor or "-"),
            Text.assemble(
                safe_text(entry.event, style="bold"), "\n", safe_text(_payload_text(entry.payload))
            ),
        )
    opts.out.print(table)


@user_errors
def schema_command(ctx: typer.Context) -> None:
    """Print the JSON Schema of every event type (the payloads `export` writes).

    Example: complaintlog schema > events.schema.json
    """
    print_json(options(ctx), event_schemas())


# -- audit: tamper evidence ------------------------------------------------------------------


def _report_json(report: AuditReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "head": report.head,
        "events": report.events,
        "complaints": report.complaints,
        "sealed": report.sealed,
        "checkpoints": report.checkpoints,
        "problems": [
            {
                "position": problem.position,
                "complaint_id": str(problem.complaint_id) if problem.complaint_id else None,
                "version": problem.version,
                "kind": problem.kind,
                "detail": problem.detail,
            }
            for problem in report.problems
        ],
    }


def _show_problems(opts: Options, report: AuditReport) -> None:
    if opts.quiet:
        return
    for problem in report.problems:
        opts.out.print(str(problem), overflow="fold", markup=False)


def _altered(report: AuditReport) -> UserError:
    count = len(report.problems)
    first = report.problems[0]
    return fail(
        f"the stored history was altered: {count} problem{'s' * (count != 1)}, "
        f"the first at position {first.position} ({first.kind})"
    )


@user_errors
def digest_command(ctx: typer.Context) -> None:
    """Print the log's head digest, POSITION:SHA256, after verifying the whole log.

    Keep it where the store's administrators cannot write (a ticket, a signed mail, a
    WORM bucket); `complaintlog audit verify --digest D` later proves that nothing recorded
    up to that position has changed since. A log that does not verify gets no digest.

    Example: complaintlog audit digest > head-2026-03-31.txt
    """
    opts = options(ctx)
    with open_log(opts) as log:
        report = verify(log)
    if not report.ok:
        if opts.json:
            print_json(opts, _report_json(report))
        else:
            _show_problems(opts, report)
        raise _altered(report)
    if opts.json:
        print_json(
            opts, {"head": report.head, "events": report.events, "complaints": report.complaints}
        )
    else:
        sys.stdout.write(report.head + "\n")


@user_errors
def verify_command(
    ctx: typer.Context,
    digest: Annotated[
        str | None,
        typer.Option(
            "--digest",
            help="A head digest kept earlier (POSITION:SHA256): the log up to that position "
            "must be exactly what it was.",
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="A file of signed checkpoints (`audit checkpoint`): the log up to each "
            "must be exactly what it was.",
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="Check the checkpoints' signatures with this key (`audit public-key`) "
            "instead of the audit key.",
        ),
    ] = None,
) -> None:
    """Verify the stored history: each complaint's hash chain, and the log against a kept digest.

    Finds edited, deleted, reordered and inserted events, each named by its position in
    the log. Exit code 0 when nothing was altered, 1 when something was (the problems are
    listed on stdout), 2 for a malformed --digest.

    Example: complaintlog audit verify --digest "$(cat head-2026-03-31.txt)"
    """
    opts = options(ctx)
    try:
        kept = read_checkpoints(against) if against is not None else ()
    except InvalidValueError as error:
        raise fail(f"--against {against}: {error}", 2) from None
    with open_log(opts) as log:
        if kept and public_key is None and log.audit_key is None:
            msg = "--against needs the audit key (COMPLAINTLOG_AUDIT_KEY) or --public-key"
            raise fail(msg, 2)
        try:
            report = verify(log, expected_head=digest, checkpoints=kept, public_key=public_key)
        except InvalidValueError as error:
            raise fail(f"--digest {digest!r}: {error.rule}", 2) from None
        first_bad = first_bad_checkpoint(log, report, kept)
    no_kept = digest is None and not kept
    if opts.json:
        print_json(
            opts,
            {
                **_report_json(report),
                "first_bad_day": first_bad.day if first_bad else None,
                "note": NO_KEPT_DIGEST if no_kept else None,
            },
        )
    elif report.ok:
        if not opts.quiet:
            opts.out.print(
                f"verified {report.events:,} events of {report.complaints:,} complaints: "
                f"nothing altered{' up to the kept digest' if digest else ''}"
                + (f" up to {report.checkpoints} signed checkpoints" if report.checkpoints else ""),
                markup=False,
            )
            if not report.sealed:
                opts.say(
                    "note: no audit key, so only the hash chains were checked: someone who "
                    "can write to the database can forge well-chained events"
                )
            if no_kept:
                opts.say(NO_KEPT_DIGEST)
            opts.out.print(f"head {report.head}", overflow="fold", markup=False)
    else:
        _show_problems(opts, report)
    if not report.ok:
        altered = _altered(report)
        if first_bad is not None:
            altered = fail(f"{altered}; {bad_day_sentence(first_bad, kept)}")
        raise altered


audit_app = typer.Typer(
    name="audit",
    help="Tamper evidence: the log's head digest, and verifying the stored history.\n\n"
    "Example: complaintlog audit digest; complaintlog audit verify --digest D",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
audit_app.command("digest")(digest_command)
audit_app.command("verify")(verify_command)
audit_app.command("checkpoint")(checkpoint_command)
audit_app.command("new-key")(new_key_command)
audit_app.command("public-key")(public_key_command)
audit_app.command("pack")(pack_command)

"""``audit pack`` (evidence to hand over) and how ``audit verify`` names the first bad day."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from complaintlog.application import ComplaintLog
from complaintlog.application.audit import AuditReport, _advance_head, _as_bytes
from complaintlog.application.checkpoints import Checkpoint, read_checkpoints
from complaintlog.cli._common import fail, open_log, options, parse_as_of, print_json, user_errors
from complaintlog.cli._report import policy_named
from complaintlog.errors import InvalidValueError
from complaintlog.evidence import write_pack

__all__ = [
    "JOURNAL_ENV_VAR",
    "NO_KEPT_DIGEST",
    "bad_day_sentence",
    "first_bad_checkpoint",
    "pack_command",
]

JOURNAL_ENV_VAR = "COMPLAINTLOG_DIGEST_JOURNAL"

NO_KEPT_DIGEST = (
    "note: no kept digest or checkpoint was given, so only what the store itself holds was "
    "checked: a consistent rewrite of the whole log would pass. Keep one a day with "
    "`complaintlog audit checkpoint --journal FILE` and verify with --against FILE."
)

_JOURNAL_HELP = (
    "The checkpoints kept by `audit checkpoint` (JSON Lines), checked and put in the pack."
)


def _heads_at(log: ComplaintLog, positions: set[int]) -> dict[int, str]:
    """The log's running head digest at each of these positions, as it stands now."""
    head = b""
    found: dict[int, str] = {}
    for notification in log.notifications(limit=2000, stop=max(positions)):
        head = _advance_head(
            head,
            notification.id,
            str(notification.originator_id),
            notification.originator_version,
            notification.topic,
            _as_bytes(notification.state),
        )
        if notification.id in positions:
            found[notification.id] = head.hex()
    return found


def first_bad_checkpoint(
    log: ComplaintLog, report: AuditReport, kept: Sequence[Checkpoint]
) -> Checkpoint | None:
    """The earliest kept checkpoint whose head no longer holds: the first day the log
    differs from what it was then (``None`` when the log verifies, or every kept head
    still holds and the damage lies after the last one)."""
    if report.ok or not kept:
        return None
    heads = _heads_at(log, {c.position for c in kept})
    for candidate in sorted(kept, key=lambda c: c.position):
        if heads.get(candidate.position) != candidate.head.partition(":")[2].lower():
            return candidate
    return None


def bad_day_sentence(bad: Checkpoint, kept: Sequence[Checkpoint]) -> str:
    holding = sum(1 for c in kept if c.position < bad.position)
    return (
        f"the first day whose digest no longer holds is {bad.day} (its checkpoint covers "
        f"positions up to {bad.position}; {holding} earlier checkpoint"
        f"{'s' * (holding != 1)} still hold)"
    )


@user_errors
def pack_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="The zip file to write.")],
    since: Annotated[
        str | None, typer.Option(help="Complaints with an event from then (ISO date/time).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="... until then (ISO date: the end of that day).")
    ] = None,
    policy: Annotated[
        str, typer.Option(help="SLA policy of the report and of the dates' time zone.")
    ] = "default",
    journal: Annotated[
        Path | None, typer.Option("--journal", envvar=JOURNAL_ENV_VAR, help=_JOURNAL_HELP)
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="Check the checkpoints' signatures with this key instead of the audit key.",
        ),
    ] = None,
) -> None:
    """Write an audit pack: events as stored, report, schemas, checkpoints, verify.py.

    The regulator runs `python -I verify.py` in the unzipped folder: the Python standard
    library alone checks the manifest, every complaint's chain, the log's head digest and
    every kept checkpoint, and a changed byte anywhere fails naming where. With a window,
    the complaints with an event in it go in whole; the other records by digest only.

    Example: complaintlog audit pack --out pack-2026Q1.zip --since 2026-01-01 --until 2026-03-31
    """
    opts = options(ctx)
    sla = policy_named(policy)
    zone = sla.calendar.time_zone
    start = parse_as_of(since, option="--since", end_of_day=False, zone=zone)
    end = parse_as_of(until, option="--until", zone=zone)
    try:
        kept = read_checkpoints(journal) if journal is not None else ()
    except InvalidValueError as error:
        raise fail(f"--journal {journal}: {error}", 2) from None
    with open_log(opts) as log:
        summary = write_pack(
            log, out, policy=sla, since=start, until=end, checkpoints=kept, public_key=public_key
        )
    if opts.json:
        print_json(
            opts,
            {
                "out": str(summary.path),
                "head": summary.head,
                "records": summary.records,
                "complaints": summary.complaints,
                "files": summary.files,
                "manifest_sha256": summary.manifest_sha256,
            },
        )
        return
    opts.say(
        f"wrote {summary.path}: {summary.records:,} records, {summary.complaints:,} complaints "
        f"in whole, head {summary.head}"
    )
    typer.echo(f"manifest SHA-256 {summary.manifest_sha256} (send it separately)")

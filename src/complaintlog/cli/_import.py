"""``complaintlog import``: a CSV file into the store, with a progress bar and exact counts."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from complaintlog.application.authorization import Policy
from complaintlog.cli._common import (
    POLICY_ENV_VAR,
    Options,
    fail,
    load_policy,
    open_log,
    options,
    print_json,
    user_errors,
)
from complaintlog.importing import ImportSummary, import_csv
from complaintlog.importing import Progress as ImportProgress
from complaintlog.importing.simulation import Simulation
from complaintlog.persistence.settings import parse_store_url
from complaintlog.report.terminal import safe_text

__all__ = ["import_command", "progress_bar", "rows_advance", "show_summary"]

_SHOWN_REJECTS = 10
REJECTED = 3
"""Exit code of an import that rejected every row (or, with ``--strict``, any row)."""


def progress_bar(opts: Options, description: str) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=opts.err,
        disable=opts.quiet,
        transient=False,
    )


def run_import(
    opts: Options,
    log_file: Path,
    *,
    store_default: str | None = None,
    mapping: Path | None = None,
    rejects: Path | None = None,
    simulate: int | None = None,
    batch_size: int = 250,
    policy: Policy | None = None,
) -> ImportSummary:
    kwargs = {"default": store_default} if store_default else {}
    store_file = parse_store_url(opts.store_url(**kwargs)).sqlite_path
    new_file = store_file is not None and not store_file.exists()
    try:
        return _import_into_store(
            opts, log_file, kwargs, mapping, rejects, simulate, batch_size, policy
        )
    except BaseException:
        if new_file and store_file is not None:
            _remove_if_empty(store_file)  # a failure before any write leaves nothing behind
        raise


def _remove_if_empty(store_file: Path) -> None:
    """Delete a store file this command created if it holds no event."""
    try:
        with closing(sqlite3.connect(store_file)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if (
                "stored_events" in tables
                and db.execute("SELECT 1 FROM stored_events LIMIT 1").fetchone()
            ):
                return
    except sqlite3.Error:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{store_file}{suffix}").unlink(missing_ok=True)


def _import_into_store(
    opts: Options,
    log_file: Path,
    kwargs: dict[str, str],
    mapping: Path | None,
    rejects: Path | None,
    simulate: int | None,
    batch_size: int,
    policy: Policy | None,
) -> ImportSummary:
    with open_log(opts, must_exist=False, policy=policy, **kwargs) as log:
        enrich = Simulation(simulate, now=log.clock()).enrich if simulate is not None else None
        bar = progress_bar(opts, "import")
        task = bar.add_task(f"importing {log_file.name}", total=None)
        try:
            return import_csv(
                log,
                log_file,
                mapping=mapping,
                rejects=rejects,
                batch_size=batch_size,
                progress=rows_advance(bar, task),
                enrich=enrich,
            )
        finally:
            bar.stop()


def show_summary(opts: Options, summary: ImportSummary) -> None:
    if opts.json:
        print_json(opts, summary.as_dict())
        return
    if opts.quiet:
        return
    table = Table(title=f"Imported {summary.file} ({summary.format})", show_header=False, width=72)
    table.add_column("")
    table.add_column("", justify="right")
    for name, value in (
        ("rows in the file", summary.rows),
        ("imported", summary.imported),
        ("imported with a correction", summary.corrected),
        ("already in the store (duplicate)", summary.duplicate),
        ("rejected", summary.rejected),
        ("complaint events recorded", summary.events),
        ("reference index events recorded", summary.index_events),
        ("all events recorded (as export lists them)", summary.events + summary.index_events),
    ):
        table.add_row(name, f"{value:,}")
    table.add_row("events per second", f"{summary.events_per_second:,.0f}")
    opts.out.print(table)
    for line, text in summary.corrections[:_SHOWN_REJECTS]:
        opts.out.print(f"corrected line {line}: {text}", overflow="fold")
    for rejected in summary.rejects[:_SHOWN_REJECTS]:
        opts.out.print(f"rejected line {rejected.line}: {rejected.reason}", overflow="fold")
    for raw, count in summary.other_channels.most_common(_SHOWN_REJECTS):
        opts.out.print(
            safe_text(f"channel {raw!r} is no known channel: recorded as other ({count:,} rows)"),
            overflow="fold",
        )
    hidden = max(0, len(summary.rejects) - _SHOWN_REJECTS)
    if hidden:
        opts.out.print(f"... and {hidden} more rejected rows (see --rejects FILE)")


def rows_advance(bar: Progress, task: TaskID) -> ImportProgress:
    """A progress callback that shows the bar once the file is known to be readable."""

    def advance(done: int, total: int) -> None:
        if done == 1:
            bar.start()
        if done % 50 == 0 or done == total:
            bar.update(task, completed=done, total=total)

    return advance


@user_errors
def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="The CSV file: a CFPB export, or any CSV with --mapping.")
    ],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="TOML file describing the columns.")
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Write rejected rows here, with line and reason."),
    ] = None,
    simulate: Annotated[
        int | None,
        typer.Option(
            "--simulate",
            metavar="SEED",
            help="Also simulate the steps the file lacks (actor 'simulation').",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=10_000, help="Complaints per transaction.")
    ] = 250,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--authorization",
            envvar=POLICY_ENV_VAR,
            help="Authorisation policy (TOML): the file's actor, e.g. 'import:acme', needs a "
            "role allowing each step; refused rows are rejected.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Any rejected row is a failure (exit code 3).")
    ] = False,
) -> None:
    """Import a CSV file; importing it again adds nothing.

    The CFPB export (18 or 14 columns) is recognised by its header; any other layout needs
    a TOML mapping (see docs/importing.md). Every row is counted once: imported, imported
    with a correction, duplicate or rejected. Exit codes: 0 when rows were recorded or
    already there (rejected rows are listed); 3 when every row was rejected, or with
    --strict when any was (what was valid is still recorded); 1 when the file, the mapping
    or the store cannot be used (nothing is written, and no new store file is left);
    2 for a wrong option.

    Example: complaintlog import complaints.csv --rejects rejects.csv --strict
    """
    opts = options(ctx)
    if not file.exists():
        raise fail(f"{file}: no such file")
    summary = run_import(
        opts,
        file,
        mapping=mapping,
        rejects=rejects,
        simulate=simulate,
        batch_size=batch_size,
        policy=load_policy(policy),
    )
    show_summary(opts, summary)
    if summary.rejected and (strict or summary.rejected == summary.rows):
        why = "every row was rejected" if summary.rejected == summary.rows else "--strict"
        raise fail(f"{summary.rejected:,} of {summary.rows:,} rows rejected ({why})", REJECTED)

"""``project``: keep the views current (``--follow``), catch them up once, show the lag, or
rebuild them; ``--workers``/``--partition`` share the work between processes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from complaintlog.cli._common import fail, open_log, options, print_json, user_errors
from complaintlog.cli._report import TENANT_POLICY_HELP, tenant_policies_named
from complaintlog.cli._signals import stop_on_signals
from complaintlog.errors import InvalidValueError
from complaintlog.projections import Projections
from complaintlog.projections._framework.partitions import Partition
from complaintlog.projections.worker import ProjectionWorker
from complaintlog.projections.worker_processes import follow_in_processes
from complaintlog.report import load_policy

SQLITE_WORKERS_NOTE = (
    "note: on SQLite the workers' commits take turns on the file's one write lock, so they "
    "keep up no faster than one worker; partitions pay on PostgreSQL (docs: performance, "
    "partitions)"
)
"""Said when ``--follow --workers N`` runs on a SQLite file: measured, two partitions there
follow a backlog at 0.9x of one worker (``docs/performance.md``)."""

__all__ = ["project_command"]


@user_errors
def project_command(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep the views current until SIGTERM/SIGINT.")
    ] = False,
    once: Annotated[bool, typer.Option("--once", help="Catch the views up and exit.")] = False,
    status: Annotated[
        bool, typer.Option("--status", help="Print each view's position, the head and the lag.")
    ] = False,
    policy: Annotated[
        str, typer.Option(help="SLA policy of the views: fca, cfpb, psd2, ru, default, or TOML.")
    ] = "default",
    batch_size: Annotated[
        int, typer.Option(help="Events per transaction (a stop waits for one batch).", min=1)
    ] = 5000,
    tenant_policy: Annotated[
        list[str] | None, typer.Option("--tenant-policy", help=TENANT_POLICY_HELP)
    ] = None,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="Drop the views and replay the log (stop the workers)."),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes sharing the work (--follow, --rebuild): N partitions of the "
            "complaints, one each.",
            min=1,
        ),
    ] = 1,
    partition: Annotated[
        str | None,
        typer.Option(
            help="Follow only the K-th of N partitions, K/N (one worker per partition, on "
            "this machine or others)."
        ),
    ] = None,
) -> None:
    """Run the projection worker: views follow the log by themselves.

    Two workers on one store take turns (the second waits for the first's lease). SIGTERM
    or SIGINT finish the batch in progress, save the positions and exit 0.

    Example: complaintlog --store postgresql://crm@db/crm project --follow

    Scale out: --workers N starts N processes, each following one partition of the
    complaints; on several machines run --follow --partition K/N on each (PostgreSQL).
    """
    opts = options(ctx)
    if sum((follow, once, status, rebuild)) != 1:
        raise fail("choose one of --follow, --once, --status or --rebuild", 2)
    if workers > 1 and not (follow or rebuild):
        raise fail("--workers goes with --follow or --rebuild", 2)
    if partition is not None and (workers > 1 or rebuild):
        raise fail("--partition is one worker's share: not with --workers or --rebuild", 2)
    try:
        sla = load_policy(policy)
        share = Partition.parse(partition) if partition is not None else None
    except InvalidValueError as error:
        raise fail(f"--{error.field} {error.value}: {error.rule}", 2) from None
    own = tenant_policies_named(tenant_policy)
    if rebuild:
        with open_log(opts) as log, Projections(log, policy=sla, tenant_policies=own) as views:
            count = views.rebuild(workers=workers)
        opts.say(f"rebuilt: {count:,} events replayed by {workers} process(es)")
        return
    if follow and workers > 1:
        with open_log(opts) as log:
            url = log.settings.url
            Projections(log, policy=sla, tenant_policies=own).close()  # refused here if wrong
            if log.settings.kind == "sqlite":
                opts.say(SQLITE_WORKERS_NOTE)
        with stop_on_signals() as stop:
            opts.say(f"following {log.settings.redacted_url} with {workers} workers")
            restarts = follow_in_processes(
                url, workers, stop, policy=sla, tenant_policies=own, batch_size=batch_size
            )
        opts.say(f"stopped: {workers} workers, {restarts} restarted, positions saved")
        return
    with (
        open_log(opts) as log,
        ProjectionWorker(
            log, policy=sla, tenant_policies=own, batch_size=batch_size, partition=share
        ) as worker,
    ):
        if status:
            rows = worker.status()
            if opts.json:
                print_json(
                    opts,
                    [
                        {"view": r.view, "position": r.position, "head": r.head, "lag": r.lag}
                        for r in rows
                    ],
                )
                return
            table = Table("view", "position", "head", "lag")
            for row in rows:
                table.add_row(row.view, f"{row.position:,}", f"{row.head:,}", f"{row.lag:,}")
            opts.out.print(table)
            return
        with stop_on_signals() as stop:
            if once:
                count = worker.run_once(stop)
                opts.say(f"caught up: {count:,} events processed")
                return
            which = "" if share is None else f" partition {share}"
            opts.say(f"following {log.settings.redacted_url}{which} (SIGTERM or Ctrl-C to stop)")
            count = worker.run(stop)
        opts.say(f"stopped: {count:,} events processed, positions saved")

"""``project``: keep the views current (``--follow``), catch them up once, or show lag."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from complaintlog.cli._common import fail, open_log, options, print_json, user_errors
from complaintlog.cli._report import TENANT_POLICY_HELP, tenant_policies_named
from complaintlog.cli._signals import stop_on_signals
from complaintlog.errors import InvalidValueError
from complaintlog.projections.worker import ProjectionWorker
from complaintlog.report import load_policy

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
) -> None:
    """Run the projection worker: views follow the log by themselves.

    Two workers on one store take turns (the second waits for the first's lease). SIGTERM
    or SIGINT finish the batch in progress, save the positions and exit 0.

    Example: complaintlog --store postgresql://crm@db/crm project --follow
    """
    opts = options(ctx)
    if sum((follow, once, status)) != 1:
        raise fail("choose one of --follow, --once or --status", 2)
    try:
        sla = load_policy(policy)
    except InvalidValueError as error:
        raise fail(f"--policy {policy!r}: {error.rule}", 2) from None
    own = tenant_policies_named(tenant_policy)
    with (
        open_log(opts) as log,
        ProjectionWorker(log, policy=sla, tenant_policies=own, batch_size=batch_size) as worker,
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
            opts.say(f"following {log.settings.redacted_url} (SIGTERM or Ctrl-C to stop)")
            count = worker.run(stop)
        opts.say(f"stopped: {count:,} events processed, positions saved")

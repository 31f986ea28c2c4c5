"""``agenda``: what a handler or a team must do, overdue first, as a table, JSON or iCalendar."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from complaintlog.cli._common import fail, open_log, options, parse_as_of, print_json, user_errors
from complaintlog.cli._report import TENANT_HELP, TENANT_POLICY_HELP, policy_named, scope_named
from complaintlog.projections import AgendaAction
from complaintlog.report.agenda import GROUPS, groups, to_ics
from complaintlog.report.terminal import safe_text

__all__ = ["agenda_command"]

AHEAD = timedelta(days=7)


@user_errors
def agenda_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The agenda as it stood then (ISO date/time; a date is the start of that day "
            "in the policy's time zone). Default: now.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Show what is due by then (a date is the end of that day). Default: 7 days "
            "after --as-of.",
        ),
    ] = None,
    assignee: Annotated[str | None, typer.Option(help="Only this person's complaints.")] = None,
    team: Annotated[str | None, typer.Option(help="Only this team's complaints.")] = None,
    tenant: Annotated[str | None, typer.Option(help=TENANT_HELP)] = None,
    action: Annotated[
        list[str] | None,
        typer.Option(
            "--action",
            help="Only these actions (repeat it): acknowledge, respond, inform, resolve, "
            "send_survey, follow_up.",
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many items.")] = None,
    policy: Annotated[
        str, typer.Option(help="SLA policy: fca, cfpb, psd2, ru, default, or a TOML file.")
    ] = "default",
    ics: Annotated[
        Path | None,
        typer.Option("--ics", help="Also write the items as iCalendar to-dos (VTODO) to FILE."),
    ] = None,
    tenant_policy: Annotated[
        list[str] | None, typer.Option("--tenant-policy", help=TENANT_POLICY_HELP)
    ] = None,
) -> None:
    """What is due: acknowledgements, responses, promised call-backs, resolutions, surveys
    and follow-ups, grouped overdue / due today / later.

    Example: complaintlog agenda --assignee ana --ics ana.ics
    """
    opts = options(ctx)
    scope = scope_named(policy_named(policy), tenant_policy, tenant)
    zone = scope.policy.calendar.time_zone
    if action is not None:
        known = [a.value for a in AgendaAction]
        for name in action:
            if name not in known:
                raise fail(f"--action {name!r}: use one of {', '.join(known)}", 2)
    with open_log(opts) as log:
        moment = parse_as_of(as_of, end_of_day=False, zone=zone) or log.clock()
        horizon = parse_as_of(until, option="--until", zone=zone) or moment + AHEAD
        if horizon < moment:
            raise fail("--until is before --as-of", 2)
        with scope.projections(log) as views:
            views.catch_up()
            items = views.agenda.due(
                as_of=moment,
                until=horizon,
                assignee=assignee,
                team=team,
                tenant=tenant,
                actions=action,
                limit=limit,
            )
    if ics is not None:
        ics.write_bytes(to_ics(items, moment))
        opts.say(f"wrote {len(items)} to-dos to {ics}")
    if opts.json:
        print_json(
            opts,
            {
                "as_of": moment.isoformat(),
                "until": horizon.isoformat(),
                "items": [item.to_json() for item in items],
            },
        )
        return
    if opts.quiet:
        return
    grouped = groups(items, moment, zone)
    local = moment.astimezone(zone)
    opts.out.print(f"Agenda as of {local:%Y-%m-%d %H:%M %Z}: {len(items)} items")
    for name in GROUPS:
        if not grouped[name]:
            opts.out.print(f"{name}: none")
            continue
        table = Table(title=f"{name} ({len(grouped[name])})", title_justify="left", width=100)
        for column in ("due", "action", "complaint", "assignee", "team", "from"):
            table.add_column(column)
        for item in grouped[name]:
            table.add_row(
                f"{item.due.astimezone(zone):%a %Y-%m-%d %H:%M}",
                item.action.value,
                safe_text(item.external_ref or str(item.complaint_id)),
                safe_text(item.assignee or "-"),
                safe_text(item.team or "-"),
                item.target if item.source == "target" else "promise",
            )
        opts.out.print(table)

"""``report`` and ``what-if``: the state of complaint handling, and a policy comparison."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from complaintlog.cli._common import (
    Options,
    fail,
    open_log,
    options,
    parse_as_of,
    print_json,
    user_errors,
)
from complaintlog.domain.holiday_coverage import coverage_warning
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.domain.values import DEFAULT_TENANT
from complaintlog.errors import InvalidValueError
from complaintlog.projections._tenants import TenantPolicies, checked_tenant
from complaintlog.report import (
    GROUPINGS,
    PERIODS,
    ReportData,
    as_dict,
    load_policy,
    render_html,
    report_data,
    report_policy,
    to_csv,
    to_markdown,
    to_rich,
    what_if,
)
from complaintlog.report.scope import TenantScope
from complaintlog.report.terminal import safe_text

__all__ = [
    "TENANT_HELP",
    "TENANT_POLICY_HELP",
    "policy_named",
    "report_command",
    "scope_named",
    "tenant_named",
    "tenant_policies_named",
    "what_if_command",
    "write_report",
]

_FORMATS = ("table", "json", "csv", "markdown")


def policy_named(spec: str) -> SlaPolicy:
    """A preset's name or a TOML file, or a usage error naming the option."""
    try:
        return load_policy(spec)
    except InvalidValueError as error:
        raise fail(f"--policy {spec!r}: {error.rule}", 2) from None


TENANT_POLICY_HELP = (
    "A tenant's own SLA policy, TENANT=POLICY (a preset or a TOML file; repeatable): "
    "the views measure that tenant's complaints under it, the others under --policy."
)
TENANT_HELP = "Only this tenant's complaints, under its --tenant-policy (or --policy)."


def tenant_named(tenant: str | None) -> str | None:
    """A ``--tenant`` option's value, or a usage error naming the rule it breaks."""
    if tenant is None:
        return None
    try:
        return checked_tenant(tenant)
    except InvalidValueError as error:
        raise fail(f"--tenant {tenant!r}: {error.rule}", 2) from None


def tenant_policies_named(specs: list[str] | None) -> dict[str, SlaPolicy]:
    """``TENANT=POLICY`` options as a mapping, or a usage error naming the option."""
    found: dict[str, SlaPolicy] = {}
    for spec in specs or ():
        tenant, sign, policy = spec.partition("=")
        if not sign or not tenant or not policy:
            raise fail(f"--tenant-policy {spec!r}: write TENANT=POLICY, e.g. brand-a=fca", 2)
        try:
            checked_tenant(tenant)
            if tenant == DEFAULT_TENANT:
                rule = "the default tenant's policy is --policy"
                raise InvalidValueError("tenant", tenant, rule)
            found[tenant] = load_policy(policy)
        except InvalidValueError as error:
            raise fail(f"--tenant-policy {spec!r}: {error.rule}", 2) from None
    return found


def scope_named(
    policy: SlaPolicy, tenant_policy: list[str] | None, tenant: str | None
) -> TenantScope:
    """The ``--policy``, ``--tenant-policy`` and ``--tenant`` options of an output, checked:
    whose complaints it covers and under which policy each is measured."""
    return TenantScope(
        TenantPolicies(policy, tenant_policies_named(tenant_policy)), tenant_named(tenant)
    )


def write_report(opts: Options, data: ReportData, format: str, html: Path | None) -> None:
    if html is not None:
        html.write_text(render_html(data), encoding="utf-8")
        opts.say(f"wrote {html}")
    if opts.json or format == "json":
        print_json(opts, as_dict(data))
    elif format == "csv":
        sys.stdout.write(to_csv(data))
    elif format == "markdown":
        sys.stdout.write(to_markdown(data))
    elif not opts.quiet:
        opts.out.print(to_rich(data))


@user_errors
def report_command(
    ctx: typer.Context,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv or markdown.")
    ] = "table",
    period: Annotated[
        str, typer.Option(help="Periods of the trends: day, week, month, quarter or year.")
    ] = "month",
    by: Annotated[
        str,
        typer.Option(
            help="Group by dimension, cause or product (the three parts of a category), "
            "category (all three), channel, severity or team."
        ),
    ] = "product",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The report as it stood then (ISO date/time; a date is the end of that day "
            "in the policy's time zone).",
        ),
    ] = None,
    as_known_at: Annotated[
        str | None,
        typer.Option(
            "--as-known-at",
            help="Only what had been recorded by then: the report the screens showed.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="First period of the trends (ISO date; default: the first complaint's, "
            "or 13 weeks back for --period day). Totals always cover all time."
        ),
    ] = None,
    policy: Annotated[
        str, typer.Option(help="SLA policy: fca, cfpb, psd2, ru, default, or a TOML file.")
    ] = "default",
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write one self-contained HTML page with charts."),
    ] = None,
    time_zone: Annotated[
        str | None,
        typer.Option(
            "--time-zone",
            help="Count days and business hours in this IANA zone (default: the policy's; "
            "for the neutral default policy, the zone the store's data was imported in).",
        ),
    ] = None,
    tenant: Annotated[str | None, typer.Option(help=TENANT_HELP)] = None,
    tenant_policy: Annotated[
        list[str] | None, typer.Option("--tenant-policy", help=TENANT_POLICY_HELP)
    ] = None,
) -> None:
    """Report the three projections: current state, SLA clocks, statistics.

    Complaints per status; SLA compliance per metric with the breach, at-risk and
    broken-promise lists (informational targets, such as the FCA's summary resolution, are
    shown apart: missing them is no breach); volumes, time to resolve, compliance,
    reopenings and repeat complaints per period; figures per group; the remedy mix.
    With --tenant-policy each complaint is measured under its tenant's policy; --tenant
    reports one tenant's complaints under its own.

    Example: complaintlog report --policy fca --period quarter --by channel --html report.html
    """
    opts = options(ctx)
    if format not in _FORMATS:
        raise fail(f"--format {format!r}: use one of {', '.join(_FORMATS)}", 2)
    if period not in PERIODS:
        raise fail(f"--period {period!r}: use one of {', '.join(PERIODS)}", 2)
    if by not in GROUPINGS:
        raise fail(f"--by {by!r}: use one of {', '.join(GROUPINGS)}", 2)
    # bad options are usage errors before the store is opened
    scope = scope_named(policy_named(policy), tenant_policy, tenant)
    with open_log(opts) as log:
        try:
            sla = report_policy(log, policy, time_zone)
            own = {
                name: own.in_time_zone(time_zone) if time_zone else own
                for name, own in scope.policies.own.items()
            }
        except InvalidValueError as error:
            raise fail(f"--time-zone {time_zone!r}: {error.rule}", 2) from None
        scope = TenantScope(TenantPolicies(sla, own), scope.tenant)
        zone = scope.policy.calendar.time_zone
        moment = parse_as_of(as_of, zone=zone)
        known_at = parse_as_of(as_known_at, option="--as-known-at", zone=zone)
        start = parse_as_of(since, option="--since", end_of_day=False, zone=zone)
        data = report_data(
            log,
            policy=sla,
            as_of=moment,
            period=period,
            by=by,
            since=start,
            known_at=known_at,
            tenant_policies=scope.policies.own,
            tenant=scope.tenant,
        )
    warning = coverage_warning(scope.policy.calendar, data.since, data.as_of)
    if warning:
        opts.say(f"warning: {warning}")
    write_report(opts, data, format, html)


@user_errors
def what_if_command(
    ctx: typer.Context,
    policy: Annotated[str, typer.Option(help="The policy to try (preset or TOML file).")],
    against: Annotated[str, typer.Option(help="The policy to compare with.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Compare as of then.")] = None,
    tenant: Annotated[
        str | None, typer.Option(help="Only this tenant's complaints (both sides).")
    ] = None,
) -> None:
    """Compare the breach lists of the same history under two SLA policies.

    Nothing stored changes: the history is replayed under each policy into throwaway
    views. Counts complaints with an ongoing breach (informational targets are no breach).

    Example: complaintlog what-if --policy fca --against cfpb
    """
    opts = options(ctx)
    first, second = policy_named(policy), policy_named(against)
    only = tenant_named(tenant)
    moment = parse_as_of(as_of)
    with open_log(opts) as log:
        result = what_if(log, policy=first, against=second, as_of=moment, tenant=only)
    if opts.json:
        print_json(
            opts,
            {
                "as_of": result.as_of.isoformat(),
                "tenant": result.tenant,
                "policy": result.policy,
                "against": result.against,
                "breaching_under_policy": len({r.complaint for r in result.breaches}),
                "breaching_under_against": len({r.complaint for r in result.against_breaches}),
                "only_under_policy": result.only_policy,
                "only_under_against": result.only_against,
                "under_both": result.both,
            },
        )
        return
    whose = f" of tenant {result.tenant}" if result.tenant is not None else ""
    table = Table(
        title=safe_text(f"Breaching complaints{whose} as of {result.as_of:%Y-%m-%d %H:%M}"),
        width=72,
    )
    table.add_column("")
    table.add_column(result.policy, justify="right")
    table.add_column(result.against, justify="right")
    table.add_row(
        "breaching",
        str(len({r.complaint for r in result.breaches})),
        str(len({r.complaint for r in result.against_breaches})),
    )
    table.add_row(
        "only under this policy", str(len(result.only_policy)), str(len(result.only_against))
    )
    table.add_row("under both", str(len(result.both)), str(len(result.both)))
    opts.out.print(table)
    for caption, refs in (
        (f"only under {result.policy}", result.only_policy),
        (f"only under {result.against}", result.only_against),
    ):
        shown = ", ".join(refs[:12]) + (f", ... ({len(refs)} in all)" if len(refs) > 12 else "")
        opts.out.print(safe_text(f"{caption}: {shown or 'none'}"), overflow="fold")

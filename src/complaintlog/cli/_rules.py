"""``complaintlog rules check MODULE:NAME``: a store's recorded history against your rules."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from complaintlog.application.rule_check import check_store
from complaintlog.cli._common import fail, open_log, options, print_json, user_errors
from complaintlog.domain.rules import ProcessRule
from complaintlog.report.terminal import safe_text

__all__ = ["rules_app"]

rules_app = typer.Typer(
    name="rules",
    help="Your own process rules against the recorded history.\n\n"
    "Example: complaintlog rules check house_rules:HOUSE_RULES",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def load_rules(spec: str) -> list[ProcessRule]:
    """The rule, or the rules, at ``MODULE:NAME`` (the current folder is importable)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise fail(f"{spec!r}: name the rules as MODULE:NAME, e.g. house_rules:HOUSE_RULES", 2)
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise fail(f"{spec!r}: cannot import {module_name!r}: {error}", 2) from None
    value: Any = getattr(module, attribute, None)
    if value is None:
        raise fail(f"{spec!r}: module {module_name!r} has no {attribute!r}", 2)
    rules = [value] if isinstance(value, ProcessRule) else value
    try:
        chosen = list(rules)
    except TypeError:
        chosen = []
    if not chosen or not all(isinstance(rule, ProcessRule) for rule in chosen):
        raise fail(f"{spec!r} is not a rule or a list of rules (each needs a name)", 2)
    return chosen


@rules_app.command("check")
@user_errors
def check_command(
    ctx: typer.Context,
    rules: Annotated[str, typer.Argument(help="The rules as MODULE:NAME (a rule or a list).")],
) -> None:
    """Replay every complaint and list every step a rule would have refused.

    Exit code 1 when there is a breach. Example: complaintlog rules check house_rules:HOUSE_RULES
    """
    opts = options(ctx)
    chosen = load_rules(rules)
    with open_log(opts) as log:
        breaches = check_store(log, chosen)
    if opts.json:
        print_json(
            opts,
            [
                {
                    "complaint_id": str(b.complaint_id),
                    "version": b.version,
                    "event": b.event,
                    "occurred_at": b.occurred_at.isoformat(),
                    "rule": b.rule,
                    "group": b.group,
                    "reason": b.reason,
                }
                for b in breaches
            ],
        )
    elif breaches:
        table = Table(title=Text(f"{len(breaches)} breach(es)"), width=min(opts.out.width, 100))
        table.add_column("complaint", overflow="fold", width=12)
        table.add_column("step", overflow="fold", width=18)
        table.add_column("happened (UTC)", width=16)
        table.add_column("rule and reason", overflow="fold")
        for b in breaches:
            table.add_row(
                str(b.complaint_id),
                f"v{b.version} {b.event}",
                f"{b.occurred_at:%Y-%m-%d %H:%M}",
                Text.assemble(safe_text(b.rule, style="bold"), "\n", safe_text(b.reason)),
            )
        opts.out.print(table)
    else:
        opts.say(f"no breach of {len(chosen)} rule(s)")
    if breaches:
        raise typer.Exit(1)

"""The ``complaintlog`` command: one entry point, a sub-command per job.

Global options come before the sub-command: ``complaintlog --store URL --json report``.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer

from complaintlog.cli._agenda import agenda_command
from complaintlog.cli._audit import audit_app, schema_command, show_command
from complaintlog.cli._common import Options
from complaintlog.cli._demo import demo_command
from complaintlog.cli._export import export_command
from complaintlog.cli._file import file_command
from complaintlog.cli._import import import_command
from complaintlog.cli._keys import keys_app
from complaintlog.cli._migrate import migrate_command
from complaintlog.cli._project import project_command
from complaintlog.cli._relay import relay_command
from complaintlog.cli._report import report_command, what_if_command
from complaintlog.cli._returns import regulatory_return_command
from complaintlog.cli._review import erase_command, review_app
from complaintlog.cli._rules import rules_app
from complaintlog.cli._serve import serve_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="complaintlog",
    help=(
        "Every step of a customer complaint, recorded as an immutable event.\n\n"
        "Start with `complaintlog demo`, then open report.html."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"complaintlog {metadata.version('complaintlog')}")
        raise typer.Exit


@app.callback()
def _options(
    ctx: typer.Context,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar="COMPLAINTLOG_STORE",
            help="Store URL: sqlite:///file.db (default sqlite:///complaints.db), "
            "postgresql://user@host/db, memory://.",
            show_envvar=True,
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars, notes or tables.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="COMPLAINTLOG_ACTOR",
            help="Read as this actor: only complaints the policy lets them read, personal "
            "data masked unless they may see it (show, export).",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--authorization",
            envvar="COMPLAINTLOG_AUTHORIZATION",
            help="The authorisation policy (TOML) for --as.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Every step of a customer complaint, recorded as an immutable event.

    Example: complaintlog demo && complaintlog --store sqlite:///complaintlog-demo.db report
    """
    ctx.obj = Options(store=store, quiet=quiet, json=json, actor=actor, policy=policy)


app.command("demo")(demo_command)
app.command("import")(import_command)
app.command("show")(show_command)
app.command("file")(file_command)
app.command("export")(export_command)
app.command("schema")(schema_command)
app.command("migrate")(migrate_command)
app.command("report")(report_command)
app.command("agenda")(agenda_command)
app.command("what-if")(what_if_command)
app.command("regulatory-return")(regulatory_return_command)
app.command("serve")(serve_command)
app.command("project")(project_command)
app.command("relay")(relay_command)
app.add_typer(audit_app, name="audit")
app.command("erase")(erase_command)
app.add_typer(review_app, name="review")
app.add_typer(keys_app, name="keys")
app.add_typer(rules_app, name="rules")


def main() -> None:
    app()

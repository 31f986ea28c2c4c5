"""``complaintlog keys``: managing the personal-data keys' key-encryption key."""

from __future__ import annotations

import base64
import os
import sys

import typer

from complaintlog.cli._common import open_log, options, print_json, user_errors
from complaintlog.persistence.key_wrapping import KEK_ENV, KEK_PREVIOUS_ENV

__all__ = ["keys_app"]


@user_errors
def rotate_command(ctx: typer.Context) -> None:
    """Re-wrap every personal-data key under the current key-encryption key.

    Put the new KEK in COMPLAINTLOG_KEK and the old one in COMPLAINTLOG_KEK_PREVIOUS; keys
    stored before any KEK are wrapped too. No event changes, so the audit chains, seals
    and checkpoints still hold.

    Example: COMPLAINTLOG_KEK=$NEW COMPLAINTLOG_KEK_PREVIOUS=$OLD complaintlog keys rotate
    """
    opts = options(ctx)
    with open_log(opts) as log:
        count = log.rotate_keys()
    if opts.json:
        print_json(opts, {"rewrapped": count})
    else:
        opts.say(f"re-wrapped {count:,} personal-data keys; {KEK_PREVIOUS_ENV} may now go")


@user_errors
def new_kek_command(ctx: typer.Context) -> None:
    """Print a new random key-encryption key (base64) for COMPLAINTLOG_KEK.

    Example: complaintlog keys new-kek > /etc/complaintlog/kek && chmod 600 ...
    """
    sys.stdout.write(base64.b64encode(os.urandom(32)).decode("ascii") + "\n")
    options(ctx).say(f"keep it outside the database; set {KEK_ENV} or COMPLAINTLOG_KEK_FILE")


keys_app = typer.Typer(
    name="keys",
    help="The personal-data keys: their key-encryption key and its rotation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
keys_app.command("rotate")(rotate_command)
keys_app.command("new-kek")(new_kek_command)

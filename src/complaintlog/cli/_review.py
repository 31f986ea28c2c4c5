"""``erase`` and ``review``: the records a file review leaves, under the authorisation policy.

Erasure is irreversible, so the command refuses to run without an authorisation policy
(``--authorization FILE`` or ``$COMPLAINTLOG_AUTHORIZATION``) and an actor it names; the
policy decides who may ``erase_personal_data``. Review notes and sign-offs are checked
against the policy when one is given (``note_review``, ``sign_off``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from complaintlog.application.authorization import Policy
from complaintlog.cli._audit import resolve_complaint
from complaintlog.cli._common import fail, open_log, options, print_json, user_errors
from complaintlog.errors import InvalidValueError

__all__ = ["erase_command", "review_app"]

POLICY_ENV_VAR = "COMPLAINTLOG_AUTHORIZATION"

_Authorization = Annotated[
    Path | None,
    typer.Option(
        "--authorization",
        envvar=POLICY_ENV_VAR,
        help="The authorisation policy (TOML): who may do this.",
        show_envvar=True,
    ),
]
_Actor = Annotated[str, typer.Option("--actor", help="Who does it (an actor of the policy).")]


def _policy(path: Path | None, *, required: bool) -> Policy | None:
    if path is None:
        if required:
            msg = (
                "erasure needs an authorisation policy that allows it: --authorization FILE "
                f"or ${POLICY_ENV_VAR}"
            )
            raise fail(msg, 2)
        return None
    try:
        return Policy.from_toml(path)
    except InvalidValueError as error:
        raise fail(f"--authorization {path}: {error.rule}", 2) from None


@user_errors
def erase_command(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="The customer's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (a request number, a law).")],
    actor: _Actor,
    authorization: _Authorization = None,
) -> None:
    """Erase a customer's personal data: destroy their keys, record it on each complaint.

    Irreversible: the sealed fields of all their complaints can never be opened again; each
    complaint gets a PersonalDataErased event (no handling step) and the history still
    verifies. Refused without an authorisation policy that lets the actor erase.

    Example: complaintlog erase C-1042 --reason "GDPR art. 17, request 114" --actor manager.omar
    """
    opts = options(ctx)
    policy = _policy(authorization or opts.policy, required=True)
    with open_log(opts, policy=policy) as log:
        erasure = log.erase_personal_data(customer, reason=reason, actor=actor)
    if opts.json:
        print_json(
            opts,
            {
                "customer_id": erasure.customer_id,
                "keys_destroyed": erasure.keys_destroyed,
                "complaints": [str(c) for c in erasure.complaints],
                "recorded": [str(c) for c in erasure.recorded],
                "stored_in_plain": [str(c) for c in erasure.stored_in_plain],
            },
        )
        return
    opts.say(
        f"erased {customer}: {erasure.keys_destroyed} key(s) destroyed, "
        f"{len(erasure.recorded)} of {len(erasure.complaints)} complaint(s) got the record"
    )


@user_errors
def note_command(
    ctx: typer.Context,
    complaint: Annotated[str, typer.Argument(help="The complaint's id or external reference.")],
    note: Annotated[str, typer.Option("--note", help="What the reviewer found.")],
    actor: _Actor,
    authorization: _Authorization = None,
) -> None:
    """Record a reviewer's note on a complaint's file (an event, no handling step).

    Example: complaintlog review note cfpb:3790251 --note "delay letter missing" --actor audit.kim
    """
    opts = options(ctx)
    with open_log(opts, policy=_policy(authorization or opts.policy, required=False)) as log:
        log.note_review(resolve_complaint(log, complaint), note=note, actor=actor)
    opts.say(f"noted on {complaint}")


@user_errors
def sign_off_command(
    ctx: typer.Context,
    complaint: Annotated[str, typer.Argument(help="The complaint's id or external reference.")],
    actor: _Actor,
    note: Annotated[str | None, typer.Option("--note", help="A closing remark.")] = None,
    authorization: _Authorization = None,
) -> None:
    """Record that a reviewer signed a complaint's file off (an event, no handling step).

    Example: complaintlog review sign-off cfpb:3790251 --actor audit.kim
    """
    opts = options(ctx)
    with open_log(opts, policy=_policy(authorization or opts.policy, required=False)) as log:
        log.sign_off(resolve_complaint(log, complaint), note=note, actor=actor)
    opts.say(f"signed off {complaint}")


review_app = typer.Typer(
    name="review",
    help="A file review's records on a complaint: notes and the sign-off.\n\n"
    "Example: complaintlog review note REF --note TEXT --actor NAME",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
review_app.command("note")(note_command)
review_app.command("sign-off")(sign_off_command)

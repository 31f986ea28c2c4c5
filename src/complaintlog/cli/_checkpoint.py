"""``audit checkpoint``, ``audit new-key`` and ``audit public-key``: evidence that depends
on a secret the database does not hold (see docs/security.md)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from complaintlog.application.audit import checkpoint, verify
from complaintlog.application.checkpoints import (
    BLOCK,
    Checkpoint,
    read_checkpoints,
    write_checkpoint,
)
from complaintlog.cli._common import fail, open_log, options, print_json, user_errors
from complaintlog.cli._evidence import bad_day_sentence, first_bad_checkpoint
from complaintlog.persistence.seal import KEY_ENV, KEY_FILE_ENV, new_audit_key
from complaintlog.relay import publisher_for
from complaintlog.relay.envelope import Message
from complaintlog.relay.errors import BrokerUnavailableError
from complaintlog.relay.relay import Publisher

__all__ = ["checkpoint_command", "new_key_command", "public_key_command"]

_PUBLISH_PATIENCE = 10.0
"""Seconds a checkpoint waits for the broker to take it before giving up."""


@user_errors
def checkpoint_command(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option(
            "--journal",
            "-o",
            envvar="COMPLAINTLOG_DIGEST_JOURNAL",
            help="Append the signed checkpoint to this file (one JSON line each); keep it "
            "where the database's administrators cannot write.",
        ),
    ],
    block: Annotated[
        int, typer.Option("--block", min=1, help="Positions between block heads.")
    ] = BLOCK,
    adopt_unsealed: Annotated[
        bool,
        typer.Option(
            "--adopt-unsealed",
            help="Vouch for records written before the audit key was configured (once, "
            "when introducing the key).",
        ),
    ] = False,
    publish: Annotated[
        str | None,
        typer.Option(
            "--publish",
            help="Also publish the signed checkpoint to a broker the database's "
            "administrators cannot rewrite: nats://host:4222 (with --stream) or "
            "amqp://user:password@host:5672/vhost (with --exchange).",
        ),
    ] = None,
    stream: Annotated[
        str | None, typer.Option("--stream", help="JetStream stream, for nats://.")
    ] = None,
    subject_prefix: Annotated[
        str,
        typer.Option(
            "--subject-prefix", help="Subject prefix: the checkpoint goes to P.Checkpoint."
        ),
    ] = "complaintlog",
    exchange: Annotated[
        str | None, typer.Option("--exchange", help="Topic exchange, for amqp://.")
    ] = None,
) -> None:
    """Verify the whole log, then append its head, signed with the audit key, to a file.

    Needs COMPLAINTLOG_AUDIT_KEY or COMPLAINTLOG_AUDIT_KEY_FILE. A log that does not
    verify is not signed, and neither is one that no longer matches a checkpoint already
    in the file (the first day that no longer holds is named): run it daily and the file is
    a digest journal. `complaintlog audit verify --against FILE` later proves that nothing
    up to each checkpoint was deleted, inserted, moved or edited.

    Example: complaintlog audit checkpoint --journal /mnt/worm/checkpoints.jsonl
    """
    opts = options(ctx)
    with open_log(opts) as log:
        if log.audit_key is None:
            raise fail(f"no audit key: set {KEY_ENV} or {KEY_FILE_ENV} (see `audit new-key`)")
        earlier = read_checkpoints(output) if output.exists() and output.read_text().strip() else ()
        if earlier:
            bad = first_bad_checkpoint(log, verify(log, checkpoints=earlier), earlier)
            if bad is not None:
                raise fail(f"nothing appended: {bad_day_sentence(bad, earlier)}")
        signed = checkpoint(log, block=block, adopt_unsealed=adopt_unsealed)
    write_checkpoint(signed, output)
    if publish is not None:
        publisher = publisher_for(
            publish, stream=stream, subject_prefix=subject_prefix, exchange=exchange
        )
        asyncio.run(_publish(publisher, signed))
        opts.say(f"checkpoint at {signed.head} published to {publisher.destination}")
    if opts.json:
        sys.stdout.write(signed.to_json() + "\n")
    opts.say(f"checkpoint at {signed.head} ({signed.events:,} records) appended to {output}")


async def _publish(publisher: Publisher, signed: Checkpoint) -> None:
    """One message: the checkpoint's JSON line, its id stable per head (a re-send is the
    same message), subject or routing key ``<prefix>.Checkpoint``."""
    message = Message(
        id=f"checkpoint-{signed.head}",
        position=int(signed.head.partition(":")[0]),
        event_type="Checkpoint",
        complaint_id="",
        body=signed.to_json().encode(),
        content_type="application/json",
    )
    try:
        async with asyncio.timeout(_PUBLISH_PATIENCE):
            await publisher.connect()
            try:
                await publisher.publish(message)
            finally:
                await publisher.close()
    except TimeoutError as error:  # a broker that never answers must not hang a cron job
        raise BrokerUnavailableError(publisher.destination, "publish", error) from error


@user_errors
def new_key_command(ctx: typer.Context) -> None:
    """Print a new random audit key (base64): put it in a file only the writers can read.

    Example: complaintlog audit new-key > /etc/complaintlog/audit.key && chmod 600 ...
    """
    opts = options(ctx)
    sys.stdout.write(new_audit_key() + "\n")
    opts.say(f"set {KEY_FILE_ENV} to the file holding it, or {KEY_ENV} to the key itself")


@user_errors
def public_key_command(ctx: typer.Context) -> None:
    """Print the audit key's public half, which checks checkpoints without the secret.

    Example: complaintlog audit verify --against cps.jsonl --public-key "$(cat audit.pub)"
    """
    opts = options(ctx)
    with open_log(opts, must_exist=False, default="memory://") as log:
        if log.audit_key is None:
            raise fail(f"no audit key: set {KEY_ENV} or {KEY_FILE_ENV}")
        public = log.audit_key.public_key()
        key_id = log.audit_key.key_id
    if opts.json:
        print_json(opts, {"key_id": key_id, "public_key": public})
    else:
        sys.stdout.write(public + "\n")

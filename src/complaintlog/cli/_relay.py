"""``relay``: publish every complaint event to NATS JetStream or RabbitMQ."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from complaintlog.cli._common import fail, open_log, options, print_json, user_errors
from complaintlog.cli._signals import stop_on_signals

__all__ = ["relay_command"]


@user_errors
def relay_command(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            envvar="COMPLAINTLOG_RELAY_TO",
            help="nats://host:4222 or amqp://user:password@host:5672/vhost.",
        ),
    ] = None,
    stream: Annotated[
        str | None, typer.Option(help="NATS: the JetStream stream (created if missing).")
    ] = None,
    subject_prefix: Annotated[
        str, typer.Option(help="NATS: subjects are PREFIX.<EventType>.")
    ] = "complaintlog",
    exchange: Annotated[
        str | None, typer.Option(help="RabbitMQ: the topic exchange (declared if missing).")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="The relay's name, which keeps its position (default: from --to)."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="The CloudEvents source (default: complaintlog:<store>).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Deliver everything recorded so far and exit.")
    ] = False,
    status: Annotated[
        bool, typer.Option("--status", help="Print the relay's position, the head and the lag.")
    ] = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of the messages and exit.")
    ] = False,
    page_size: Annotated[int, typer.Option(help="Events per saved position.", min=1)] = 500,
    max_backoff: Annotated[
        float, typer.Option(help="Longest pause between attempts at a broker that is down (s).")
    ] = 10.0,
) -> None:
    """Publish every complaint event, in recording order, as a CloudEvent to a broker.

    At least once, with stable ids: the position is saved in the store after the broker
    confirmed; a broker that is down is retried with backoff. SIGTERM/SIGINT finish the
    page in progress and exit 0.

    Example: complaintlog relay --to nats://127.0.0.1:4222 --stream COMPLAINTS
    """
    from complaintlog.relay import Backoff, Relay, message_schema, publisher_for

    opts = options(ctx)  # the relay's drivers load only when it runs (the relay extra)
    if schema:
        print_json(opts, message_schema())
        return
    if to is None:
        raise fail("--to URL is required: nats://host:4222 or amqp://user:pass@host/vhost", 2)
    publisher = publisher_for(to, stream=stream, subject_prefix=subject_prefix, exchange=exchange)
    logging.basicConfig(
        level=logging.ERROR if opts.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    with (
        open_log(opts) as log,
        Relay(
            log,
            publisher,
            name=name,
            source=source,
            page_size=page_size,
            backoff=Backoff(cap=max_backoff),
        ) as relay,
    ):
        if status:
            row = relay.status()
            if opts.json:
                print_json(
                    opts,
                    {"relay": row.name, "position": row.position, "head": row.head, "lag": row.lag},
                )
            else:
                opts.out.print(
                    f"relay {row.name}: position {row.position:,}, head {row.head:,}, "
                    f"lag {row.lag:,}",
                    markup=False,
                )
            return
        with stop_on_signals() as stop:
            if not once:
                opts.say(f"relaying to {publisher.destination} as {relay.name} (SIGTERM to stop)")
            count = relay.run(once=once, stop=stop)
        opts.say(f"published {count:,} messages; position {relay.status().position:,}")

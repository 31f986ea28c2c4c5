"""``complaintlog migrate``: create the store's schema and tables at deploy time."""

from __future__ import annotations

import typer

from complaintlog.cli._common import options, print_json, user_errors
from complaintlog.projections import migrate

__all__ = ["migrate_command"]


@user_errors
def migrate_command(ctx: typer.Context) -> None:
    """Create the schema, event, key and view tables the store needs; safe to run again.

    Example: complaintlog --store 'postgresql://app@db/crm?schema=complaints' migrate
    """
    opts = options(ctx)
    migration = migrate(opts.store_url())
    if opts.json:
        print_json(
            opts,
            {
                "store": migration.store,
                "created": list(migration.created),
                "existing": list(migration.existing),
            },
        )
        return
    typer.echo(migration.summary())

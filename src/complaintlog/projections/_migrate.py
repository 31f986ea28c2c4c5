"""``migrate``: create everything a store needs at deploy time, and say what was created.

The schema (PostgreSQL ``?schema=``), the event table, the personal-data key table and the
views' tables and tracking table. Everything is ``IF NOT EXISTS``: running it again
creates nothing and says so. A web process can then open the log and its views with a role
that may not create tables, and views answer (empty) before their first catch-up.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.persistence.settings import (
    StoreSettings,
    one_creator_at_a_time,
    parse_store_url,
    postgres_connect_args,
)
from complaintlog.projections._facade import Projections

__all__ = ["Migration", "migrate"]


@attrs.frozen
class Migration:
    """What ``migrate`` found and did."""

    store: str
    created: tuple[str, ...]
    """``schema NAME`` and ``table NAME`` entries this run created, in order."""
    existing: tuple[str, ...]
    """Tables that were there already."""

    def summary(self) -> str:
        if not self.created:
            return f"{self.store}: nothing to do, all {len(self.existing)} tables exist"
        return f"{self.store}: created {', '.join(self.created)}" + (
            f"; {len(self.existing)} tables existed already" if self.existing else ""
        )


def migrate(store: str | None = None) -> Migration:
    """Create the schema and every table of the store at ``store`` (or ``$COMPLAINTLOG_STORE``)."""
    settings = parse_store_url(store)
    if settings.kind == "memory":
        return Migration(settings.redacted_url, (), ())
    before = _tables(settings)
    created: list[str] = []
    schema = settings.env.get("POSTGRES_SCHEMA")
    if settings.kind == "postgres" and schema and _create_schema(settings, schema):
        created.append(f"schema {schema}")
    with ComplaintLog(settings.url) as log:
        log.prepare()
        Projections(log, adopt_policy=True).close()  # opening creates the missing tables
    after = _tables(settings)
    created += [f"table {name}" for name in sorted(set(after) - set(before))]
    existing = tuple(sorted(set(before) & set(after)))
    return Migration(settings.redacted_url, tuple(created), existing)


def _create_schema(settings: StoreSettings, schema: str) -> bool:
    import psycopg
    from psycopg import sql

    with (
        one_creator_at_a_time(settings, settings.env),
        psycopg.connect(**postgres_connect_args(settings.env)) as conn,
    ):
        found = conn.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
        if found is not None:
            return False
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        return True


def _tables(settings: StoreSettings) -> list[str]:
    if settings.kind == "sqlite":
        import sqlite3

        path = settings.sqlite_path
        if path is None or not path.exists():
            return []
        conn = sqlite3.connect(path)
        try:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            conn.close()
        return [str(row[0]) for row in rows]
    return _postgres_tables(settings.env)


def _postgres_tables(env: Mapping[str, str]) -> list[str]:
    import psycopg

    schema = env.get("POSTGRES_SCHEMA") or "public"
    with psycopg.connect(**postgres_connect_args(env)) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    return [str(row[0]) for row in rows]

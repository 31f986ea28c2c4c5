"""``complaintlog migrate``: creates the schema and every table, once, and says so."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app
from complaintlog.projections import Projections

TABLES = {
    "complaintlog_personal_keys",
    "complaintlog_projection_tracking",
    "complaintlog_current_state",
    "complaintlog_sla_cases",
    "complaintlog_sla_clocks",
    "complaintlog_statistics",
}
"""Tables every store gets (checked against what the database lists)."""


def test_sqlite_migrate_creates_then_has_nothing_to_do(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'deploy.db'}"
    first = CliRunner().invoke(app, ["--store", store, "migrate"])
    assert first.exit_code == 0, first.output
    conn = sqlite3.connect(tmp_path / "deploy.db")
    listed = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert TABLES | {"stored_events"} <= listed
    for table in listed:
        assert f"table {table}" in first.output.replace("\n", " ")
    again = CliRunner().invoke(app, ["--store", store, "migrate"])
    assert again.exit_code == 0
    assert f"nothing to do, all {len(listed)} tables exist" in again.output


@pytest.mark.postgres
def test_postgres_migrate_creates_the_schema_and_views_answer_before_catch_up(
    postgres_url: str,
) -> None:
    import psycopg

    schema = f"t_mig_{uuid.uuid4().hex[:10]}"
    store = f"{postgres_url}?schema={schema}"
    try:
        result = CliRunner().invoke(app, ["--json", "--store", store, "migrate"])
        assert result.exit_code == 0, result.output
        with psycopg.connect(postgres_url) as conn:
            listed = {
                row[0]
                for row in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,),
                )
            }
        assert TABLES | {"complaintlog_events"} <= listed
        assert f'"schema {schema}"' in result.output
        again = CliRunner().invoke(app, ["--json", "--store", store, "migrate"])
        assert '"created": []' in again.output
        with ComplaintLog(store) as log, Projections(log) as views:
            # before any catch-up: empty answers, not psycopg's UndefinedTable
            assert views.current_state.count() == 0
            assert views.current_state.open() == []
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.postgres
def test_views_on_a_fresh_schema_answer_before_catch_up(postgres_schema_url: str) -> None:
    with ComplaintLog(postgres_schema_url) as log, Projections(log) as views:
        assert views.current_state.count() == 0
        assert views.sla.breaches(as_of=log.clock(), ongoing_only=True) == []

"""The example's tests import crm.py as the CRM's own tests would; PostgreSQL comes from
$COMPLAINTLOG_TEST_POSTGRES_URL (required under CI=true, skipped with the reason elsewhere)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

POSTGRES_URL = os.environ.get(
    "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def database() -> Iterator[tuple[str, str]]:
    """The CRM's database URL and a store URL in a fresh schema of it (dropped after)."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        reason = f"no PostgreSQL at {POSTGRES_URL}: {error}".splitlines()[0]
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"crm_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    # the CRM's tables live in the schema too: its role's search_path would name it
    crm_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    yield crm_url, f"{POSTGRES_URL}?schema={schema}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

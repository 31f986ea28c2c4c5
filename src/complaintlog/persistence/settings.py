"""Where events are kept: a store URL turned into eventsourcing's persistence settings.

``memory://`` keeps everything in the process (tests), ``sqlite:///path.db`` is the
embedded default, ``postgresql://user@host:5432/db`` is for production. The URL may also
come from the ``COMPLAINTLOG_STORE`` environment variable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from complaintlog.errors import StoreConfigurationError

__all__ = [
    "STORE_ENV_VAR",
    "StoreSettings",
    "one_creator_at_a_time",
    "parse_store_url",
    "postgres_connect_args",
]

STORE_ENV_VAR = "COMPLAINTLOG_STORE"


@attrs.frozen
class StoreSettings:
    """The kind of store and the eventsourcing environment that opens it."""

    kind: str
    env: dict[str, str]
    url: str
    sqlite_path: Path | None = None

    @property
    def redacted_url(self) -> str:
        """The URL without a password, fit for logs and error messages."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()


def postgres_connect_args(env: Mapping[str, str]) -> dict[str, Any]:
    """psycopg's connection arguments from eventsourcing's ``POSTGRES_*`` settings."""
    return {
        "host": env.get("POSTGRES_HOST", "127.0.0.1"),
        "port": env.get("POSTGRES_PORT", "5432"),
        "dbname": env.get("POSTGRES_DBNAME", ""),
        "user": env.get("POSTGRES_USER", "postgres"),
        "password": env.get("POSTGRES_PASSWORD", ""),
        "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT", "5") or "5"),
        "autocommit": True,
    }


_CREATOR_LOCK = 0x636C_7374_6F72  # "clstor"


@contextmanager
def one_creator_at_a_time(settings: StoreSettings, env: Mapping[str, str]) -> Iterator[None]:
    """Around opening a store, which creates its tables if they are missing.

    On PostgreSQL, eventsourcing's ``CREATE TYPE`` and ``CREATE ... IF NOT EXISTS`` run by
    several processes opening one store at once can collide ("tuple concurrently
    updated"): they take turns on a session advisory lock. Other stores need nothing.
    """
    if settings.kind != "postgres":
        yield
        return
    import psycopg

    with psycopg.connect(**postgres_connect_args(env)) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (_CREATOR_LOCK,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (_CREATOR_LOCK,))


def parse_store_url(url: str | None) -> StoreSettings:
    """Turn a store URL (or ``$COMPLAINTLOG_STORE``, or memory) into settings."""
    if url is None:
        url = os.environ.get(STORE_ENV_VAR) or "memory://"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"memory", "popo"}:
        return StoreSettings("memory", {"PERSISTENCE_MODULE": "eventsourcing.popo"}, url)
    if scheme == "sqlite":
        return _sqlite(url, parts.netloc, parts.path)
    if scheme in {"postgresql", "postgres", "postgresql+psycopg"}:
        return _postgres(url)
    msg = (
        f"store URL {url!r} has the unknown scheme {scheme!r}: use memory://, "
        "sqlite:///path/to/file.db or postgresql://user@host:5432/dbname"
    )
    raise StoreConfigurationError(msg)


_SQLITE_FACTORY = "complaintlog.persistence.sqlite:SQLiteStoreFactory"


def _sqlite(url: str, netloc: str, path: str) -> StoreSettings:
    raw = unquote(netloc + path)
    if raw in {"", "/"}:
        msg = f"store URL {url!r} names no SQLite file: use sqlite:///complaints.db"
        raise StoreConfigurationError(msg)
    if raw in {"/:memory:", ":memory:"}:
        env = {"PERSISTENCE_MODULE": _SQLITE_FACTORY, "SQLITE_DBNAME": ":memory:"}
        return StoreSettings("sqlite", env, url)
    # sqlite:///relative.db -> "relative.db"; sqlite:////abs/path.db -> "/abs/path.db"
    file = Path(raw[1:] if raw.startswith("/") else raw)
    if not file.parent.exists():
        msg = f"store URL {url!r}: the folder {file.parent} does not exist"
        raise StoreConfigurationError(msg)
    env = {
        "PERSISTENCE_MODULE": _SQLITE_FACTORY,
        "SQLITE_DBNAME": str(file),
        "SQLITE_LOCK_TIMEOUT": "30",
    }
    return StoreSettings("sqlite", env, url, sqlite_path=file)


def _postgres(url: str) -> StoreSettings:
    parts = urlsplit(url)
    dbname = parts.path.lstrip("/")
    if not dbname:
        msg = f"store URL {url!r} names no database: use postgresql://user@host:5432/dbname"
        raise StoreConfigurationError(msg)
    query = parse_qs(parts.query)
    env = {
        "PERSISTENCE_MODULE": "complaintlog.persistence.postgres:PostgresStoreFactory",
        "APPLICATION_RECORDER_TOPIC": "complaintlog.persistence.postgres:CopyingPostgresRecorder",
        "POSTGRES_DBNAME": unquote(dbname),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": "5",
    }
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    if "pool_size" in query:
        env["COMPLAINTLOG_POOL_SIZE"] = query["pool_size"][0]
    return StoreSettings("postgres", env, url)

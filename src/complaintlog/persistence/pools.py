"""One PostgreSQL connection pool per process, shared by logs, views and key stores.

eventsourcing gives every application its own pool (5 connections at start, up to 15),
and the key store and each view set held connections of their own: a web process with
three logs held ~51 connections. Here every ``ComplaintLog``, ``Projections`` and key
store of a process that names the same server, database and user borrows from one
:class:`psycopg_pool.ConnectionPool` (1 connection at start, ``pool_size`` at most,
default 4), or from a pool the application already has (``ComplaintLog(pool=...)``).

A connection is borrowed for one statement or one transaction and given back. Borrowed
from the application's own pool, it is put back as it was: row factory, autocommit and
search path restored. A connection of complaintlog's own pool keeps the last search path
set on it, and the pool remembers which: a borrow for the same schema sends no ``SET``
(a round trip, which was a quarter of a one-event catch-up's on PostgreSQL).
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from complaintlog.errors import InvalidValueError
from complaintlog.persistence.settings import postgres_connect_args

__all__ = [
    "DEFAULT_POOL_SIZE",
    "POOL_ENV",
    "POOL_SIZE_ENV",
    "Pool",
    "application_name",
    "close_shared_pools",
    "pool_for",
    "register_pool",
]

DEFAULT_POOL_SIZE = 4
POOL_SIZE_ENV = "COMPLAINTLOG_POOL_SIZE"
"""Environment key (or ``?pool_size=`` in the store URL) of the shared pool's maximum."""
POOL_ENV = "COMPLAINTLOG_POOL_ID"
"""Environment key naming a pool the application handed over (set by the log)."""

_LOCK = threading.Lock()
_SHARED: dict[tuple[str, ...], Pool] = {}
_REGISTERED: dict[str, Pool] = {}


class Pool:
    """A psycopg pool as complaintlog borrows from it: autocommit connections, dict rows."""

    def __init__(self, pool: Any, *, owned: bool) -> None:
        self.pool = pool
        self.owned = owned
        self._paths: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        """The search path last set on each of the owned pool's connections (a connection
        the pool replaces is a new object, not in here)."""

    @property
    def max_size(self) -> int:
        return int(self.pool.max_size)

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        """What eventsourcing's datastore calls before borrowing."""
        self.pool.open(wait, timeout)

    @contextmanager
    def connection(self, search_path: str | None = None) -> Iterator[Any]:
        """A connection in autocommit mode with dict rows (and ``search_path`` set)."""
        from psycopg import sql
        from psycopg.rows import dict_row

        with self.pool.connection() as conn:
            if self.owned:  # everything but the views names its schema: no reset needed
                if search_path is not None and self._paths.get(conn) != search_path:
                    self._paths.pop(conn, None)  # unknown until the SET has run
                    conn.execute(
                        sql.SQL("SET search_path TO {}").format(sql.Identifier(search_path))
                    )
                    if conn.autocommit:  # else a rollback could take the SET back
                        self._paths[conn] = search_path
                yield conn
                return
            saved = conn.row_factory, conn.autocommit
            conn.autocommit = True
            conn.row_factory = dict_row
            if search_path is not None:
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(search_path)))
            try:
                yield conn
            finally:
                if not conn.closed and not conn.broken:
                    if search_path is not None:
                        conn.execute("RESET search_path")
                    conn.row_factory, conn.autocommit = saved

    def close(self) -> None:
        """Nothing: the pool outlives the logs that borrow from it (see
        :func:`close_shared_pools`, and close your own pool yourself)."""


def _configure(conn: Any) -> None:
    from psycopg.rows import dict_row

    conn.autocommit = True
    conn.row_factory = dict_row


def pool_size(env: Mapping[str, str]) -> int:
    raw = env.get(POOL_SIZE_ENV) or str(DEFAULT_POOL_SIZE)
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise InvalidValueError("pool_size", raw, "a whole number of connections, at least 1")
    return size


def pool_for(env: Mapping[str, str]) -> Pool:
    """The pool handed over for this log, else the process's shared pool for its server,
    database and user (made on first use)."""
    registered = env.get(POOL_ENV)
    if registered:
        return _REGISTERED[registered]
    args = postgres_connect_args(env)
    names = ("host", "port", "dbname", "user", "password")
    key = (str(os.getpid()), *(str(args[name]) for name in names))  # a forked child: its own
    with _LOCK:
        found = _SHARED.get(key)
        size = pool_size(env)
        if found is not None:
            if found.max_size < size:  # a later log asks for more: the pool grows to it
                found.pool.resize(min_size=found.pool.min_size, max_size=size)
            return found
        from psycopg_pool import ConnectionPool

        connect = {k: v for k, v in args.items() if k not in {"autocommit", "connect_timeout"}}
        pool = ConnectionPool(
            kwargs={
                **connect,
                "connect_timeout": args["connect_timeout"],
                "application_name": application_name(),
            },
            min_size=1,
            max_size=size,
            open=False,
            configure=_configure,
            timeout=30.0,
            name=f"complaintlog {args['dbname']}",
        )
        pool.open(wait=False)
        found = _SHARED[key] = Pool(pool, owned=True)
        return found


def application_name() -> str:
    """What the shared pool's connections call themselves in ``pg_stat_activity``."""
    return f"complaintlog {os.getpid()}"


def register_pool(pool: Any) -> str:
    """Hand an application's ``psycopg_pool.ConnectionPool`` over; returns its id for the
    log's environment."""
    from psycopg_pool import ConnectionPool

    if not isinstance(pool, ConnectionPool):
        rule = "a psycopg_pool.ConnectionPool (synchronous)"
        raise InvalidValueError("pool", type(pool).__name__, rule)
    token = f"pool-{id(pool)}"
    with _LOCK:
        if token not in _REGISTERED or _REGISTERED[token].pool is not pool:
            _REGISTERED[token] = Pool(pool, owned=False)
    return token


def close_shared_pools() -> None:
    """Close the pools complaintlog made (at exit, or in tests and forked workers)."""
    mine = str(os.getpid())
    with _LOCK:
        pools = [pool for key, pool in _SHARED.items() if key[0] == mine]
        _SHARED.clear()  # a forked child forgets its parent's pools without touching them
    for pool in pools:
        pool.pool.close()


atexit.register(close_shared_pools)

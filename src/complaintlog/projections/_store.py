"""Where projected views live: SQL tables in the same kind of store as the events.

* SQLite (``sqlite:///file.db``): tables in the same file as eventsourcing's
  ``stored_events``, written through our own ``sqlite3`` connection.
* PostgreSQL: tables in the same database and schema (``POSTGRES_SCHEMA``), psycopg 3.
* memory (``memory://``): an in-memory SQLite database owned by the projection. The view
  lives and dies with the process like the events do, and the queries are the same SQL,
  tested once, with the same indexes.

On SQLite, the store's commits never checkpoint the write-ahead log themselves: a
:class:`~complaintlog.persistence.checkpointer.Checkpointer` thread does, woken after each
commit (see that module for why), so a rebuild's copying overlaps the folding of its next page and a
one-event catch-up never pays for a checkpoint. The last checkpoint is finished when the
store is closed.

SQL is written once with ``?`` placeholders and translated for psycopg; values are always
parameters, never formatted into the text. Table names are constants of this package.
Times are stored as integer microseconds since 1970-01-01 UTC in ``BIGINT`` columns: exact,
the same on both databases, cheap to compare and to index.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any, Protocol, TypeVar

from complaintlog.errors import ComplaintLogError, StoreConfigurationError, StoreUnavailableError
from complaintlog.persistence.checkpointer import Checkpointer

__all__ = [
    "NULL_MARK",
    "TENANT_COLUMN",
    "TRACKING_TABLE",
    "Later",
    "ProjectionConflictError",
    "Reads",
    "Transaction",
    "ViewPolicyMismatchError",
    "ViewStore",
    "add_tenant_column",
    "compose",
    "config_tenants",
    "create_table",
    "marks",
    "open_view_store",
    "postgres_connection",
]

TRACKING_TABLE = "complaintlog_projection_tracking"

Row = tuple[Any, ...]

T = TypeVar("T")

Later = Callable[[], T]
"""An answer asked for now and read when called: meanwhile more can be sent."""

_UNSAFE = re.compile(r"['\";]|--|/\*")


def compose(template: str, **fragments: str) -> str:
    """A statement from a template and SQL fragments: table and column names, column
    lists and conditions with ``?`` placeholders, all built from this package's constants.

    Values never go into the text; they are parameters. As a guard, a fragment holding a
    quote, a semicolon or a comment (what a value smuggled into SQL needs) is refused.
    """
    for name, fragment in fragments.items():
        if _UNSAFE.search(fragment):
            msg = f"SQL fragment {name}={fragment!r} holds a quote, semicolon or comment"
            raise ValueError(msg)
    return template.format(**fragments)


NULL_MARK = -(2**63)
"""Stands for NULL in the rows of a statement whose placeholders come from :func:`marks`
on SQLite. The ``sqlite3`` module binds ``None`` through its adapter lookup, several times
slower than an integer, and a rebuild binds about five per row; ``NULLIF(?, NULL_MARK)``
turns the mark back into NULL inside SQLite. No stored value is this number (as a time it
lies 290,000 years before the epoch); text is never equal to it."""


def marks(tx: Transaction, nullable: Sequence[bool]) -> tuple[str, int | None]:
    """The placeholders of a row (``NULLIF(?, NULL_MARK)`` for nullable columns, on
    SQLite) and the value the row builder puts for NULL: :data:`NULL_MARK` or ``None``."""
    if tx.kind != "sqlite":
        return ", ".join("?" * len(nullable)), None
    null = f"NULLIF(?, {NULL_MARK})"
    return ", ".join(null if may_be_null else "?" for may_be_null in nullable), NULL_MARK


class ProjectionConflictError(ComplaintLogError):
    """Another runner advanced the same projection meanwhile; nothing of ours was written."""

    def __init__(self, projection: str, expected: int) -> None:
        self.projection = projection
        self.expected = expected
        super().__init__(
            f"projection {projection!r} is no longer at position {expected}: another runner "
            "processed these events; catch_up() again to continue from where it stopped"
        )


class ViewPolicyMismatchError(StoreConfigurationError):
    """The stored views were built under another SLA policy or calendar than the one given
    (for the tenants in ``tenants``; ``"default"`` stands for the default policy)."""

    def __init__(self, projection: str, stored: str, given: str) -> None:
        self.projection = projection
        self.stored = stored
        self.given = given
        self.tenants = differing_tenants(stored, given)
        if self.tenants:
            named = ", ".join(repr(tenant) for tenant in self.tenants)
            which = f"under another policy (or view version) for tenant {named}"
            first = self.tenants[0]
            stored_part = config_tenants(stored).get(first, "none")
            given_part = config_tenants(given).get(first, "none")
        else:
            which = "under another configuration"
            stored_part, given_part = stored, given
        change = (
            f"Projections.change_policy(log, ..., tenant={self.tenants[0]!r})"
            if len(self.tenants) == 1
            else "Projections.change_policy(log, policy=...)"
        )
        super().__init__(
            f"the {projection!r} views in this store were built {which} "
            f"(stored: {_short(stored_part)}; given: {_short(given_part)}): open them with "
            f"the stored policies, or change it explicitly with {change} after stopping the "
            "workers that follow the old one"
        )


TENANT_LINE = "\ntenant "
"""Starts each tenant's part of a configuration after the default policy's first line."""

TENANT_COLUMN = "tenant"
DEFAULT_TENANT_SQL = "'default'"
"""``DEFAULT_TENANT`` as an SQL literal: the tenant of the rows an older version wrote."""


def config_tenants(config: str) -> dict[str, str]:
    """A configuration's parts by tenant: ``"default"`` for the first line (the default
    policy, as every configuration before tenants), each ``tenant <name>: ...`` line by
    its name."""
    head, *tenants = config.split(TENANT_LINE)
    parts = {"default": head}
    for line in tenants:
        name, _, rest = line.partition(": ")
        parts[name] = rest
    return parts


def differing_tenants(stored: str, given: str) -> list[str]:
    """The tenants whose part differs between two configurations (``"default"`` first)."""
    before, after = config_tenants(stored), config_tenants(given)
    return [
        name
        for name in sorted(before.keys() | after.keys(), key=lambda n: (n != "default", n))
        if before.get(name) != after.get(name)
    ]


def _short(config: str, length: int = 120) -> str:
    return config if len(config) <= length else config[: length - 3] + "..."


class Reads(Protocol):
    """Queries whose answers are read later, so that several share a round trip."""

    def query_later(self, sql: str, params: Sequence[Any] = ()) -> Later[list[Row]]:
        """Send a query now, read its rows when the function returned is called: in a
        pipeline the statements sent meanwhile go in the same round trip."""
        ...


class Transaction(Reads, Protocol):
    kind: str
    """The database: ``sqlite`` or ``postgres``."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the rows it changed (-1 in a pipelined transaction, where the
        answer comes later: use :meth:`query_later` with ``RETURNING`` to know)."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def append(
        self, table: str, columns: str, placeholders: str, rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows the table does not hold yet, the fastest way the database has."""
        ...


def write_rows(
    tx: Transaction,
    table: str,
    columns: Sequence[str],
    placeholders: str,
    key: str,
    rows: Sequence[Sequence[Any]],
    *,
    new: bool,
) -> None:
    """Insert ``rows`` into ``table``, or update the rows with the same ``key`` columns.

    ``new`` says the table holds none of them (a page of a rebuild complaint by complaint,
    into emptied tables): they are then appended (PostgreSQL's ``COPY``: a rebuild spent
    two fifths of its time in ``INSERT ... ON CONFLICT`` round trips), and one that is
    there after all fails the transaction instead of being overwritten.
    ``placeholders`` come from :func:`marks`.
    """
    if not rows:
        return
    column_list = ", ".join(columns)
    if new:
        tx.append(table, column_list, placeholders, rows)
        return
    keys = {name.strip() for name in key.split(",")}
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in keys)
    tx.executemany(
        compose(
            "INSERT INTO {table} ({column_list}) VALUES ({placeholders}) ON CONFLICT ({key}) "
            "DO UPDATE SET {updates}",
            table=table,
            column_list=column_list,
            placeholders=placeholders,
            key=key,
            updates=updates,
        ),
        rows,
    )


class ViewStore:
    """A connection to the view tables and the tracking table, with transactions."""

    kind: str

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        raise NotImplementedError

    def transaction(self, *, pipelined: bool = False) -> AbstractContextManager[Transaction]:
        """A write transaction. ``pipelined`` (for a few rows, PostgreSQL): statements are
        sent without waiting for their answers, which arrive with the next query's or the
        commit's; rows are inserted by ``INSERT`` (``COPY`` cannot be pipelined)."""
        raise NotImplementedError

    def index_builders(self) -> int:
        """How many transactions may build indexes side by side (a rebuild's, one view's
        each: :mod:`~complaintlog.projections._framework.index_builds`): one here, where
        one writer at a time holds the database."""
        return 1

    def reading(self) -> AbstractContextManager[Reads]:
        """Queries outside a transaction, as :meth:`query`, whose answers are read later:
        on PostgreSQL sent in one pipeline (see :class:`_PipelinedReads`); here each runs
        at once. Read every answer inside the block."""
        return nullcontext(_AtOnce(self.query))

    def close(self) -> None:
        raise NotImplementedError

    # -- tracking ---------------------------------------------------------------------------

    def ensure_tracking(self) -> None:
        with self.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} ("
                "projection TEXT PRIMARY KEY, position BIGINT NOT NULL, config TEXT NOT NULL)"
            )

    def tracking(self, projection: str) -> tuple[int, str] | None:
        rows = self.query(
            compose(
                "SELECT position, config FROM {tracking_table} WHERE projection = ?",
                tracking_table=TRACKING_TABLE,
            ),
            (projection,),
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None


def create_table(tx: Transaction, table: str, columns: str, key: str) -> None:
    """``CREATE TABLE IF NOT EXISTS`` with a primary key; on SQLite the table is stored in
    its key's order (``WITHOUT ROWID``): one b-tree instead of a rowid table plus a key
    index, so a row written costs one b-tree insert and the rebuild's key-ordered writes
    append to one tree. For tables whose secondary indexes hold the key anyway (current
    state) or that have none (SLA cases); a table with several indexes not ending in the
    key (SLA clocks, statistics) keeps its rowid, so its index entries stay small."""
    suffix = " WITHOUT ROWID" if tx.kind == "sqlite" else ""
    tx.execute(
        compose(
            "CREATE TABLE IF NOT EXISTS {table} ({columns}, PRIMARY KEY ({key})){suffix}",
            table=table,
            columns=columns,
            key=key,
            suffix=suffix,
        )
    )


def add_tenant_column(tx: Transaction, table: str) -> None:
    """Give a table an older version created its ``tenant`` column: every row it holds
    belongs to the default tenant (complaints had none before). Looked up first, so a
    store that has it is not locked for an ``ALTER``."""
    if tx.kind == "postgres":
        found = tx.query(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? AND column_name = ?",
            (table, TENANT_COLUMN),
        )
    else:
        found = [row for row in tx.query(f"PRAGMA table_info({table})") if row[1] == TENANT_COLUMN]
    if not found:
        tx.execute(
            f"ALTER TABLE {table} ADD COLUMN {TENANT_COLUMN} TEXT NOT NULL "
            f"DEFAULT {DEFAULT_TENANT_SQL}"
        )


class _AtOnce:
    """Reads that run each query when it is sent (a local database: no round trip)."""

    __slots__ = ("_query",)

    def __init__(self, query: Callable[[str, Sequence[Any]], list[Row]]) -> None:
        self._query = query

    def query_later(self, sql: str, params: Sequence[Any] = ()) -> Later[list[Row]]:
        rows = self._query(sql, params)
        return lambda: rows


class _SqliteTransaction:
    __slots__ = ("_cursor",)
    kind = "sqlite"

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._cursor.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._cursor.execute(sql, params).fetchall()

    def query_later(self, sql: str, params: Sequence[Any] = ()) -> Later[list[Row]]:
        rows = self.query(sql, params)
        return lambda: rows

    def append(
        self, table: str, columns: str, placeholders: str, rows: Sequence[Sequence[Any]]
    ) -> None:
        self._cursor.executemany(
            compose(
                "INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                table=table,
                columns=columns,
                placeholders=placeholders,
            ),
            rows,
        )


class SqliteViewStore(ViewStore):
    """A SQLite database file (beside the events) or ``:memory:``."""

    kind = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        # Autocommit mode: reads see the latest commit; writes use explicit BEGIN IMMEDIATE,
        # so a batch takes the write lock once and never upgrades a read lock midway.
        self.connection = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        if self.path != ":memory:":
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's work
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute("PRAGMA cache_size=-65536")  # 64 MiB: indexes stay in memory
        self._checkpointer: Checkpointer | None = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.connection.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[Transaction]:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTransaction(cursor)
        except BaseException:
            cursor.execute("ROLLBACK")
            cursor.close()
            raise
        cursor.execute("COMMIT")
        cursor.close()
        if self.path != ":memory:":
            if self._checkpointer is None:  # started by the first write: readers need none
                self._checkpointer = Checkpointer(self.path)
            self._checkpointer.wake()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        self.connection.close()


def _pg(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` (our SQL has no literal ``%`` or ``?``)."""
    return sql.replace("?", "%s")


class _PostgresTransaction:
    __slots__ = ("_connection", "_cursor", "_pipelined")
    kind = "postgres"

    def __init__(self, connection: Any, cursor: Any, *, pipelined: bool = False) -> None:
        self._connection = connection
        self._cursor = cursor
        self._pipelined = pipelined

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cursor.execute(_pg(sql), params)
        return -1 if self._pipelined else int(self._cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            self._cursor.executemany(_pg(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.query_later(sql, params)()

    def query_later(self, sql: str, params: Sequence[Any] = ()) -> Later[list[Row]]:
        if not self._pipelined:
            self._cursor.execute(_pg(sql), params)
            found: list[Row] = list(self._cursor.fetchall())
            return lambda: found
        # A cursor of its own: in pipeline mode a cursor's results are those of whichever
        # of its statements answered last, not necessarily the last sent.
        cursor = self._connection.cursor()
        cursor.execute(_pg(sql), params)

        def answer() -> list[Row]:
            with cursor:
                return list(cursor.fetchall())

        return answer

    def append(
        self, table: str, columns: str, placeholders: str, rows: Sequence[Sequence[Any]]
    ) -> None:
        if self._pipelined:  # a few rows: no COPY, which would end the pipeline
            statement = "INSERT INTO {table} ({columns}) VALUES ({placeholders})"
            self.executemany(
                compose(statement, table=table, columns=columns, placeholders=placeholders),
                rows,
            )
            return
        statement = compose("COPY {table} ({columns}) FROM STDIN", table=table, columns=columns)
        with self._cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


class _PipelinedReads:
    """Queries sent in psycopg's pipeline mode on one borrowed connection, outside a
    transaction: each answers from the latest commit, as :meth:`ViewStore.query` does.

    The connection is borrowed at the first query, so reads that send none cost no round
    trip. The first answer asked for ends the pipeline: its sync brings back the answers
    of every query sent so far in one round trip (the first error among them is raised).
    A query sent after that starts another pipeline on the same connection.
    """

    __slots__ = ("_borrow", "_cursors", "_pipeline", "connection")

    def __init__(self, borrow: Callable[[], Any]) -> None:
        self._borrow = borrow
        self.connection: Any = None
        self._pipeline: ExitStack[bool | None] | None = None
        self._cursors: list[Any] = []

    def query_later(self, sql: str, params: Sequence[Any] = ()) -> Later[list[Row]]:
        if self.connection is None:
            self.connection = self._borrow()
        if self._pipeline is None:
            pipeline = ExitStack()
            pipeline.enter_context(self.connection.pipeline())
            self._pipeline = pipeline
        # A cursor of its own: in pipeline mode a cursor's results are those of whichever
        # of its statements answered last, not necessarily the last sent.
        cursor = self.connection.cursor()
        self._cursors.append(cursor)
        cursor.execute(_pg(sql), params)
        found: list[list[Row]] = []

        def answer() -> list[Row]:
            if not found:
                self.sync()
                found.append(list(cursor.fetchall()))
            return found[0]

        return answer

    def sync(self) -> None:
        """End the pipeline, if one is open: every answer comes back in one round trip."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()

    def end(self, error: BaseException | None) -> None:
        """Close a pipeline still open (answers never asked for) and the cursors. After an
        ``error`` in the block, the pipeline's own errors are not raised over it."""
        pipeline, self._pipeline = self._pipeline, None
        try:
            if pipeline is not None:
                if error is None:
                    pipeline.close()
                else:
                    pipeline.__exit__(type(error), error, error.__traceback__)
        finally:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()


def _roll_back_if_open(conn: Any) -> None:
    """After a failure: end a transaction the connection is still in, keeping quiet about
    errors of the rollback (the first error is the one to raise)."""
    import psycopg
    from psycopg.pq import TransactionStatus

    if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
        with suppress(psycopg.Error):
            conn.rollback()


def postgres_connection(env: Mapping[str, str]) -> Any:
    """An autocommit psycopg connection to the database of an eventsourcing environment."""
    try:
        import psycopg
    except ImportError as error:  # pragma: no cover - the postgres extra installs it
        msg = "PostgreSQL views need psycopg: pip install complaintlog[postgres]"
        raise StoreConfigurationError(msg) from error
    return psycopg.connect(
        dbname=env.get("POSTGRES_DBNAME", "postgres"),
        host=env.get("POSTGRES_HOST", "127.0.0.1"),
        port=int(env.get("POSTGRES_PORT", "5432")),
        user=env.get("POSTGRES_USER", "postgres"),
        password=env.get("POSTGRES_PASSWORD", ""),
        connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
        autocommit=True,
    )


class PostgresViewStore(ViewStore):
    """Tables in the application's PostgreSQL database and schema, through connections
    borrowed from the process's shared pool one query or transaction at a time."""

    kind = "postgres"

    def __init__(self, env: Mapping[str, str]) -> None:
        from complaintlog.persistence.pools import pool_for

        self._pool = pool_for(env)
        self._schema = env.get("POSTGRES_SCHEMA") or "public"
        self._store = f"postgresql database {env.get('POSTGRES_DBNAME', '')}"

    @contextmanager
    def _connection(self, operation: str) -> Iterator[Any]:
        import psycopg
        from psycopg.rows import tuple_row

        try:
            with self._pool.connection(search_path=self._schema) as conn:
                saved = conn.row_factory
                conn.row_factory = tuple_row
                try:
                    yield conn
                finally:
                    conn.row_factory = saved
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise StoreUnavailableError(self._store, operation, error) from error

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._connection("read the views") as conn, conn.cursor() as cursor:
            cursor.execute(_pg(sql), params)
            return list(cursor.fetchall())

    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[Transaction]:
        if pipelined:
            with self._pipelined_transaction() as tx:
                yield tx
            return
        with (
            self._connection("write the views") as conn,
            conn.transaction(),
            conn.cursor() as cursor,
        ):
            yield _PostgresTransaction(conn, cursor)

    @contextmanager
    def _pipelined_transaction(self) -> Iterator[Transaction]:
        """``BEGIN``, the statements, ``COMMIT`` in psycopg's pipeline mode: one round trip
        for a one-event catch-up's writes (plus one per query among them), where each
        statement was one. Rolled back if anything in it failed."""
        with self._connection("write the views") as conn:
            try:
                with conn.cursor() as cursor, conn.pipeline():
                    cursor.execute("BEGIN")
                    yield _PostgresTransaction(conn, cursor, pipelined=True)
                    cursor.execute("COMMIT")
            except BaseException:
                _roll_back_if_open(conn)
                raise

    def index_builders(self) -> int:
        """Each ``CREATE INDEX`` keeps one server backend busy: as many as the pool lends,
        one connection left for the rest of the process."""
        return max(1, self._pool.max_size - 1)

    @contextmanager
    def reading(self) -> Iterator[Reads]:
        """The queries sent in one pipeline (:class:`_PipelinedReads`): a one-event
        catch-up's loads of every view cost one round trip, where each query was one."""
        with ExitStack() as borrowed:
            reads = _PipelinedReads(
                lambda: borrowed.enter_context(self._connection("read the views"))
            )
            try:
                yield reads
            except BaseException as error:
                reads.end(error)
                if reads.connection is not None:
                    _roll_back_if_open(reads.connection)
                raise
            reads.end(None)

    def close(self) -> None:
        """Nothing to close: the connections are the pool's."""


def open_view_store(kind: str, env: Mapping[str, str], sqlite_path: Path | None) -> ViewStore:
    """The view store matching a ComplaintLog's event store."""
    if kind == "postgres":
        return PostgresViewStore(env)
    if kind == "sqlite" and sqlite_path is not None:
        return SqliteViewStore(sqlite_path)
    return SqliteViewStore(":memory:")

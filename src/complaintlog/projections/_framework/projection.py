"""The base of every view: per-complaint state in a cache, rows in tables.

:class:`Projection` is what a view implements (its tables, how to load, fold and write a
complaint's state); the :class:`~complaintlog.projections._framework.follower.Follower` drives
it. :func:`select_in_later` is the chunked ``IN (...)`` query the views load their state
with. Kept apart from the runner so that a view depends on this small contract only.

A view's load is sent first and read later (:meth:`Projection.load_later`): the runner sends
every view's loads before it reads any answer, so that on PostgreSQL they share one round
trip instead of taking one each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from complaintlog.projections._framework.reader import LogEvent, chunks
from complaintlog.projections._store import Later, Reads, Row, Transaction

__all__ = ["Projection", "select_in_later"]

S = TypeVar("S")


class Projection(ABC, Generic[S]):
    """A view kept from the log: per-complaint state ``S`` in a cache, rows in tables.

    Subclasses name their tables, say how to create them, how to load the state of some
    complaints from them, how to apply a page of events (a ``match`` on the event kind), and
    how to write what changed. The :class:`Follower` does the rest.
    """

    name: ClassVar[str]
    """The projection's key in the tracking table."""
    tables: ClassVar[tuple[str, ...]]
    per_complaint: ClassVar[bool] = False
    """True when a complaint's rows depend on that complaint's events only (in their
    order), never on other complaints' or on the order between complaints: the runner may
    then rebuild the view complaint by complaint."""
    tenant_table: ClassVar[str | None] = None
    """The table whose ``tenant`` column says which complaints a tenant's policy change
    folds again (:meth:`forget`); ``None`` for a view that no policy changes."""
    max_cache: ClassVar[int] = 50_000
    """Complaint states kept between batches; the cache is dropped when it grows past this
    (a few kilobytes each: 50,000 states of the three views take about 200 MB)."""

    def __init__(self) -> None:
        self.cache: dict[str, S] = {}
        self.dirty: dict[str, S] = {}
        self.cache_position = -1
        """The position the cache reflects; another runner moving the view invalidates it."""
        self.rows_are_new = False
        """Set by the runner while it rebuilds complaint by complaint into emptied tables:
        every row :meth:`write` writes is then new to its table (``write_rows(new=...)``)."""

    def config(self) -> str:
        """What the rows depend on besides the log (a policy, a calendar): a change rebuilds."""
        return "1"

    @abstractmethod
    def create_tables(self, tx: Transaction) -> None: ...

    @abstractmethod
    def create_indexes(self, tx: Transaction) -> None: ...

    @abstractmethod
    def load_later(self, reads: Reads, complaint_ids: Sequence[str]) -> Later[dict[str, S]]:
        """Send the queries for the stored state of these complaints (none for none); the
        function returned reads their answers: the states of those that have one."""

    @abstractmethod
    def handle(self, events: Sequence[LogEvent]) -> None:
        """Apply events to ``self.cache``, recording changed states in ``self.dirty``."""

    @abstractmethod
    def write(self, tx: Transaction) -> None:
        """Write the rows of ``self.dirty``."""

    def tally(self) -> Any:
        """What a rebuild complaint by complaint counted as it wrote its rows (the figures of
        its day rows), to hand to the runner that started it from another process; None:
        nothing counted."""
        return None

    def add_tally(self, part: Any) -> None:
        """Add what another process's share of a rebuild counted (see :meth:`tally`)."""

    def same_version(self, stored: str) -> bool:
        """Whether a stored configuration is of this version of the view, so that only
        policies may differ from :meth:`config` (a newer version rebuilds every row)."""
        return stored == self.config()

    def forget(self, tx: Transaction, complaint_ids: Sequence[str]) -> None:
        """Prepare to fold these complaints again from their first event (their tenant's
        policy changed): take away their rows and their part of any totals. Only for a view
        with a :attr:`tenant_table`."""
        raise NotImplementedError(f"the {self.name!r} view is folded again only whole")

    def refolded(self, tx: Transaction) -> None:
        """After :meth:`forget` and the complaints' folding again: finish what depends on
        every row (totals that could not be moved complaint by complaint)."""

    def schema_ended(self, *, committed: bool) -> None:
        """A transaction that ran :meth:`create_tables`, :meth:`create_indexes`,
        :meth:`forget` or :meth:`refolded` ended. What they decided about the tables (a
        view's note that its day rows are kept) holds if it committed; if it rolled back
        (an opener giving way to a writer), the tables are as before, and so must the
        note be."""

    # -- driven by the Follower -------------------------------------------------------------

    def missing(self, events: Sequence[LogEvent]) -> list[str]:
        """The complaints these events step whose state is not in the cache: to load
        before :meth:`apply` (a ``Received`` starts a state; other aggregates have none)."""
        cache = self.cache
        return sorted(
            {
                complaint_id
                for _, complaint_id, kind, _, _ in events
                if kind and kind != "Received" and complaint_id not in cache
            }
        )

    def apply(self, events: Sequence[LogEvent], loaded: Mapping[str, S]) -> None:
        """Fold events, given the stored states of their :meth:`missing` complaints."""
        self.cache.update(loaded)
        self.handle(events)

    def committed(self, position: int) -> None:
        self.dirty.clear()
        self.cache_position = position
        if len(self.cache) > self.max_cache:
            self.cache.clear()

    def discard(self) -> None:
        self.dirty.clear()
        self.cache.clear()
        self.cache_position = -1

    def drop_tables(self, tx: Transaction) -> None:
        for table in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {table}")


def select_in_later(
    reads: Reads, sql_before_in: str, values: Sequence[str], sql_after_in: str = ""
) -> Later[list[Row]]:
    """Send ``<sql_before_in> IN (?, ?, ...) <sql_after_in>`` for the values, in chunks;
    the function returned reads the rows of every chunk."""
    answers = [
        reads.query_later(f"{sql_before_in} IN ({_marks(len(chunk))}) {sql_after_in}", tuple(chunk))
        for chunk in chunks(values)
    ]
    return lambda: [row for answer in answers for row in answer()]


def _marks(count: int) -> str:
    return ",".join("?" * count)

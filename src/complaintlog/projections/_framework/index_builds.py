"""A rebuild's indexes built side by side, each view's in a transaction of its own.

A rebuild writes its rows into tables without secondary indexes and builds them at the
end, the part of a rebuild no partition can share (``docs/performance.md``, "Where issue
#17's targets stand"). On PostgreSQL each ``CREATE INDEX`` keeps one server backend busy,
so the views' builds run in as many connections as the store lends for it
(:meth:`ViewStore.index_builders`); on SQLite, one writer at a time, they stay in the
rebuild's last transaction.

They run after every row is written and before the positions are set: the views are still
marked as being rebuilt, so no reader sees one half-indexed, and a build that fails leaves
them marked for the next runner to start again. The last transaction then finds the
indexes in place (``CREATE INDEX IF NOT EXISTS``) and the day rows written with them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from complaintlog.projections._framework.projection import Projection
    from complaintlog.projections._store import Transaction

__all__ = ["build_indexes_apart"]

SchemaTransaction = Callable[["Projection[Any]"], AbstractContextManager["Transaction"]]


def build_indexes_apart(
    projections: Sequence[Projection[Any]], builders: int, transaction: SchemaTransaction
) -> bool:
    """Build each view's indexes in its own ``transaction``, ``builders`` at a time; False
    (nothing done) when there are not two of each to run side by side. Every build has
    ended when this returns or raises the first failure."""
    if builders < 2 or len(projections) < 2:
        return False

    def build(projection: Projection[Any]) -> None:
        with transaction(projection) as tx:
            projection.create_indexes(tx)

    workers = min(builders, len(projections))
    with ThreadPoolExecutor(workers, thread_name_prefix="complaintlog-indexes") as pool:
        builds = [pool.submit(build, projection) for projection in projections]
        for done in builds:
            done.result()
    return True

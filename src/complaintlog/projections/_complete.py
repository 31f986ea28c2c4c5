"""The view store as queries see it: no answer from views half way through a rebuild.

A rebuild replays the log complaint by complaint (see :mod:`._framework.follower`) and marks
the views' positions -1 until its last transaction. Rows written before then are whole
histories of some complaints and nothing of the others, the views as of no moment at all;
a rebuild killed half way leaves them so until the next runner starts it again. Queries go
through this store, which looks at the marks first and raises
:class:`~complaintlog.errors.ViewBeingRebuiltError` instead of counting what happens to be
there. A catch-up that is merely behind is not refused: its views are the log up to their
position, complete as of then.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from complaintlog.errors import ViewBeingRebuiltError
from complaintlog.projections._store import (
    TRACKING_TABLE,
    Reads,
    Row,
    Transaction,
    ViewStore,
    compose,
)

__all__ = ["CompleteViews"]

_MARKED = compose(
    "SELECT projection FROM {tracking_table} WHERE position < 0 ORDER BY projection",
    tracking_table=TRACKING_TABLE,
)
_TABLE_EXISTS = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    "postgres": (
        "SELECT 1 FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ?"
    ),
}


class CompleteViews(ViewStore):
    """Delegates to the view store, refusing queries while a rebuild's marks are set."""

    def __init__(self, store: ViewStore) -> None:
        self._store = store
        self.kind = store.kind
        self._tracking_exists = False

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._refuse_half_built_views()
        return self._store.query(sql, params)

    def transaction(self, *, pipelined: bool = False) -> AbstractContextManager[Transaction]:
        return self._store.transaction(pipelined=pipelined)

    def reading(self) -> AbstractContextManager[Reads]:
        return self._store.reading()

    def close(self) -> None:
        self._store.close()

    def _refuse_half_built_views(self) -> None:
        if not self._tracking_exists:  # views never built cannot be half built
            exists = _TABLE_EXISTS.get(self.kind)
            if exists is None or not self._store.query(exists, (TRACKING_TABLE,)):
                return
            self._tracking_exists = True
        marked = self._store.query(_MARKED)
        if marked:
            raise ViewBeingRebuiltError([str(row[0]) for row in marked])

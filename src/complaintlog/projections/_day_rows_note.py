"""``DayRowsNote``: a view's note that its day rows are kept, true to the committed tables.

The SLA and statistics views keep day rows beside their per-complaint rows, except while a
rebuild writes the latter (the day rows are derived at its end). Which of the two holds is
decided inside the transactions that create, drop or refold the tables; one that rolls back
(an opener giving way to a writer) must leave the note as the committed tables say.
"""

from __future__ import annotations

__all__ = ["DayRowsNote"]


class DayRowsNote:
    """Mixed into a projection that sets ``_days_kept`` as its schema work decides and
    starts ``_days_committed`` as the tables it opens say."""

    _days_kept: bool
    _days_committed: bool

    def schema_ended(self, *, committed: bool) -> None:
        """A rolled back ``CREATE`` must not leave the note False beside day rows a writer
        keeps (they would miss this runner's changes), nor True beside none."""
        if committed:
            self._days_committed = self._days_kept
        else:
            self._days_kept = self._days_committed

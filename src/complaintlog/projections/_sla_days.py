"""Per-day SLA outcome counts of the SLA projection: what a report's compliance rates read.

One row per local calendar day (in the policy calendar's time zone, bucketed as the
statistics day rows are: :class:`~complaintlog.projections._day_starts.DayStarts`) and
metric counts the clocks whose outcome was decided that day (``outcome_us``: met, or breached
at the due time) and how many of them were on time (``on_time``). Informational clocks have
no outcome and are not counted.

The rows are a pure function of the clock rows:

* a full rebuild writes only the clock rows and :func:`build` derives every outcome row from
  them at the end, in one pass (the projection's ``create_indexes``);
* an incremental catch-up applies to the touched days the difference between the changed
  clocks' committed rows and their new ones (:func:`update`).

Either way the rows are canonical (days and metrics with nothing decided left out), so a
rebuild and a catch-up leave identical tables.

Like the clock rows, they hold outcomes still ahead (a running clock's breach at its due
time): a report as of a moment reads the whole days before that moment's day from here, and
that day itself from the clock rows (:func:`read_outcomes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from complaintlog.projections._day_starts import DayStarts
from complaintlog.projections._framework.reader import chunks
from complaintlog.projections._store import Transaction, compose

__all__ = [
    "OUTCOME_DAYS",
    "SLA_CONFIG",
    "Counts",
    "Outcome",
    "build",
    "count",
    "create_outcome_days_table",
    "read_outcomes",
    "update",
]

OUTCOME_DAYS = "complaintlog_sla_outcome_days"
SLA_CONFIG = "sla-7"
"""The SLA projection's configuration version from which it keeps the outcome rows (a
store still at an older one, not yet caught up, has none)."""

Outcome = tuple[str, int, int]
"""A decided clock as the rows count it: metric, ``outcome_us``, ``on_time`` (0 or 1)."""
Counts = dict[tuple[int, str], list[int]]
"""``[on_time, decided]`` by day start and metric."""


def create_outcome_days_table(tx: Transaction) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {OUTCOME_DAYS} (day_us BIGINT NOT NULL, "
        "metric TEXT NOT NULL, zone TEXT NOT NULL, on_time BIGINT NOT NULL, "
        "decided BIGINT NOT NULL, PRIMARY KEY (day_us, metric))"
    )


_PAGE = 20_000
"""Clock rows read at a time when the outcome rows are built from scratch."""


def _count(counts: Counts, day_of: DayStarts, outcomes: Iterable[Outcome], sign: int) -> None:
    of = day_of.of
    for metric, outcome, on_time in outcomes:
        key = (of(outcome), metric)
        found = counts.get(key)
        if found is None:
            found = counts[key] = [0, 0]
        found[0] += sign * on_time
        found[1] += sign


def _insert(tx: Transaction, zone: str, counts: Counts) -> None:
    rows = [
        (day, metric, zone, on_time, decided)
        for (day, metric), (on_time, decided) in sorted(counts.items())
        if decided
    ]
    if rows:
        tx.executemany(
            compose(
                "INSERT INTO {table} (day_us, metric, zone, on_time, decided) "
                "VALUES (?, ?, ?, ?, ?)",
                table=OUTCOME_DAYS,
            ),
            rows,
        )


def page_query(clocks_table: str) -> str:
    """The decided clocks after a ``(complaint_id, clock_key)``, in key order, a page at a time.

    The row-value comparison lets both databases seek to where the last page ended. Written
    as ``complaint_id > ? OR (complaint_id = ? AND clock_key > ?)``, SQLite scanned the key
    from its start for every page: a third of a rebuild's time at a million complaints.
    """
    return compose(
        "SELECT complaint_id, clock_key, metric, outcome_us, on_time FROM {clocks} "
        "WHERE (complaint_id, clock_key) > (?, ?) AND outcome_us IS NOT NULL "
        "ORDER BY complaint_id, clock_key LIMIT ?",
        clocks=clocks_table,
    )


def count(counts: Counts, day_of: DayStarts, outcomes: Iterable[Outcome]) -> None:
    """Add decided clocks to ``counts`` (by local day and metric)."""
    _count(counts, day_of, outcomes, 1)


def build(
    tx: Transaction,
    clocks_table: str,
    day_of: DayStarts,
    zone: str,
    counted: Counts | None = None,
) -> None:
    """Write every outcome row, for the clock rows a rebuild has written: from what it
    ``counted`` as it wrote them (:func:`count`), or else read from the clock rows."""
    tx.execute(compose("DELETE FROM {table}", table=OUTCOME_DAYS))
    if counted is not None:
        _insert(tx, zone, counted)
        return
    counts: Counts = {}
    # in pages along the primary key: a million complaints have millions of clocks, and
    # the rebuild's memory must not grow with the history
    select = page_query(clocks_table)
    after = ("", "")
    while True:
        page = tx.query(select, (after[0], after[1], _PAGE))
        if not page:
            break
        _count(counts, day_of, (row[2:] for row in page), 1)
        after = (page[-1][0], page[-1][1])
    _insert(tx, zone, counts)


def update(
    tx: Transaction,
    clocks_table: str,
    day_of: DayStarts,
    zone: str,
    changed: dict[tuple[str, str], Outcome | None],
) -> None:
    """Move the outcome rows from the committed rows of the ``changed`` clocks (by complaint
    and clock key; their new outcome, ``None`` if undecided) to their new outcomes. Called
    before the clock rows are written: the table still holds the committed ones."""
    if not changed:
        return
    counts: Counts = {}
    before: list[Outcome] = []
    for chunk in chunks(sorted({complaint for complaint, _ in changed})):
        for complaint, key, metric, outcome, on_time in tx.query(
            compose(
                "SELECT complaint_id, clock_key, metric, outcome_us, on_time FROM {clocks} "
                "WHERE complaint_id IN ({marks}) AND outcome_us IS NOT NULL",
                clocks=clocks_table,
                marks=",".join("?" * len(chunk)),
            ),
            chunk,
        ):
            if (complaint, key) in changed:
                before.append((metric, int(outcome), int(on_time)))
    after = [outcome for outcome in changed.values() if outcome is not None]
    _count(counts, day_of, before, -1)
    _count(counts, day_of, after, 1)
    touched = sorted({day for (day, _), (on_time, decided) in counts.items() if on_time or decided})
    if not touched:
        return
    totals: Counts = {}
    for first in range(0, len(touched), 500):
        days = touched[first : first + 500]
        marks = ",".join("?" * len(days))
        for day, metric, on_time, decided in tx.query(
            compose(
                "SELECT day_us, metric, on_time, decided FROM {table} WHERE day_us IN ({marks})",
                table=OUTCOME_DAYS,
                marks=marks,
            ),
            days,
        ):
            totals[(int(day), metric)] = [int(on_time), int(decided)]
        tx.execute(
            compose(
                "DELETE FROM {table} WHERE day_us IN ({marks})", table=OUTCOME_DAYS, marks=marks
            ),
            days,
        )
    for key, (on_time, decided) in counts.items():
        found = totals.setdefault(key, [0, 0])
        found[0] += on_time
        found[1] += decided
    _insert(tx, zone, totals)


def read_outcomes(
    query: Any, clocks_table: str, lo: int, hi: int, cut: int | None, cut_day: int | None
) -> tuple[str | None, list[tuple[int, str, int, int]]]:
    """The zone of the rows (``None`` if there are none) and the outcomes decided in
    ``[lo, hi)`` by ``cut`` (if given; ``cut_day`` is the start of its day) as
    ``(moment, metric, on_time, decided)``: per day from the rows before ``cut_day``, and
    summed from the clock rows (at ``max(lo, cut_day)``) from ``cut_day`` to ``cut``.

    ``query`` is a store's ``query``."""
    zone = query(compose("SELECT zone FROM {table} LIMIT 1", table=OUTCOME_DAYS))
    days_end = hi if cut_day is None else min(hi, cut_day)
    found: list[tuple[int, str, int, int]] = [
        (int(day), metric, int(on_time), int(decided))
        for day, metric, on_time, decided in query(
            compose(
                "SELECT day_us, metric, on_time, decided FROM {table} "
                "WHERE day_us >= ? AND day_us < ? ORDER BY day_us, metric",
                table=OUTCOME_DAYS,
            ),
            (lo, days_end),
        )
    ]
    if cut is not None and cut_day is not None and days_end < hi:
        start = max(lo, cut_day)
        for metric, on_time, decided in query(
            compose(
                "SELECT metric, SUM(on_time), COUNT(*) FROM {clocks} WHERE outcome_us >= ? "
                "AND outcome_us < ? AND outcome_us <= ? GROUP BY metric ORDER BY metric",
                clocks=clocks_table,
            ),
            (start, hi, cut),
        ):
            found.append((start, metric, int(on_time or 0), int(decided)))
    return (zone[0][0] if zone else None), found

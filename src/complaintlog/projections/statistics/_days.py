"""Per-day figures of the statistics projection: what a report of settled history reads.

One row per local calendar day (in the policy calendar's time zone) holds everything the
statistics report needs of that day, pre-aggregated from the fact rows: counts, the exact
multisets of the acknowledge and resolve durations (sorted lists), remedies and escalation
levels per value, compensation amounts per currency (the amounts themselves, so a sum is
the exact ``Decimal`` sum a report of fact rows gives), survey score sums, repeat complaints,
and the cycles opened and closed that day (so the number open at any day boundary is a sum
over the days before it).

The day rows are a pure function of the fact rows (the per-complaint facts and, for repeat
complaints, the other complaints of the same customer):

* a full rebuild writes only the fact rows, page by page, and :func:`build` derives every
  day row from them at the end, in one pass (the projection's ``create_indexes``, which the
  runner calls when a rebuild is complete);
* an incremental catch-up applies to the touched days the difference between each changed
  complaint's contribution before (its committed fact row) and after (:func:`update`).

Either way the rows are canonical (lists sorted, zero counts left out, days with nothing
removed), so a rebuild and a catch-up leave identical tables.

Everything is filed by the day a thing happened, with no ``as_of`` cut: the rows answer a
report whose ``as_of`` is not before anything the facts hold (the usual "as of now"); the
report falls back on the fact rows otherwise (``StatisticsView.report``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from complaintlog.projections._day_starts import DayStarts
from complaintlog.projections._store import Transaction, compose

__all__ = [
    "DAYS_TABLE",
    "FACT_COLUMNS",
    "build",
    "Days",
    "contribute",
    "create_days_indexes",
    "create_days_table",
    "merge",
    "read_days",
    "repeats",
    "update",
]

DAYS_TABLE = "complaintlog_statistics_days"
REPEAT_WINDOW = 30 * 24 * 3600 * 1_000_000

# A cycle, as a list inside the facts' JSON column (``_facts`` builds them):
_STARTED, _RESOLVED, _RESOLVE_BUSINESS, _REMEDY, _AMOUNT, _CURRENCY = range(6)
_REOPENED, _FOLLOWED_UP, _SOLVED, _SURVEYED, _SCORE = range(7, 12)

FACT_COLUMNS = (
    "complaint_id",
    "customer_id",
    "dimension",
    "cause",
    "product",
    "received_us",
    "acknowledged_us",
    "ack_business_us",
    "withdrawn_us",
    "escalated_us",
    "escalation_level",
    "cycles",
)
"""What a day row depends on of a fact row, in this order (``cycles`` parsed)."""
_ID, _CUSTOMER, _DIMENSION, _CAUSE, _PRODUCT, _RECEIVED = range(6)
_ACKNOWLEDGED, _ACK_BUSINESS, _WITHDRAWN, _ESCALATED, _LEVEL, _CYCLES = range(6, 12)

_LISTS = frozenset({"ack", "resolve"})
_COUNTERS = frozenset({"levels", "remedies"})
_AMOUNTS = "compensation"
_COLUMNS = ("opened", "closed")
"""Kept in columns of their own, summed in SQL over every earlier day."""

Figures = dict[str, Any]
"""One day's figures: ints, sorted lists (``ack``, ``resolve``), counts per value
(``levels``, ``remedies``), amount strings per currency (``compensation``)."""
Days = dict[int, Figures]
"""Figures by the day's start (microseconds since the epoch)."""


# -- contributions ---------------------------------------------------------------------------


def _day(days: Days, day: int) -> Figures:
    found = days.get(day)
    if found is None:
        found = days[day] = {}
    return found


def _inc(figures: Figures, key: str, amount: int = 1) -> None:
    figures[key] = figures.get(key, 0) + amount


def _count(figures: Figures, key: str, value: str) -> None:
    counts = figures.get(key)
    if counts is None:
        counts = figures[key] = {}
    counts[value] = counts.get(value, 0) + 1


def _push(figures: Figures, key: str, value: Any) -> None:
    values = figures.get(key)
    if values is None:
        values = figures[key] = []
    values.append(value)


def contribute(days: Days, day_of: DayStarts, row: Sequence[Any]) -> None:
    """Add one complaint's figures (a row of :data:`FACT_COLUMNS`, ``cycles`` parsed) to
    ``days``, each by the day it happened; the same rules as ``StatisticsView._add`` with
    nothing cut by ``as_of``. Repeat complaints are not per complaint: see :func:`repeats`."""
    of = day_of.of
    into = _day(days, of(row[_RECEIVED]))
    _inc(into, "received")
    if row[_ESCALATED] is not None:
        _inc(into, "escalated")
        _count(into, "levels", row[_LEVEL])
    if row[_ACKNOWLEDGED] is not None:
        _push(_day(days, of(row[_ACKNOWLEDGED])), "ack", row[_ACK_BUSINESS])
    withdrawn = row[_WITHDRAWN]
    if withdrawn is not None:
        _inc(_day(days, of(withdrawn)), "withdrawn")
    for cycle in row[_CYCLES]:
        resolved = cycle[_RESOLVED]
        if resolved is not None:
            into = _day(days, of(resolved))
            _inc(into, "resolved")
            _push(into, "resolve", cycle[_RESOLVE_BUSINESS])
            _count(into, "remedies", cycle[_REMEDY])
            currency = cycle[_CURRENCY]
            if currency is not None:
                amounts = into.get(_AMOUNTS)
                if amounts is None:
                    amounts = into[_AMOUNTS] = {}
                amounts.setdefault(currency, []).append(cycle[_AMOUNT])
            if cycle[_REOPENED] is not None:
                _inc(into, "reopened")
            if cycle[_SURVEYED] is not None:
                _inc(into, "surveyed")
        if cycle[_FOLLOWED_UP] is not None:
            into = _day(days, of(cycle[_FOLLOWED_UP]))
            _inc(into, "follow_ups")
            if cycle[_SOLVED]:
                _inc(into, "solved")
        if cycle[_SURVEYED] is not None:
            into = _day(days, of(cycle[_SURVEYED]))
            _inc(into, "score_sum", cycle[_SCORE])
            _inc(into, "scores")
        # open from its start until resolved (the last one until withdrawn); a cycle that
        # ended before it started (cannot happen in a valid log) is never open
        opened = cycle[_STARTED]
        until = resolved if resolved is not None else withdrawn
        if until is None or until >= opened:
            _inc(_day(days, of(opened)), "opened")
            if until is not None:
                _inc(_day(days, of(until)), "closed")


def _key(row: Sequence[Any]) -> tuple[Any, ...] | None:
    """What makes a complaint a repeat of another: customer and the category's parts."""
    if row[_CUSTOMER] is None or (
        row[_DIMENSION] is None and row[_CAUSE] is None and row[_PRODUCT] is None
    ):
        return None
    return (row[_CUSTOMER], row[_DIMENSION], row[_CAUSE], row[_PRODUCT])


def repeats(rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """The repeat complaints among ``rows`` (of :data:`FACT_COLUMNS`, at least up to
    ``received_us``), with when they were received: those whose previous complaint of the
    same customer and category (in order of receipt, then id) came within the window.

    The same count as ``StatisticsView._add_repeats``' window function; its order among
    complaints received at the same moment is left to the database, here it is the id."""
    ordered = sorted(
        ((row[_RECEIVED], row[_ID], key) for row in rows if (key := _key(row)) is not None),
    )
    last: dict[tuple[Any, ...], int] = {}
    found: dict[str, int] = {}
    for received, complaint_id, key in ordered:
        before = last.get(key)
        if before is not None and received - before <= REPEAT_WINDOW:
            found[complaint_id] = received
        last[key] = received
    return found


# -- storage ---------------------------------------------------------------------------------


def create_days_table(tx: Transaction) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {DAYS_TABLE} (day_us BIGINT NOT NULL, zone TEXT NOT NULL, "
        "opened BIGINT NOT NULL, closed BIGINT NOT NULL, figures TEXT NOT NULL, "
        "PRIMARY KEY (day_us))"
    )


def create_days_indexes(tx: Transaction) -> None:
    # open complaints at a day boundary: a sum over every earlier day, from the index alone
    tx.execute(
        f"CREATE INDEX IF NOT EXISTS {DAYS_TABLE}_open ON {DAYS_TABLE} (day_us, opened, closed)"
    )


def _encode(figures: Figures) -> tuple[int, int, str] | None:
    """The row values of a day (``None`` for a day with nothing): canonical, so equal
    figures always give equal rows."""
    kept: Figures = {}
    for key, value in figures.items():
        if key in _COLUMNS:
            continue
        if key in _LISTS:
            if value:
                kept[key] = sorted(value)
        elif key in _COUNTERS:
            counts = {name: n for name, n in value.items() if n}
            if counts:
                kept[key] = counts
        elif key == _AMOUNTS:
            amounts = {currency: sorted(values) for currency, values in value.items() if values}
            if amounts:
                kept[key] = amounts
        elif value:
            kept[key] = value
    opened, closed = figures.get("opened", 0), figures.get("closed", 0)
    if not kept and not opened and not closed:
        return None
    return opened, closed, orjson.dumps(kept, option=orjson.OPT_SORT_KEYS).decode()


def _decode(opened: int, closed: int, text: str) -> Figures:
    figures: Figures = orjson.loads(text)
    if opened:
        figures["opened"] = int(opened)
    if closed:
        figures["closed"] = int(closed)
    return figures


def _write(tx: Transaction, zone: str, days: Days, *, replace: bool) -> None:
    if replace and days:
        for chunk in _chunks(sorted(days)):
            tx.execute(
                compose(
                    "DELETE FROM {table} WHERE day_us IN ({marks})",
                    table=DAYS_TABLE,
                    marks=",".join("?" * len(chunk)),
                ),
                chunk,
            )
    rows = []
    for day in sorted(days):
        encoded = _encode(days[day])
        if encoded is not None:
            rows.append((day, zone, *encoded))
    if rows:
        tx.executemany(
            compose(
                "INSERT INTO {table} (day_us, zone, opened, closed, figures) "
                "VALUES (?, ?, ?, ?, ?)",
                table=DAYS_TABLE,
            ),
            rows,
        )


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _fact_rows(tx: Transaction, facts_table: str, where: str, values: Sequence[Any]) -> list[Any]:
    rows: list[Any] = []
    for chunk in _chunks(values):
        rows.extend(
            tx.query(
                compose(
                    "SELECT {columns} FROM {table} WHERE {where} IN ({marks})",
                    columns=", ".join(FACT_COLUMNS),
                    table=facts_table,
                    where=where,
                    marks=",".join("?" * len(chunk)),
                ),
                chunk,
            )
        )
    return rows


def _parsed(row: Sequence[Any]) -> list[Any]:
    parsed = list(row)
    parsed[_CYCLES] = orjson.loads(row[_CYCLES])
    return parsed


def build(
    tx: Transaction,
    facts_table: str,
    day_of: DayStarts,
    zone: str,
    counted: Days | None = None,
) -> None:
    """Write every day row, replacing any, for the fact rows a rebuild has written: the
    complaints' own figures from what it ``counted`` as it wrote them (:func:`contribute`),
    or else read from the fact rows; repeat complaints from the fact rows either way."""
    tx.execute(compose("DELETE FROM {table}", table=DAYS_TABLE))
    if counted is not None:
        _repeats_and_write(tx, facts_table, day_of, zone, counted)
        return
    days: Days = {}
    after = ""
    select = compose(
        "SELECT {columns} FROM {table} WHERE complaint_id > ? ORDER BY complaint_id LIMIT ?",
        columns=", ".join(FACT_COLUMNS),
        table=facts_table,
    )
    loads = orjson.loads
    while True:
        page = tx.query(select, (after, 20_000))
        if not page:
            break
        for row in page:
            parsed = list(row)
            parsed[_CYCLES] = loads(row[_CYCLES])
            contribute(days, day_of, parsed)
        after = page[-1][_ID]
    _repeats_and_write(tx, facts_table, day_of, zone, days)


def _repeats_and_write(
    tx: Transaction, facts_table: str, day_of: DayStarts, zone: str, days: Days
) -> None:
    # repeat complaints: in SQL, over the whole table in order of receipt (then id)
    for (received,) in tx.query(
        compose(
            "SELECT received_us FROM (SELECT received_us, received_us - LAG(received_us) OVER "
            "(PARTITION BY customer_id, dimension, cause, product "
            "ORDER BY received_us, complaint_id) AS gap FROM {table} "
            "WHERE customer_id IS NOT NULL "
            "AND (dimension IS NOT NULL OR cause IS NOT NULL OR product IS NOT NULL)"
            ") AS ordered WHERE gap <= ?",
            table=facts_table,
        ),
        (REPEAT_WINDOW,),
    ):
        _inc(_day(days, day_of.of(received)), "repeat")
    _write(tx, zone, days, replace=False)


def update(
    tx: Transaction,
    facts_table: str,
    day_of: DayStarts,
    zone: str,
    changed: Sequence[Sequence[Any]],
) -> None:
    """Move the day rows from the committed fact rows of the ``changed`` complaints (rows of
    :data:`FACT_COLUMNS`, ``cycles`` parsed, about to be written) to their new figures.
    Called before the fact rows are written: the table still holds the committed ones."""
    if not changed:
        return
    old_rows = {
        row[_ID]: _parsed(row)
        for row in _fact_rows(tx, facts_table, "complaint_id", [row[_ID] for row in changed])
    }
    before: Days = {}
    after: Days = {}
    customers: set[str] = set()
    for new in changed:
        old = old_rows.get(new[_ID])
        if old is not None and old == list(new):
            continue
        if old is not None:
            contribute(before, day_of, old)
        contribute(after, day_of, new)
        if (old is None or _key(old) != _key(new)) and new[_CUSTOMER] is not None:
            customers.add(new[_CUSTOMER])
    if customers:
        theirs = {
            row[_ID]: row for row in _fact_rows(tx, facts_table, "customer_id", sorted(customers))
        }
        old_repeats = repeats(theirs.values())
        for new in changed:
            if new[_CUSTOMER] in customers:
                theirs[new[_ID]] = new
        new_repeats = repeats(theirs.values())
        for complaint_id, received in old_repeats.items():
            if complaint_id not in new_repeats:
                _inc(_day(before, day_of.of(received)), "repeat")
        for complaint_id, received in new_repeats.items():
            if complaint_id not in old_repeats:
                _inc(_day(after, day_of.of(received)), "repeat")
    touched = sorted(set(before) | set(after))
    if not touched:
        return
    days: Days = {day: {} for day in touched}
    for chunk in _chunks(touched):
        for day, opened, closed, text in tx.query(
            compose(
                "SELECT day_us, opened, closed, figures FROM {table} WHERE day_us IN ({marks})",
                table=DAYS_TABLE,
                marks=",".join("?" * len(chunk)),
            ),
            chunk,
        ):
            days[int(day)] = _decode(opened, closed, text)
    for day, figures in after.items():
        merge(days[day], figures, 1)
    for day, figures in before.items():
        merge(days[day], figures, -1)
    _write(tx, zone, days, replace=True)


def merge(into: Figures, part: Figures, sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) one day's figures."""
    for key, value in part.items():
        if key in _LISTS:
            values = into.setdefault(key, [])
            if sign > 0:
                values.extend(value)
            else:
                for item in value:
                    values.remove(item)
        elif key in _COUNTERS:
            counts = into.setdefault(key, {})
            for name, n in value.items():
                counts[name] = counts.get(name, 0) + sign * n
        elif key == _AMOUNTS:
            amounts = into.setdefault(key, {})
            for currency, items in value.items():
                values = amounts.setdefault(currency, [])
                if sign > 0:
                    values.extend(items)
                else:
                    for item in items:
                        values.remove(item)
        else:
            into[key] = into.get(key, 0) + sign * value


def read_days(query: Any, lo: int, hi: int) -> tuple[int, list[tuple[int, Figures]]]:
    """The cycles open at ``lo`` (a day start) and the figures of the days in ``[lo, hi)``.

    ``query`` is a store's ``query``."""
    open_before = query(
        compose(
            "SELECT COALESCE(SUM(opened - closed), 0) FROM {table} WHERE day_us < ?",
            table=DAYS_TABLE,
        ),
        (lo,),
    )[0][0]
    rows = query(
        compose(
            "SELECT day_us, opened, closed, figures FROM {table} "
            "WHERE day_us >= ? AND day_us < ? ORDER BY day_us",
            table=DAYS_TABLE,
        ),
        (lo, hi),
    )
    return int(open_before or 0), [
        (int(day), _decode(opened, closed, text)) for day, opened, closed, text in rows
    ]

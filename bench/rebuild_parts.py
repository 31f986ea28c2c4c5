"""Where a rebuild's time goes, beside the floor issue #17 judges it against.

    python bench/rebuild_parts.py --size 30000 --store sqlite|postgres [--repeat 3]
                                  [--json out.json]

The target "rebuild >= 1.0x eventsourcing's read + decode" compares the rebuild with
eventsourcing reading back events of a trivial aggregate (``bench/run.py``'s floor).
This measures, on one fresh store of ``--size`` complaints (``bench/workload.py``), in
events per second, medians of ``--repeat``, all in the same run:

* ``floor``: that floor, eventsourcing's read + decode of as many trivial events;
* ``es_read_log``: eventsourcing's read + decode of this log, the complaints' own events,
  through the log's mapper (what a projection built on eventsourcing's own reader pays);
* ``read``: the rebuild's own reading, complaint by complaint (``LogReader``), alone;
* ``fold``: the rebuild with the rows handed to the database discarded and no index or
  day row built: reading, folding and making every view's rows, nothing stored;
* ``no_indexes``: the rebuild storing its rows, with no index built (nor the day rows,
  derived with the indexes at the end);
* ``rebuild``: ``Projections(log).rebuild()``, all of it.

Each later part does all the work of the one before it and more, so the differences are
what each step costs: if ``fold`` alone is below the floor, no way of storing the views
can bring the rebuild up to it. The rows are discarded by replacing the view store's
``append`` and ``executemany``, and the indexes left out by replacing the views'
``create_indexes``, for the measurement only (``unittest.mock``); the report says how many
rows and indexes each part left in the views, so that it shows what was left out.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from complaintlog import ComplaintLog
from complaintlog.projections import LogReader, Projections
from complaintlog.projections._store import _PostgresTransaction, _SqliteTransaction, compose
from complaintlog.projections.agenda._projection import AgendaProjection
from complaintlog.projections.current_state._projection import CurrentStateProjection
from complaintlog.projections.sla._projection import SlaProjection
from complaintlog.projections.statistics._projection import StatisticsProjection

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from partitions import arguments, described, imported_store, published  # noqa: E402
from run import drop_schemas, eventsourcing_floor, fresh_store, source_commit  # noqa: E402

PAGE = 10_000
PARTS = ("floor", "es_read_log", "read", "fold", "no_indexes", "rebuild")
LABELS = {
    "floor": "floor: eventsourcing read + decode, trivial events",
    "es_read_log": "eventsourcing read + decode of this log",
    "read": "the rebuild's reading alone (LogReader, by complaint)",
    "fold": "rebuild, rows discarded, no indexes or day rows",
    "no_indexes": "rebuild, rows stored, no indexes or day rows",
    "rebuild": "rebuild, all of it",
}
INDEXES_OF_TABLES = {
    "sqlite": "SELECT COUNT(*) FROM sqlite_master "
    "WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
    "postgres": "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() "
    "AND indexname NOT LIKE '%%_pkey' AND tablename IN ({marks})",
}
"""Indexes made by ``CREATE INDEX`` on the tables named (SQLite's automatic ones for a key
have no ``sql``; PostgreSQL's are named ``..._pkey``)."""
VIEWS = (CurrentStateProjection, SlaProjection, AgendaProjection, StatisticsProjection)


@contextlib.contextmanager
def without_indexes() -> Iterator[None]:
    """Every view's ``create_indexes`` does nothing, for the ``with`` block."""
    with contextlib.ExitStack() as stack:
        for view in VIEWS:
            stack.enter_context(mock.patch.object(view, "create_indexes", _nothing))
        yield


@contextlib.contextmanager
def rows_discarded() -> Iterator[None]:
    """The view stores' ``append`` and ``executemany`` drop their rows, for the block."""
    with contextlib.ExitStack() as stack:
        for transaction in (_SqliteTransaction, _PostgresTransaction):
            for name in ("append", "executemany"):
                stack.enter_context(mock.patch.object(transaction, name, _nothing))
        yield


def _nothing(*_: Any, **__: Any) -> None:
    return None


def es_read_log(log: ComplaintLog) -> int:
    """eventsourcing's read + decode of this log's events, page by page, as the floor reads."""
    recorder, mapper = log._app.recorder, log._app.mapper
    count, start = 0, 1
    while page := recorder.select_notifications(start, PAGE):
        for notification in page:
            mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id + 1
    return count


def read_by_complaint(log: ComplaintLog) -> int:
    """The rebuild's reading of the whole log, complaint by complaint, nothing folded."""
    reader = LogReader(log)
    stop, after, count = reader.last_position(), "", 0
    try:
        while (page := reader.read_by_complaint(after, PAGE, stop)) is not None:
            events, after = page
            count += len(events)
    finally:
        reader.close()
    return count


def rebuild(log: ComplaintLog) -> int:
    with Projections(log) as views:
        return views.rebuild()


def views_left(log: ComplaintLog) -> dict[str, int]:
    """The rows in the views' tables and the indexes on them, other than a table's own key:
    what a part left behind, so that the report shows its rows and indexes were (not) made."""
    with Projections(log) as views:
        tables = [table for view in views._follower.projections for table in view.tables]
        rows = sum(
            int(views.store.query(compose("SELECT COUNT(*) FROM {table}", table=table))[0][0])
            for table in tables
        )
        template = INDEXES_OF_TABLES[views.store.kind]
        indexes = views.store.query(compose(template, marks=", ".join("?" * len(tables))), tables)
    return {"rows": rows, "indexes": int(indexes[0][0])}


def timed(action: Callable[[], int], repeat: int) -> tuple[float, int]:
    """Median events per second of ``repeat`` runs, and the events each handled."""
    rates, events = [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        events = action()
        rates.append(events / (time.perf_counter() - began))
    return statistics.median(rates), events


def main() -> None:
    args = arguments(__doc__, default_size=30_000)
    measured_commit = source_commit()
    rates: dict[str, float] = {}
    left: dict[str, dict[str, int]] = {}
    floors = []
    with tempfile.TemporaryDirectory(prefix="complaintlog-floor-") as folder:
        try:
            for _ in range(args.repeat):  # a fresh store each time, as bench/run.py's
                name = f"es-{uuid.uuid4().hex[:6]}"
                env = fresh_store(args.store, Path(folder), name, args.postgres_url)
                floors.append(eventsourcing_floor(env, args.size)[1])
        finally:
            drop_schemas(args.postgres_url)
    rates["floor"] = statistics.median(floors)
    with imported_store(args) as (url, events), ComplaintLog(url) as log:
        steps: dict[str, Callable[[], int]] = {
            "es_read_log": lambda: es_read_log(log),
            "read": lambda: read_by_complaint(log),
            "fold": lambda: rebuild(log),
            "no_indexes": lambda: rebuild(log),
            "rebuild": lambda: rebuild(log),
        }
        for part, step in steps.items():
            with contextlib.ExitStack() as stack:
                if part in ("fold", "no_indexes"):
                    stack.enter_context(without_indexes())
                if part == "fold":
                    stack.enter_context(rows_discarded())
                rates[part], handled = timed(step, args.repeat)
                left[part] = views_left(log)  # before opening views builds missing indexes
            if handled != events:
                raise SystemExit(f"{part} handled {handled} events of {events}")
    report = described(args, events, measured_commit)
    del report["workers"]  # one process throughout
    report["events_per_second"] = rates
    report["of_floor"] = {part: rates[part] / rates["floor"] for part in PARTS}
    report["microseconds_per_event"] = {part: 1e6 / rates[part] for part in PARTS}
    report["views_left"] = left
    width = max(map(len, LABELS.values()))
    print(f"{args.store}, {args.size:,} complaints, {events:,} events, medians of {args.repeat}")
    for part in PARTS:
        print(
            f"{LABELS[part]:>{width}}: {rates[part]:>9,.0f} events/s  "
            f"{report['microseconds_per_event'][part]:5.1f} µs/event  "
            f"{report['of_floor'][part]:4.2f} of the floor"
        )
    published(report, args.json, width=width)


if __name__ == "__main__":
    main()

"""The projections' figures for ``bench/run.py``, on a log it has just imported.

``measure(log, complaints)`` returns, in one run:

* ``rebuild``: a full rebuild of the three views (current state, SLA, statistics), in events
  per second; on a file store (SQLite, PostgreSQL) it runs in a child process against the
  same store, which also gives ``rebuild_peak_rss_mb``, the child's peak resident memory
  (its ``VmHWM``; see :func:`peak_rss_kb`), free of the parent's import and floors;
* ``catch_up_1000_ms``: bringing the views up to date after 1,000 new events;
* ``catch_up_1_ms`` (median) and ``catch_up_1_max_ms``: after one new event, either a new
  complaint or a step of an old one whose rows are not in the runner's cache;
* ``open_page_ms``, ``breaches_ms``, ``monthly_stats_ms``: the first page of open
  complaints, the first page of the breach list as of now (ongoing breaches), and one
  month's statistics, each the median of several calls on the built views;
* ``agenda_one_assignee_ms`` (and ``_week_ago_ms``): one handler's agenda of the next day,
  as of now and as it stood a week ago.

    python bench/projection_bench.py --child-rebuild URL

is the child's side: one timed rebuild, printed as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from complaintlog import ComplaintLog
from complaintlog.projections import Projections

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import import_events, receive_one_more, received_at, workload_end  # noqa: E402

__all__ = ["measure"]

QUERY_CALLS = 21
ONE_EVENT_SAMPLES = 50


def measure(log: ComplaintLog, complaints: int | None = None) -> dict[str, Any]:
    """Rebuild, catch-up, query and memory figures of the projections of ``log``."""
    if complaints is None:
        complaints = log.max_position() // 7
    figures: dict[str, Any] = {}
    child = log.settings.kind in {"sqlite", "postgres"} and log.settings.url != "sqlite:///:memory:"
    if child:
        result = rebuild_in_child(log.settings.url)
        figures["rebuild"] = result["events"] / result["seconds"]
        figures["rebuild_s"] = result["seconds"]
        figures["rebuild_peak_rss_mb"] = result["maxrss_kb"] / 1024
    with Projections(log) as views:
        if not child:
            events, seconds = timed_rebuild(views)
            figures["rebuild"] = events / seconds
            figures["rebuild_s"] = seconds
        figures.update(catch_up_figures(log, views, complaints))
        figures.update(query_figures(log, views, complaints))
    return figures


# -- rebuild -----------------------------------------------------------------------------------


def timed_rebuild(views: Projections) -> tuple[int, float]:
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    events = views.rebuild()
    seconds = time.perf_counter() - start
    gc.unfreeze()
    return events, seconds


def rebuild_in_child(url: str) -> dict[str, Any]:
    """One timed rebuild in a fresh Python process against the same store."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child-rebuild", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        msg = f"the rebuild child failed ({done.returncode}):\n{done.stderr}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def peak_rss_kb() -> int:
    """This process's peak resident memory in kilobytes.

    On Linux the high-water mark of the process's own memory (``VmHWM``): ``ru_maxrss``
    (``RUSAGE_SELF``, or ``RUSAGE_CHILDREN`` in the parent) also counts the memory of the
    parent at the moment it started the child (the exec replaces an address space that
    was the parent's), which after an import of 100,000 complaints is larger than the
    whole rebuild.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child_rebuild(url: str) -> None:
    with ComplaintLog(url) as log, Projections(log) as views:
        events, seconds = timed_rebuild(views)
    print(json.dumps({"events": events, "seconds": seconds, "maxrss_kb": peak_rss_kb()}))


# -- catch-up --------------------------------------------------------------------------------


def _ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def catch_up_figures(log: ComplaintLog, views: Projections, complaints: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    views.catch_up()  # current before we start
    old = [
        str(row[0])
        for row in views.store.query(
            "SELECT complaint_id FROM complaintlog_current_state WHERE status = ? "
            "ORDER BY complaint_id LIMIT ?",
            ("closed", ONE_EVENT_SAMPLES),
        )
    ]
    import_events(log, 1000, start=complaints)
    start = time.perf_counter()
    figures["catch_up_1000_events"] = views.catch_up()
    figures["catch_up_1000_ms"] = (time.perf_counter() - start) * 1000
    late = workload_end(complaints) - timedelta(days=1)  # after every event so far
    samples: list[float] = []
    for n in range(ONE_EVENT_SAMPLES):
        receive_one_more(log, n, late)
        samples.append(_ms(views.catch_up))
        if n < len(old):  # a step of an old complaint: its rows are loaded from the views
            log.follow_up(old[n], solved=True, at=late)
            samples.append(_ms(views.catch_up))
    figures["catch_up_1_ms"] = statistics.median(samples)
    figures["catch_up_1_max_ms"] = max(samples)
    return figures


# -- queries ---------------------------------------------------------------------------------


def _median_ms(action: Callable[[], object]) -> float:
    action()  # warm
    return statistics.median(_ms(action) for _ in range(QUERY_CALLS))


def _month(moment: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The calendar month holding ``moment`` in the report's time zone."""
    local = moment.astimezone(zone)
    first = datetime(local.year, local.month, 1, tzinfo=zone)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def query_figures(log: ComplaintLog, views: Projections, complaints: int) -> dict[str, Any]:
    now = log.clock()
    month_start, month_end = _month(received_at(complaints // 2), views.statistics.time_zone)
    figures: dict[str, Any] = {
        "open_page_ms": _median_ms(lambda: views.current_state.open(limit=20)),
        "breaches_ms": _median_ms(lambda: views.sla.breaches(now, ongoing_only=True, limit=100)),
        "monthly_stats_ms": _median_ms(lambda: views.statistics.monthly(month_start, month_end)),
    }
    # One handler's agenda: what agent-7 (one of the workload's 40) must do today and
    # tomorrow, as of now and as it stood a week ago (the ended segments' index).
    today, week_ago = now + timedelta(days=1), now - timedelta(days=7)
    figures["agenda_one_assignee_ms"] = _median_ms(
        lambda: views.agenda.due(as_of=now, until=today, assignee="agent-7")
    )
    figures["agenda_one_assignee_rows"] = len(
        views.agenda.due(as_of=now, until=today, assignee="agent-7")
    )
    figures["agenda_one_assignee_first_50_ms"] = _median_ms(
        lambda: views.agenda.due(as_of=now, until=today, assignee="agent-7", limit=50)
    )
    figures["agenda_one_assignee_week_ago_ms"] = _median_ms(
        lambda: views.agenda.due(
            as_of=week_ago, until=week_ago + timedelta(days=1), assignee="agent-7"
        )
    )
    figures["agenda_one_assignee_week_ago_rows"] = len(
        views.agenda.due(as_of=week_ago, until=week_ago + timedelta(days=1), assignee="agent-7")
    )
    figures["open_page_rows"] = len(views.current_state.open(limit=20))
    figures["breaches_rows"] = len(views.sla.breaches(now, ongoing_only=True, limit=100))
    month = views.statistics.monthly(month_start, month_end)
    assert len(month) == 1, "one month asked, one period answered"
    figures["monthly_stats_received"] = month[0].received
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child-rebuild", metavar="URL", required=True)
    arguments = parser.parse_args()
    _child_rebuild(arguments.child_rebuild)


if __name__ == "__main__":
    main()

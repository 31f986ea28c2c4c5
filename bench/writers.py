"""Concurrent writers on one PostgreSQL log: throughput, and no event lost or doubled.

``concurrent_import(url, complaints, writers)`` starts ``writers`` processes (this file,
run as a script) that each connect, wait for a common start time, and import their share
of ``complaints`` (distinct complaints, the same workload) into the log at ``url``; it
returns the events per second of all of them together
(first start to last finish). ``check_log(url, expected)`` then counts what the log holds:
every event once, each complaint's versions 1..n without a gap, and notification ids
distinct and gapless.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from complaintlog import ComplaintLog

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workload import EVENTS_PER_COMPLAINT, import_complaints, workload_end  # noqa: E402

__all__ = ["check_log", "concurrent_import"]


def _writer(url: str, complaints: int, start: int, total: int, start_at: float) -> None:
    """One writer process: connect, wait for the common start, import, report as JSON."""
    with ComplaintLog(url, clock=lambda: workload_end(total)) as log:
        log.max_position()  # connected before the start
        time.sleep(max(start_at - time.time(), 0))
        began = time.time()
        events = import_complaints(log, complaints, start=start)
        ended = time.time()
    print(json.dumps({"began": began, "ended": ended, "events": events}))


def concurrent_import(url: str, complaints: int, writers: int) -> dict[str, float]:
    """Import ``complaints`` in ``writers`` processes at once; events per second overall."""
    # Create the tables first: eventsourcing's CREATE TABLE IF NOT EXISTS, run by several
    # processes opening a fresh schema at once, fails with "tuple concurrently updated".
    ComplaintLog(url).close()
    share = complaints // writers
    start_at = time.time() + 5 + writers  # time for every process to start and connect
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                url,
                str(share),
                str(index * share),
                str(complaints),
                repr(start_at),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(writers)
    ]
    outcomes: list[dict[str, float]] = []
    failures: list[str] = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            failures.append(f"exit code {process.returncode}: {err.strip()[-2000:]}")
        else:
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
    if failures:
        msg = "a writer process failed: " + "\n".join(failures)
        raise RuntimeError(msg)
    began = min(outcome["began"] for outcome in outcomes)
    ended = max(outcome["ended"] for outcome in outcomes)
    events = sum(outcome["events"] for outcome in outcomes)
    return {"events": events, "seconds": ended - began, "rate": events / (ended - began)}


def check_log(url: str, expected_events: int) -> dict[str, int]:
    """What the PostgreSQL log at ``url`` holds, against what the writers recorded."""
    import psycopg
    from psycopg import sql

    with ComplaintLog(url) as log:
        recorder: Any = log.recorder
        table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        base = url.split("?")[0]
    with psycopg.connect(base) as connection:
        row = connection.execute(
            sql.SQL(
                "SELECT COUNT(*), COUNT(DISTINCT notification_id), "
                "COALESCE(MAX(notification_id) - MIN(notification_id) + 1, 0), "
                "COUNT(DISTINCT originator_id) FROM {}"
            ).format(table)
        ).fetchone()
        assert row is not None
        count, distinct_ids, id_span, streams = (int(value) for value in row)
        gaps = connection.execute(
            sql.SQL(
                "SELECT COUNT(*) FROM (SELECT originator_id FROM {} GROUP BY originator_id "
                "HAVING MIN(originator_version) <> 1 "
                "OR MAX(originator_version) <> COUNT(*)) AS broken"
            ).format(table)
        ).fetchone()
        assert gaps is not None
    return {
        "events": count,
        "lost": max(expected_events - count, 0),
        "doubled": max(count - expected_events, 0),
        "streams": streams,
        "streams_with_gaps": int(gaps[0]),
        "notification_id_gaps": id_span - distinct_ids,
        "notification_id_repeats": count - distinct_ids,
        "expected_streams": expected_events // EVENTS_PER_COMPLAINT,
    }


if __name__ == "__main__":
    _writer(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))

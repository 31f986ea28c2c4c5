"""Issue #14: a newcomer imports their own data, then reads the default report.

Expected figures come from the small CSV files in ``data/`` read by hand (four city
requests, 2013) or with the csv module.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from complaintlog import ComplaintLog, SlaPolicy
from complaintlog.data import bundled_csv
from complaintlog.importing import import_csv
from complaintlog.report import report_data

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def _log() -> ComplaintLog:
    return ComplaintLog(clock=lambda: NOW)


def test_a_cfpb_row_with_a_narrative_over_20000_characters_imports(tmp_path: Path) -> None:
    with bundled_csv().open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, first = rows[0], rows[1]
    narrative = ("I was charged twice and nobody answered my letters. " * 430).strip()
    assert len(narrative) > 21_900
    first[header.index("Consumer complaint narrative")] = narrative
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, first])
    log = _log()
    summary = import_csv(log, path)
    assert (summary.rows, summary.rejected, summary.stored) == (1, 0, 1), summary.rejects
    found = log.find(f"cfpb:{first[header.index('Complaint ID')]}")
    assert found is not None
    assert log.get(found).description == narrative


def test_the_default_report_of_a_historical_import_counts_no_breach_it_cannot_know() -> None:
    log = _log()
    summary = import_csv(log, DATA / "city.csv", mapping=DATA / "city.toml")
    assert (summary.rows, summary.stored, summary.rejected) == (4, 4, 0), summary.rejects
    data = report_data(log, policy=SlaPolicy.preset("default"))
    # No follow-up, survey or acknowledgement column: none of those targets applies, so
    # nothing is breaching for them, and the three closed requests breach nothing at all.
    metrics = {row.metric for row in data.breaches}
    assert metrics <= {"resolve"}
    assert not metrics & {"follow_up", "survey", "acknowledge", "first_response"}
    by_metric = {row.metric: row for row in data.metrics}
    for metric in ("acknowledge", "follow_up", "survey"):
        row = by_metric.get(metric)
        assert row is None or (row.decided, row.breaching_now) == (0, 0), row
    # resolve is recorded: R-1 (2 business days) met, R-4 (same day) met, R-2 (47 days)
    # missed, R-3 still open since 2013: missed, and the one breach a person can act on.
    resolve = by_metric["resolve"]
    assert (resolve.decided, resolve.on_time) == (4, 2)
    assert {row.complaint for row in data.breaches} == {"city:R-3"}


def test_an_assumed_acknowledgement_is_no_miss(tmp_path: Path) -> None:
    mapping = (DATA / "acme.toml").read_text(encoding="utf-8")
    log = _log()
    summary = import_csv(log, DATA / "acme.csv", mapping=DATA / "acme.toml")
    assert summary.stored == 3
    assert 'acknowledged = "Acknowledged"' in mapping
    data = report_data(log, policy=SlaPolicy.preset("default"))
    ack = {row.metric: row for row in data.metrics}["acknowledge"]
    # A-1 acknowledged after 5 minutes (met); A-3 closed without an acknowledgement time
    # (assumed at the closing: not measured); A-2 open and not yet acknowledged (missed).
    assert (ack.decided, ack.on_time) == (2, 1)
    view = log.get(log.find("acme:A-3"))  # type: ignore[arg-type]
    assert dict(view.attributes)["steps_not_recorded"].split()[:1] == ["acknowledge"]

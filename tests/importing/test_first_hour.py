"""Issue #14: a newcomer imports their own data, then reads the default report.

Expected figures come from the small CSV files in ``data/`` read by hand (four city
requests, 2013) or with the csv module.
"""

from __future__ import annotations

import csv
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from complaintlog import ComplaintLog, Remedy, SlaPolicy
from complaintlog.data import bundled_csv
from complaintlog.importing import MappingFileError, import_csv
from complaintlog.importing.mapping import Mapping
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
    assert summary.stored == 4
    assert 'acknowledged = "Acknowledged"' in mapping
    data = report_data(log, policy=SlaPolicy.preset("default"))
    ack = {row.metric: row for row in data.metrics}["acknowledge"]
    # A-1 acknowledged after 5 minutes (met); A-3 closed without an acknowledgement time
    # (assumed at the closing: not measured); open and never acknowledged
    # (missed).
    assert (ack.decided, ack.on_time) == (3, 1)
    view = log.get(log.find("acme:A-3"))  # type: ignore[arg-type]
    assert dict(view.attributes)["steps_not_recorded"].split()[:1] == ["acknowledge"]


def test_a_column_of_a_step_that_never_happened_is_kept() -> None:
    log = _log()
    import_csv(log, DATA / "city.csv", mapping=DATA / "city.toml")
    open_one = log.get(log.find("city:R-3"))  # type: ignore[arg-type]
    # {Status} is only used by the resolution summary: R-3 is open, so it stays here
    assert dict(open_one.attributes)["Status"] == "Open"
    assert dict(open_one.attributes)["Ward"] == "7"
    closed = log.get(log.find("city:R-1"))  # type: ignore[arg-type]
    assert "Status" not in dict(closed.attributes)  # recorded in the resolution summary
    assert closed.resolutions[0].summary == "Closed: Filled"


def test_a_team_is_responsible_from_receipt_without_a_routing_time() -> None:
    log = _log()
    import_csv(log, DATA / "city.csv", mapping=DATA / "city.toml")
    view = log.get(log.find("city:R-2"))  # type: ignore[arg-type]
    assert (view.team, view.assignee) == ("Sanitation", "Sanitation")
    assigned = next(e for e in log.history(view.id) if e.event == "Assigned")
    assert assigned.occurred_at == view.received_at


def test_an_unknown_channel_is_recorded_as_other_with_the_source_value() -> None:
    log = _log()
    mapping = Mapping.model_validate(
        {**tomllib.loads((DATA / "city.toml").read_text(encoding="utf-8")), "values": {}}
    )
    summary = import_csv(log, DATA / "city.csv", mapping=mapping)
    assert summary.rejected == 0
    assert summary.other_channels == {"Mobile App": 1}
    assert summary.as_dict()["channels_recorded_as_other"] == {"Mobile App": 1}
    view = log.get(log.find("city:R-4"))  # type: ignore[arg-type]
    assert (view.channel, dict(view.attributes)["Source"]) == ("other", "Mobile App")


def test_a_literal_that_is_never_valid_refuses_the_mapping_once(tmp_path: Path) -> None:
    text = (DATA / "city.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('remedy = "explanation"', 'remedy = "closed"'), encoding="utf-8")
    log = _log()
    with pytest.raises(MappingFileError, match=r"fields.remedy = 'closed'") as caught:
        import_csv(log, DATA / "city.csv", mapping=bad)
    assert "more" not in str(caught.value)
    assert log.max_position() == 0


def test_the_summary_names_the_index_events_the_export_also_lists() -> None:
    log = _log()
    summary = import_csv(log, DATA / "city.csv", mapping=DATA / "city.toml")
    assert summary.index_events == summary.stored == 4
    assert summary.events + summary.index_events == log.max_position()
    assert summary.as_dict()["events_in_store"] == log.max_position()


def test_cfpb_non_monetary_relief_is_a_remedy_of_that_meaning() -> None:
    with bundled_csv().open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = sum(
        r["Company response to consumer"] == "Closed with non-monetary relief" for r in rows
    )
    assert expected > 0
    log = _log()
    import_csv(log, bundled_csv())
    found = 0
    for row in rows:
        if row["Company response to consumer"] == "Closed with non-monetary relief":
            view = log.get(log.find(f"cfpb:{row['Complaint ID']}"))  # type: ignore[arg-type]
            assert view.remedy is Remedy.NON_MONETARY_RELIEF
            found += 1
    assert found == expected


def test_a_mapping_may_give_a_company_remedy_code(tmp_path: Path) -> None:
    text = (DATA / "city.toml").read_text(encoding="utf-8")
    own = tmp_path / "own.toml"
    own.write_text(
        text.replace('remedy = "explanation"', 'remedy = "{Resolution}"')
        + '\n[values.remedy]\n"Filled" = "pothole_filled"\n"Removed" = "cleaned"\n',
        encoding="utf-8",
    )
    log = _log()
    summary = import_csv(log, DATA / "city.csv", mapping=own)
    assert summary.rejected == 0, summary.rejects
    assert log.get(log.find("city:R-1")).remedy == "pothole_filled"  # type: ignore[arg-type]

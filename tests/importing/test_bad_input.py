"""Rows that cannot be recorded faithfully are rejected with their line; files that cannot be
read at all fail with one clear error naming the line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from complaintlog import ComplaintLog
from complaintlog.data import CFPB_SAMPLE, bundled_csv
from complaintlog.importing import ImportFileError, import_csv


def _sample_rows(count: int) -> tuple[list[str], list[list[str]]]:
    with bundled_csv(CFPB_SAMPLE).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [next(reader) for _ in range(count)]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_broken_rows_are_rejected_with_their_line_and_the_rest_imported(tmp_path: Path) -> None:
    header, rows = _sample_rows(6)
    rows[1] = rows[1][:-3]  # too few cells: line 3
    rows[2][0] = "2099-01-01"  # received in the future: line 4
    rows[2][13] = "2099-01-02"
    rows[3][0] = "yesterday"  # not a date: line 5
    rows[4][14] = "Closed with a smile"  # unknown response: line 6
    rejects = tmp_path / "rejects.csv"
    summary = import_csv(
        ComplaintLog("memory://"), _write(tmp_path / "in.csv", header, rows), rejects=rejects
    )
    assert (summary.rows, summary.imported, summary.rejected) == (6, 2, 4)
    assert [r.line for r in summary.rejects] == [3, 4, 5, 6]
    reasons = " | ".join(r.reason for r in summary.rejects)
    assert "15 cells" in reasons
    assert "future" in reasons
    assert "'yesterday'" in reasons
    assert "Closed with a smile" in reasons
    with rejects.open(encoding="utf-8", newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0][0] == "line"
    assert written[0][1].startswith("reason (WARNING: ")
    assert [row[0] for row in written[1:]] == ["3", "4", "5", "6"]
    assert written[3][2] == "yesterday"  # the row as it was


def test_a_malformed_csv_fails_naming_its_line_before_anything_is_saved(tmp_path: Path) -> None:
    header, rows = _sample_rows(3)
    path = _write(tmp_path / "in.csv", header, rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('2020-01-01,"unterminated\n')
    log = ComplaintLog("memory://")
    with pytest.raises(ImportFileError, match=r"in\.csv:5: malformed CSV"):
        import_csv(log, path)
    assert log.max_position() == 0


def test_an_unknown_layout_asks_for_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="pass --mapping"):
        import_csv(ComplaintLog("memory://"), path)


def test_a_missing_or_empty_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        import_csv(ComplaintLog("memory://"), tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ImportFileError, match="empty"):
        import_csv(ComplaintLog("memory://"), empty)


def test_a_file_that_is_not_text_is_one_clear_error(tmp_path: Path) -> None:
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"Date received,Product\n\xff\xfe\x00\x01,\x80\n")
    with pytest.raises(ImportFileError, match="not utf-8"):
        import_csv(ComplaintLog("memory://"), binary)


def test_a_cfpb_row_dated_today_is_not_in_the_future(tmp_path: Path) -> None:
    """CFPB dates are placed at noon US/Eastern; before 17:00 UTC a row dated today used to
    be rejected as lying in the future. Dates of today are recorded at the clock now."""
    from datetime import UTC, datetime

    header, rows = _sample_rows(2)
    morning = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 US/Eastern
    for row in rows:
        row[0] = "2026-03-02"  # received today
        row[13] = "2026-03-02"  # sent to the company today
    rows[1][0] = rows[1][13] = "2026-03-03"  # tomorrow (US/Eastern): still the future
    with ComplaintLog("memory://", clock=lambda: morning) as log:
        summary = import_csv(log, _write(tmp_path / "in.csv", header, rows))
        assert (summary.imported + summary.corrected, summary.rejected) == (1, 1)
        assert "future" in summary.rejects[0].reason
        (complaint,) = [log.get(cid) for cid in [log.find(f"cfpb:{rows[0][17]}")] if cid]
        assert complaint.received_at == morning

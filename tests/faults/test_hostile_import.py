"""Hostile cells in every column of an import: counted, kept exactly or rejected whole.

Each row of a CFPB-layout file (the 18-column export) is a valid complaint with one cell
replaced by a hand-picked hostile value (very long strings, control characters, SQL
fragments, confusables, NaN and infinities, far past and far future dates, values of the
wrong type, embedded newlines and quotes), plus rows with the wrong number of cells;
hypothesis then generates more. For every file:

- ``import_csv`` returns a summary (it raises only its own documented errors, and only
  for files it cannot read at all), and every row is counted once:
  imported + corrected + duplicate + rejected == rows;
- a rejected row leaves nothing: no complaint, no index entry;
- a stored row is stored whole (every event its plan has) and its hostile cell reads back
  verbatim from the stored events.

SQL fragments are also driven through the real queries: into SQLite and PostgreSQL, the
projections' tables and the queries that filter by those values, the personal-data key
table (through a mapped file's customer ids), and the store verifies clean afterwards.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.audit import new_audit_key, verify
from complaintlog.cli import app
from complaintlog.importing import (
    CFPB_18,
    CsvSource,
    ImportFileError,
    ImportSummary,
    import_csv,
)
from complaintlog.importing.cfpb import COLUMNS_18
from complaintlog.projections import Projections

from .conftest import COMPLAINT_TOPIC, contents


@pytest.fixture(autouse=True, scope="module")
def audit_key() -> Iterator[None]:
    """Imports here run with an audit key, so rows keep their keyed digest (row_hmac)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPLAINTLOG_AUDIT_KEY", new_audit_key())
        yield


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

BASE = {
    "Date received": "2020-08-07",
    "Product": "Credit card or prepaid card",
    "Sub-product": "Government benefit card",
    "Issue": "Trouble using the card",
    "Sub-issue": "Problem adding money",
    "Consumer complaint narrative": "",
    "Company public response": "",
    "Company": "U.S. BANCORP",
    "State": "PA",
    "ZIP code": "19141",
    "Tags": "",
    "Consumer consent provided?": "",
    "Submitted via": "Referral",
    "Date sent to company": "2020-08-11",
    "Company response to consumer": "Closed with explanation",
    "Timely response?": "Yes",
    "Consumer disputed?": "",
    "Complaint ID": "3790251",
}
"""A real row of the CFPB export (its first), which imports cleanly."""
assert tuple(BASE) == COLUMNS_18

SQL_FRAGMENTS = [
    "'; DROP TABLE stored_events; --",
    "Robert'); DROP TABLE complaintlog_current_state;--",
    '" OR "1"="1',
    "1; DELETE FROM complaintlog_events WHERE 1=1",
    "x' UNION SELECT state FROM stored_events --",
    "%s %(x)s ? $1 {0} {table}",
]
HOSTILE_CELLS = [
    # empty and blank
    "",
    " ",
    "\t",
    # long
    "x" * 201,
    "x" * 20_001,
    "y" * 100_000,
    "😀" * 60,
    # control characters and line breaks
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "bell\x07",
    "\x7f",
    "\u0085",
    "line\nbreak",
    "line\r\nbreak",
    "cr\ronly",
    "\u2028",
    # quotes and separators
    '"quoted"',
    'a "b" c',
    "a,b",
    "'",
    '"',
    ",,,",
    "\\",
    *SQL_FRAGMENTS,
    # confusables and invisible characters
    "\u202eevil",
    "\ufeffBOM",
    "zero\u200bwidth",
    "\u0440\u0430ypal",  # "paypal" starting with Cyrillic er and a
    "\uff37\uff45\uff42",  # "Web" in fullwidth letters
    "\u0421losed with explanation",  # starts with a Cyrillic capital es
    "Y\u0435s",  # "Yes" with a Cyrillic ie
    # number-like
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-0",
    "0x1F",
    "9" * 400,
    "12.5",
    "-1",
    # the wrong type
    "True",
    "None",
    "null",
    "[]",
    "{}",
    '{"a": 1}',
    # dates: far past, far future, impossible, other notations
    "1900-01-01",
    "1/1/1900",
    "1900-02-29",
    "2016-02-30",
    "2016-13-01",
    "9999-12-31",
    "12/31/9999",
    "2999-01-01",
    "1970-01-01T00:00:00",
    "2020-08-07T25:00",
    "+2020-08-07",
    "\u0662\u0660\u0662\u0660-\u0660\u0668-\u0660\u0667",  # Arabic-Indic digits
    "2020\u201008\u201007",  # Unicode hyphens
]
FAR_PAST = ["0001-01-01", "1/1/0001"]
"""Year-1 dates: imported like any other past date (see the note in docs/security.md)."""
BAD_COUNTS = (0, 1, 17, 19, 40)
"""Cell counts other than the layout's 18 (0: a row holding one empty cell)."""


# -- files -----------------------------------------------------------------------------------


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS_18)
        writer.writerows(rows)
    return path


def row_with(column: str, value: str, complaint_id: str) -> list[str]:
    row = {**BASE, "Complaint ID": complaint_id, column: value}
    return list(row.values())


def hand_picked_rows(values: Sequence[str]) -> list[list[str]]:
    """Every value in every column, one per row, each row with a Complaint ID of its own."""
    rows = [
        row_with(column, value, f"h-{c}-{v}")
        for c, column in enumerate(COLUMNS_18)
        for v, value in enumerate(values)
    ]
    base = list(BASE.values())
    rows.extend(([""] if count == 0 else (base * 3)[:count]) for count in BAD_COUNTS)
    return rows


# -- the checks ------------------------------------------------------------------------------


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def assert_accounted(log: ComplaintLog, path: Path, summary: ImportSummary) -> None:
    """Every row counted once; rejected rows left nothing; stored rows are whole and exact."""
    source = CsvSource.open(path)
    rows = list(source)
    assert summary.rows == len(rows)
    assert summary.balanced, summary.as_dict()
    found = contents(log)
    assert found.gaps == ()
    assert found.other_topics == {}
    assert set(found.registered.values()) <= {1}
    assert set(found.registered) == set(found.streams)
    key = log.audit_key
    assert key is not None  # set for this module: imported rows keep a keyed digest
    received = {}  # keyed row digest -> the complaint's events
    for ref, stream in found.streams.items():
        state = json.loads(stream[0][2])
        attributes = dict(state["attributes"])
        assert stream[0][1] == "Received"
        assert state["external_ref"] == ref
        assert "row_sha256" not in attributes  # never the plain digest
        received[attributes["row_hmac"]] = (ref, stream)
    assert len(received) == len(found.streams) == summary.stored
    rejected_lines = {rejected.line for rejected in summary.rejects}
    assert len(rejected_lines) == summary.rejected
    for row in rows:
        if row.line in rejected_lines:
            # nothing of the row was stored (an identical row would have been rejected too)
            assert key.row_mac(row.digest) not in received, row.line
            continue
        if key.row_mac(row.digest) not in received:
            continue  # a duplicate of a row stored before
        ref, stream = received[key.row_mac(row.digest)]
        plan = CFPB_18.plan(row).checked(NOW)
        assert ref == plan.external_ref
        assert len(stream) == 1 + len(plan.steps), f"line {row.line}: a partial complaint"
        stored: set[str] = set()
        for _, _, text in stream:
            stored.update(strings_in(json.loads(text)))
        for cell in row.cells:  # each cell reads back verbatim
            if cell.strip():
                assert any(cell.strip() in text for text in stored), (row.line, cell[:40])


def import_into(log: ComplaintLog, path: Path) -> ImportSummary:
    """The import; any escaping exception but a file-level ImportFileError fails the test."""
    return import_csv(log, path, batch_size=64)


# -- hand-picked -----------------------------------------------------------------------------


def test_hand_picked_hostile_cells_in_every_column_are_kept_exactly_or_rejected_whole(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "hostile.csv", hand_picked_rows([*HOSTILE_CELLS, *FAR_PAST]))
    with ComplaintLog(f"sqlite:///{tmp_path / 'h.db'}", clock=lambda: NOW) as log:
        summary = import_into(log, path)
        assert summary.rows == len(COLUMNS_18) * (len(HOSTILE_CELLS) + 2) + len(BAD_COUNTS)
        assert summary.stored > 0
        assert summary.rejected > 0
        assert_accounted(log, path, summary)
        counts = [r.reason for r in summary.rejects if "cells where the cfpb-18 layout" in r.reason]
        assert len(counts) == len(BAD_COUNTS)
        assert verify(log).ok


def test_importing_a_hostile_file_again_adds_nothing_and_rejects_the_same_rows(
    tmp_path: Path,
) -> None:
    rows = [
        row_with(column, value, f"a-{c}-{v}")
        for c, column in enumerate(("Complaint ID", "Company", "Date received", "Product"))
        for v, value in enumerate(HOSTILE_CELLS)
    ]
    path = write_csv(tmp_path / "hostile.csv", rows)
    with ComplaintLog(f"sqlite:///{tmp_path / 'h.db'}", clock=lambda: NOW) as log:
        first = import_into(log, path)
        position = log.max_position()
        again = import_into(log, path)
        assert log.max_position() == position
        assert (again.rows, again.duplicate) == (first.rows, first.stored)
        assert sorted(r.line for r in again.rejects) == sorted(r.line for r in first.rejects)


def test_a_file_that_is_not_utf8_is_one_file_error_and_stores_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", [row_with("Company", "ok", "b-1")])
    with path.open("ab") as handle:
        handle.write(b"2020-08-07,\xff\xfe,\x80" + b"," * 15 + b"\r\n")
    with ComplaintLog("memory://", clock=lambda: NOW) as log:
        with pytest.raises(ImportFileError, match="not utf-8"):
            import_into(log, path)
        assert log.max_position() == 0


# -- generated -------------------------------------------------------------------------------

printable = st.characters(exclude_categories=("Cs",))  # UTF-8 cannot hold lone surrogates
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
cells = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.text(printable, max_size=40),
    st.text(st.sampled_from("\x00\x1b\r\n\t\"',;\\ \u0085\u2028\u202e"), max_size=8),
    st.floats().map(repr),
    st.integers().map(str),
    dates.map(date.isoformat),
    dates.map(lambda d: f"{d.month}/{d.day}/{d.year:04d}"),
    st.datetimes().map(datetime.isoformat),
)
columns = st.sampled_from(COLUMNS_18)


@st.composite
def hostile_rows(draw: st.DrawFn) -> list[str]:
    row = dict(BASE, **{"Complaint ID": f"g-{draw(st.integers(0, 30))}"})
    for column in draw(st.lists(columns, min_size=1, max_size=3, unique=True)):
        row[column] = draw(cells)
    values = list(row.values())
    length = draw(st.sampled_from([18] * 8 + [1, 17, 19]))
    return (values * 2)[:length]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(hostile_rows(), min_size=1, max_size=6))
def test_generated_hostile_rows_are_counted_and_kept_exactly_or_rejected_whole(
    rows: list[list[str]], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "generated.csv", rows)
    with ComplaintLog("memory://", clock=lambda: NOW) as log:
        summary = import_into(log, path)
        assert_accounted(log, path, summary)
    event(f"stored={summary.stored > 0} rejected={summary.rejected > 0}")


# -- SQL through the real queries ------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sql.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


def test_sql_fragments_in_every_column_are_data_in_the_store_and_the_views(
    sql_store: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "sql.csv", hand_picked_rows(SQL_FRAGMENTS))
    with ComplaintLog(sql_store, clock=lambda: NOW) as log:
        summary = import_into(log, path)
        assert_accounted(log, path, summary)
        for fragment in SQL_FRAGMENTS:
            assert log.find(f"cfpb:{fragment}") is not None  # the fragment as a Complaint ID
        with Projections(log) as views:
            assert views.catch_up() == log.max_position()
            current = views.current_state
            for fragment in SQL_FRAGMENTS:
                (by_company,) = current.by_assignee(fragment)
                assert by_company.assignee == fragment
                (by_product,) = current.by_category(product=fragment)
                assert by_product.category is not None
                assert by_product.category.product == fragment
                (by_customer,) = current.by_customer(f"cfpb:{fragment}")
                assert by_customer.external_ref == f"cfpb:{fragment}"
                assert current.count(assignee=fragment, as_of=NOW) == 1
            assert current.count() == summary.stored
            (rows,) = views.store.query("SELECT COUNT(*) FROM complaintlog_statistics")
            assert rows[0] == summary.stored
        again = import_into(log, path)  # every refused row is refused again, the rest known
        assert again.duplicate == summary.stored
        report = verify(log)
        assert report.ok, report.problems[:3]
        assert report.complaints == summary.stored


MAPPING = """
[source]
name = "crm"
external_ref = "crm:{Ticket}"

[steps]
received = "Opened"

[fields]
customer_id = "{Customer}"
customer_name = "{Name}"
subject = "{Subject}"
description = "{Subject}"
"""


def test_sql_fragments_as_customer_ids_reach_the_key_table_as_data(
    sql_store: str, tmp_path: Path
) -> None:
    mapping = tmp_path / "crm.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "crm.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ticket", "Opened", "Customer", "Name", "Subject"])
        for n, fragment in enumerate(SQL_FRAGMENTS):
            writer.writerow([f"T-{n}", "2026-03-02T09:00:00+00:00", fragment, fragment, "Bill"])
        writer.writerow(["T-plain", "2026-03-02T09:00:00+00:00", "C-1", "Ana Lima", "Bill"])
    with ComplaintLog(sql_store, clock=lambda: NOW) as log:
        summary = import_csv(log, path, mapping=mapping)
        assert (summary.stored, summary.rejected) == (len(SQL_FRAGMENTS) + 1, 0)
        for n, fragment in enumerate(SQL_FRAGMENTS):
            complaint_id = log.find(f"crm:T-{n}")
            assert complaint_id is not None
            assert log.get(complaint_id).customer.name == fragment  # sealed, then opened
            erasure = log.erase_personal_data(fragment, reason="request", at=NOW)
            assert erasure.recorded == (complaint_id,)
            assert log.get(complaint_id).customer.erased
        plain = log.find("crm:T-plain")
        assert plain is not None
        assert log.get(plain).customer.name == "Ana Lima"  # the other customer's key is intact
        assert verify(log).ok
        events = [n for n in log.notifications() if n.topic.startswith(COMPLAINT_TOPIC)]
        assert len(events) == 2 * len(SQL_FRAGMENTS) + 1


def test_a_mapped_survey_score_in_superscript_digits_is_rejected_not_raised(
    tmp_path: Path,
) -> None:
    mapping = tmp_path / "crm.toml"
    mapping.write_text(
        MAPPING.replace("[steps]\n", '[steps]\nresolved = "Closed"\nsurveyed = "Closed"\n')
        + 'remedy = "explanation"\nsurvey_score = "{Score}"\n',
        encoding="utf-8",
    )
    path = tmp_path / "crm.csv"
    opened, closed = "2026-03-02T09:00:00+00:00", "2026-03-03T09:00:00+00:00"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ticket", "Opened", "Closed", "Customer", "Name", "Subject", "Score"])
        writer.writerow(["T-1", opened, closed, "C-1", "Ana", "Bill", "4"])
        writer.writerow(["T-2", opened, closed, "C-2", "Ivo", "Bill", "\u00b2"])
    with ComplaintLog("memory://", clock=lambda: NOW) as log:
        summary = import_csv(log, path, mapping=mapping)
        assert (summary.stored, summary.rejected) == (1, 1)
        assert "survey_score" in summary.rejects[0].reason


def test_a_zip_code_in_other_digits_is_kept_but_gives_no_zip5(tmp_path: Path) -> None:
    arabic_indic = "\u0661\u0662\u0663\u0664\u0665"
    path = write_csv(tmp_path / "zip.csv", [row_with("ZIP code", arabic_indic, "z-1")])
    with ComplaintLog("memory://", clock=lambda: NOW) as log:
        assert import_into(log, path).stored == 1
        complaint_id = log.find("cfpb:z-1")
        assert complaint_id is not None
        attributes = dict(log.history(complaint_id)[0].payload["attributes"])
        assert attributes["ZIP code"] == arabic_indic
        assert "zip5" not in attributes


# -- what the command line shows of hostile values ---------------------------------------------


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})


def test_imported_markup_is_shown_as_text_by_show_and_report(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'markup.db'}"
    row = {**BASE, "Product": "Card [/bold] prepaid", "Company": "U.S. [/] BANCORP"}
    path = write_csv(tmp_path / "markup.csv", [list(row.values())])
    assert cli("--store", store, "--quiet", "import", str(path)).exit_code == 0
    show = cli("--store", store, "show", f"cfpb:{BASE['Complaint ID']}")
    assert show.exit_code == 0, show.exception
    assert "[/bold]" in show.stdout
    report = cli("--store", store, "report", "--by", "product")
    assert report.exit_code == 0, report.exception


def test_imported_control_characters_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'escape.db'}"
    row = {**BASE, "State": "\x1b]0;owned\x07\x1b[2J\x1b[31mPA"}
    path = write_csv(tmp_path / "escape.csv", [list(row.values())])
    assert cli("--store", store, "--quiet", "import", str(path)).exit_code == 0
    show = cli("--store", store, "show", f"cfpb:{BASE['Complaint ID']}")
    assert show.exit_code == 0, show.exception
    assert "owned" in show.stdout
    assert "\x1b" not in show.stdout
    assert "\x07" not in show.stdout

"""The generic format: a TOML mapping describes any CSV layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaintlog import Channel, ComplaintLog, PromiseState, Remedy, Status
from complaintlog.importing import MappingFileError, import_csv, load_mapping

DATA = Path(__file__).parent / "data"


@pytest.fixture
def log() -> ComplaintLog:
    return ComplaintLog("memory://")


def test_a_mapped_file_is_imported_with_its_steps_values_and_rejects(log: ComplaintLog) -> None:
    summary = import_csv(log, DATA / "acme.csv", mapping=DATA / "acme.toml")
    assert (summary.rows, summary.imported, summary.corrected) == (7, 3, 1)
    # line 6's channel "Pigeon" is no refusal: recorded as other, the raw value kept
    assert (summary.duplicate, summary.rejected) == (1, 2)
    assert [r.line for r in summary.rejects] == [5, 8]
    assert summary.other_channels == {"Pigeon": 1}
    pigeon = log.get(log.find("acme:A-5"))  # type: ignore[arg-type]
    assert pigeon.channel is Channel.OTHER
    assert dict(pigeon.attributes)["Channel"] == "Pigeon"
    complaint_id = log.find("acme:A-1")
    assert complaint_id is not None
    view = log.get(complaint_id)
    assert view.channel is Channel.PHONE
    assert view.customer.name == "Ana Horvat"
    assert view.status is Status.CLOSED  # resolved and surveyed
    assert view.remedy is Remedy.REFUND
    assert str(view.resolutions[0].compensation) == "49.90 EUR"
    assert view.promises[0].state is PromiseState.KEPT
    assert view.received_at.isoformat() == "2025-02-03T08:15:00+00:00"  # Zagreb is UTC+1
    assert dict(view.attributes)["Region"] == "Zagreb"  # unmapped columns are kept
    # Telefon was mapped to phone: the raw value is kept too; Agent is recorded at receipt
    assert dict(view.attributes)["Channel"] == "Telefon"
    assert view.assignee == "marko"


def test_a_resolution_without_acknowledgement_time_says_it_was_assumed(log: ComplaintLog) -> None:
    import_csv(log, DATA / "acme.csv", mapping=DATA / "acme.toml")
    complaint_id = log.find("acme:A-3")
    assert complaint_id is not None
    acknowledged = next(e for e in log.history(complaint_id) if e.event == "Acknowledged")
    assert "time assumed" in acknowledged.payload["message"]
    correction = dict(log.get(complaint_id).attributes)["correction"]
    assert "Closed = 03.02.2025 12:00" in correction


def test_importing_a_mapped_file_again_adds_nothing(log: ComplaintLog) -> None:
    import_csv(log, DATA / "acme.csv", mapping=DATA / "acme.toml")
    before = log.max_position()
    again = import_csv(log, DATA / "acme.csv", mapping=DATA / "acme.toml")
    assert log.max_position() == before
    assert again.duplicate == 5  # the four stored rows and the repeated one


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[steps\nreceived = 'x'", "not valid TOML"),
        ("[steps]\nassigned = 'Agent'", "steps.received is required"),
        ("[source]\ntimezone = 'Mars/Olympus'\n[steps]\nreceived = 'x'", "unknown time zone"),
        ("[steps]\nreceived = 'x'\n[fields]\ncolour = 'y'", "fields.colour"),
    ],
)
def test_a_bad_mapping_file_names_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingFileError, match=problem):
        load_mapping(path)


def test_a_mapping_naming_missing_columns_is_refused_before_importing(
    tmp_path: Path, log: ComplaintLog
) -> None:
    path = tmp_path / "wrong.toml"
    path.write_text("[steps]\nreceived = 'Created at'\n", encoding="utf-8")
    with pytest.raises(MappingFileError, match="no column 'Created at'"):
        import_csv(log, DATA / "acme.csv", mapping=path)
    assert log.max_position() == 0


def _brands(tmp_path: Path, tenant: str) -> tuple[Path, Path]:
    data = tmp_path / "brands.csv"
    data.write_text(
        "Ticket,Opened,Brand,Text\n"
        "T-1,2025-02-03 09:00,Brand A,late parcel\n"
        "T-2,2025-02-03 10:00,Brand B,wrong bill\n"
        "T-3,2025-02-03 11:00,Brand ?,no brand we know\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "brands.toml"
    mapping.write_text(
        "[source]\nname = 'crm'\ntimezone = 'UTC'\ndate_formats = ['%Y-%m-%d %H:%M']\n"
        "external_ref = 'crm:{Ticket}'\n[steps]\nreceived = 'Opened'\n"
        f"[fields]\ndescription = '{{Text}}'\ntenant = '{tenant}'\n"
        "[values.tenant]\n'Brand A' = 'brand-a'\n'Brand B' = 'brand-b'\n",
        encoding="utf-8",
    )
    return data, mapping


def test_a_mapping_gives_each_complaint_its_tenant_from_a_column(
    log: ComplaintLog, tmp_path: Path
) -> None:
    data, mapping = _brands(tmp_path, "{Brand}")
    summary = import_csv(log, data, mapping=mapping)
    assert (summary.imported, summary.rejected) == (2, 1)
    assert "tenant" in summary.rejects[0].reason  # "Brand ?" is no tenant: the row is refused
    tenants = {ref: log.get(log.find(ref)).tenant for ref in ("crm:T-1", "crm:T-2")}  # type: ignore[arg-type]
    assert tenants == {"crm:T-1": "brand-a", "crm:T-2": "brand-b"}
    # mapped through values.tenant: the raw value is kept, as for a mapped channel
    assert dict(log.get(log.find("crm:T-1")).attributes)["Brand"] == "Brand A"  # type: ignore[arg-type]


def test_a_mapping_gives_every_complaint_one_tenant_as_a_constant(
    log: ComplaintLog, tmp_path: Path
) -> None:
    data, mapping = _brands(tmp_path, "brand-c")
    summary = import_csv(log, data, mapping=mapping)
    assert summary.imported == 3
    assert {log.get(i).tenant for i in log.complaint_ids()} == {"brand-c"}

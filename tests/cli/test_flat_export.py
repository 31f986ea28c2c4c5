"""The flat CSV and XLSX exports and their filters, checked against the JSON Lines export."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from complaintlog.cli import app

from .conftest import Demo

runner = CliRunner()


def _invoke(store: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store", store, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def jsonl(demo: Demo) -> list[dict[str, Any]]:
    code, stdout, err = _invoke(demo.store, "export")
    assert code == 0, err
    return [json.loads(line) for line in stdout.splitlines()]


def _flat(record: dict[str, Any]) -> dict[str, str]:
    """The expected cells of one record, flattened by hand."""
    cells = {k: str(v) if v is not None else "" for k, v in record.items() if k != "payload"}
    for key, value in record["payload"].items():
        if key == "attributes":
            cells.update({f"attribute.{name}": text for name, text in value})
        elif isinstance(value, dict):
            for inner, item in value.items():
                cells[f"{key}.{inner}"] = "" if item is None else str(item)
        elif isinstance(value, list):
            cells[key] = "; ".join(str(item) for item in value)
        elif isinstance(value, bool):
            cells[key] = "true" if value else "false"
        elif value is not None:
            cells[key] = str(value)
    return cells


def _csv(stdout: str) -> list[dict[str, str]]:
    assert stdout.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(stdout.removeprefix("\ufeff"))))


def test_the_flat_csv_has_one_column_per_field(demo: Demo, jsonl: list[dict[str, Any]]) -> None:
    code, stdout, err = _invoke(demo.store, "export", "--format", "csv")
    assert code == 0, err
    rows = _csv(stdout)
    assert len(rows) == len(jsonl)
    assert "payload" not in rows[0]
    for row, record in zip(rows[::97], jsonl[::97], strict=True):
        for column, value in _flat(record).items():
            if not value.startswith(("=", "+", "-", "@")):
                assert row[column] == value, column


def test_filters_by_product_and_business_date(demo: Demo, jsonl: list[dict[str, Any]]) -> None:
    products: dict[str, str | None] = {}
    for record in jsonl:
        if record["event"] == "Received" or (
            record["event"] == "Reclassified" and record["payload"]["category"]
        ):
            products[record["aggregate_id"]] = (record["payload"]["category"] or {}).get("product")
    product = "Mortgage"
    since = datetime.fromisoformat("2020-10-01T00:00:00+00:00")
    until = datetime.fromisoformat("2020-12-31T23:59:59.999999+00:00")
    expected = [
        r["position"]
        for r in jsonl
        if r["aggregate"] == "Complaint"
        and products.get(r["aggregate_id"]) == product
        and since <= datetime.fromisoformat(r["occurred_at"]) <= until
    ]
    assert expected
    code, stdout, err = _invoke(
        demo.store,
        "export",
        "--format",
        "csv",
        "--product",
        product,
        "--since",
        "2020-10-01",
        "--until",
        "2020-12-31",
    )
    assert code == 0, err
    assert [int(row["position"]) for row in _csv(stdout)] == expected


def test_filter_by_complaint_and_times_in_the_policy_zone(
    demo: Demo, jsonl: list[dict[str, Any]]
) -> None:
    code, stdout, err = _invoke(
        demo.store, "export", "--complaint", "cfpb:3790251", "--policy", "fca"
    )
    assert code == 0, err
    shown = [json.loads(line) for line in stdout.splitlines()]
    complaint = next(
        r["aggregate_id"]
        for r in jsonl
        if r["payload"].get("external_ref") == "cfpb:3790251" and r["event"] == "Received"
    )
    expected = [r for r in jsonl if r["aggregate_id"] == complaint]
    assert [r["position"] for r in shown] == [r["position"] for r in expected]
    for mine, plain in zip(shown, expected, strict=True):
        moment = datetime.fromisoformat(mine["occurred_at"])
        assert moment == datetime.fromisoformat(plain["occurred_at"])
        assert moment.utcoffset() is not None
        assert moment.utcoffset().total_seconds() == 3600  # British Summer Time in 2020-08


def test_the_xlsx_holds_the_same_table(demo: Demo, tmp_path: Path) -> None:
    code, stdout, err = _invoke(demo.store, "export", "--format", "csv", "--product", "Mortgage")
    assert code == 0, err
    rows = _csv(stdout)
    book = tmp_path / "mortgage.xlsx"
    code, _, err = _invoke(
        demo.store, "export", "--format", "xlsx", "--product", "Mortgage", "-o", str(book)
    )
    assert code == 0, err
    sheet = load_workbook(book, read_only=True)["events"]
    table = list(sheet.iter_rows(values_only=True))
    assert list(table[0]) == list(rows[0].keys())
    assert len(table) == len(rows) + 1
    width = len(table[0])
    for cells, row in zip(table[1:], rows, strict=True):
        padded = [*cells, *[None] * (width - len(cells))]
        assert ["" if c is None else str(c) for c in padded] == [
            v.removeprefix("'") if v.startswith("'") else v for v in row.values()
        ]

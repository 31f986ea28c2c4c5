"""Volumes in the report of an imported CFPB export, checked against the file itself.

The expected counts are computed here from the CSV with the csv module (rows per product,
per month of "Date received"), never by complaintlog; the report's CSV output is read back
with the csv module too. Every row of both bundled files is imported (none is rejected or a
duplicate: the import test checks that), so the counts must match exactly.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from complaintlog.cli import app
from complaintlog.data import CFPB_2013_2017, CFPB_SAMPLE, bundled_csv

AS_OF = "2030-01-01"  # after every complaint of both files, on any machine's clock


def received_on(text: str) -> date:
    if "/" in text:  # the older export: M/D/YYYY
        return datetime.strptime(text, "%m/%d/%Y").date()
    return date.fromisoformat(text[:10])


def expected(file: Path) -> tuple[Counter[str], Counter[str]]:
    per_product: Counter[str] = Counter()
    per_month: Counter[str] = Counter()
    with file.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            per_product[row["Product"] or "(none)"] += 1
            day = received_on(row["Date received"])
            per_month[f"{day.year}-{day.month:02d}"] += 1
    return per_product, per_month


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("name", [CFPB_SAMPLE, CFPB_2013_2017])
def test_volumes_per_product_and_month_match_the_file(name: str, tmp_path: Path) -> None:
    file = bundled_csv(name)
    store = f"sqlite:///{tmp_path / 'cfpb.db'}"
    summary = json.loads(run("--store", store, "--json", "import", str(file)).stdout)
    assert summary["rejected"] == summary["duplicate"] == 0
    text = run("--store", store, "report", "--as-of", AS_OF, "--format", "csv").stdout
    per_product: Counter[str] = Counter()
    per_month: Counter[str] = Counter()
    for row in csv.DictReader(io.StringIO(text)):
        if row["section"] == "received":
            per_product[row["subkey"]] += int(row["value"])
            per_month[row["key"]] += int(row["value"])
    products, months = expected(file)
    assert per_product == products
    assert per_month == months
    figures = json.loads(run("--store", store, "--json", "report", "--as-of", AS_OF).stdout)
    assert figures["complaints"] == sum(products.values()) == summary["rows"]
    groups = {row["group"]: row["received"] for row in figures["groups"]}
    assert groups == dict(products)

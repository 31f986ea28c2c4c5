"""The FCA return, checked against the export read with plain Python and the shipped mapping."""

from __future__ import annotations

import csv
import io
import json
import statistics
import tomllib
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app

from .conftest import ENGLAND_AND_WALES_BANK_HOLIDAYS, Demo

runner = CliRunner()
LONDON = ZoneInfo("Europe/London")
SINCE = datetime(2025, 1, 1, tzinfo=LONDON)
UNTIL = datetime.combine(date(2025, 12, 31), time.max, tzinfo=LONDON)


def _invoke(store: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store", store, *args])
    return result.exit_code, result.stdout, result.stderr


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _toml(name: str, package: str) -> dict[str, Any]:
    return tomllib.loads((files(package) / name).read_text())


def _close_of_third_business_day(received: datetime) -> datetime:
    """Counted on the hand-checked table of England and Wales bank holidays."""
    holidays = ENGLAND_AND_WALES_BANK_HOLIDAYS
    day, counted = received.astimezone(LONDON).date(), 0
    while counted < 3:
        day += timedelta(days=1)
        assert min(holidays).year <= day.year <= max(holidays).year, "beyond the table"
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    return datetime.combine(day, time(17), tzinfo=LONDON)


def _open_at(history: list[dict[str, Any]], moment: datetime) -> bool:
    """Received by then, not withdrawn, and every resolution by then reopened again."""
    if _at(history[0]["occurred_at"]) > moment:
        return False
    times = defaultdict(int)
    for event in history:
        if _at(event["occurred_at"]) <= moment:
            times[event["event"]] += 1
    return not times["Withdrawn"] and times["Resolved"] <= times["Reopened"]


def _expected(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per FCA product: the return's figures, worked out from the export alone."""
    mapping = _toml("fca_mapping.toml", "complaintlog.returns")
    products = {k.casefold(): v for k, v in mapping["products"].items()}
    histories: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event["aggregate"] == "Complaint":
            histories[event["aggregate_id"]].append(event)
    figures: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    days: dict[str, list[float]] = defaultdict(list)
    for history in histories.values():
        received = _at(history[0]["occurred_at"])
        if received > UNTIL:
            continue
        product = history[0]["payload"]["category"]["product"]
        for event in history:
            if event["event"] == "Reclassified" and event["payload"]["category"]:
                product = event["payload"]["category"]["product"]
        row = figures[products.get(product.casefold(), "Unmapped")]
        resolved = [e for e in history if e["event"] == "Resolved"]

        def is_open(moment: datetime, history: list[dict[str, Any]] = history) -> bool:
            return _open_at(history, moment)

        row["opened"] += SINCE <= received <= UNTIL
        row["outstanding_at_start"] += received < SINCE and is_open(SINCE)
        row["outstanding_at_end"] += is_open(UNTIL)
        inside = [e for e in resolved if SINCE <= _at(e["occurred_at"]) <= UNTIL]
        if not inside or is_open(UNTIL):
            continue
        closed_at = _at(inside[-1]["occurred_at"])
        row["closed"] += 1
        outcome = inside[-1]["payload"].get("upheld")
        row[
            {"fully": "upheld", "partly": "upheld", "not": "not_upheld"}.get(
                outcome or "", "outcome_unknown"
            )
        ] += 1
        if closed_at <= _close_of_third_business_day(received):
            row["closed_within_3_business_days"] += 1
        elif closed_at <= received + timedelta(weeks=8):
            row["closed_within_8_weeks"] += 1
        else:
            row["closed_after_8_weeks"] += 1
        days[products.get(product.casefold(), "Unmapped")].append(
            (closed_at - received).total_seconds() / 86400
        )
    for product, values in days.items():
        figures[product]["median_days_to_close"] = round(statistics.median(values), 1)
    for row in figures.values():
        known = row["upheld"] + row["not_upheld"]
        row["upheld_share"] = round(row["upheld"] / known, 4) if known else None
    return figures


@pytest.fixture(scope="module")
def events(demo: Demo) -> list[dict[str, Any]]:
    code, stdout, err = _invoke(demo.store, "export")
    assert code == 0, err
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture(scope="module")
def fca(demo: Demo) -> dict[str, Any]:
    code, stdout, err = _invoke(
        demo.store,
        "--json",
        "regulatory-return",
        "fca",
        "--since",
        "2025-01-01",
        "--until",
        "2025-12-31",
    )
    assert code == 0, err
    data: dict[str, Any] = json.loads(stdout)
    return data


def test_every_product_row_matches_the_export(
    fca: dict[str, Any], events: list[dict[str, Any]]
) -> None:
    expected = _expected(events)
    shown = {row["product"]: row for row in fca["products"]}
    assert set(shown) == {p for p, row in expected.items() if any(row.values())}
    for product, row in expected.items():
        if not any(row.values()):
            continue
        for figure, value in row.items():
            assert shown[product][figure] == value, (product, figure)


def test_totals_are_the_sums_and_the_window_is_in_london(
    fca: dict[str, Any], events: list[dict[str, Any]]
) -> None:
    total = fca["totals"][0]
    expected = _expected(events)
    for figure in ("opened", "closed", "closed_within_8_weeks", "outstanding_at_end"):
        assert total[figure] == sum(row[figure] for row in expected.values())
    assert sum(row["closed"] for row in fca["causes"]) == total["closed"]
    redress: dict[str, Decimal] = defaultdict(Decimal)
    for e in events:
        money = e["payload"].get("compensation") if e["event"] == "Resolved" else None
        if money and SINCE <= _at(e["occurred_at"]) <= UNTIL:
            redress[money["currency"]] += Decimal(money["amount"])
    assert {c: Decimal(a) for c, a in total["redress"].items()} == redress
    assert _at(fca["since"]) == SINCE
    assert _at(fca["until"]) == UNTIL


def test_csv_and_xlsx_carry_the_same_figures(
    demo: Demo, fca: dict[str, Any], tmp_path: Path
) -> None:
    window = ("--since", "2025-01-01", "--until", "2025-12-31")
    code, stdout, err = _invoke(demo.store, "regulatory-return", "fca", *window, "-f", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(stdout.removeprefix("\ufeff"))))
    products = [r for r in rows if r["section"] == "products"]
    assert [int(r["closed"]) for r in products] == [r["closed"] for r in fca["products"]]
    book = tmp_path / "fca.xlsx"
    code, _, err = _invoke(
        demo.store, "regulatory-return", "fca", *window, "-f", "xlsx", "-o", str(book)
    )
    assert code == 0, err
    sheet = load_workbook(book)["totals"]
    header, values = (list(r) for r in sheet.iter_rows(values_only=True))
    assert values[header.index("opened")] == fca["totals"][0]["opened"]


def test_the_fca_preset_counts_2020_with_its_bank_holidays(demo: Demo) -> None:
    """The preset's bank holidays come from the holidays package: 2020 is covered (its
    early May bank holiday moved to Friday 8 May for VE Day), so the return warns of
    nothing."""
    code, stdout, err = _invoke(
        demo.store,
        "--json",
        "regulatory-return",
        "fca",
        "--since",
        "2020-01-01",
        "--until",
        "2020-12-31",
    )
    assert code == 0, err
    assert not [n for n in json.loads(stdout)["notes"] if "holidays" in n]
    assert "warning" not in err


def test_a_year_without_bank_holidays_is_noted(demo: Demo, tmp_path: Path) -> None:
    """A policy listing bank holidays by hand for some years only says so for the others."""
    listed = sorted(d for d in ENGLAND_AND_WALES_BANK_HOLIDAYS if d.year >= 2025)
    text = (files("complaintlog.policies") / "fca.toml").read_text()
    text = text.replace('holidays_country = "GB"', f"holidays = [{', '.join(map(str, listed))}]")
    text = "\n".join(line for line in text.splitlines() if "holidays_subdivision" not in line)
    policy = tmp_path / "fca_by_hand.toml"
    policy.write_text(text)
    code, stdout, err = _invoke(
        demo.store,
        "--json",
        "regulatory-return",
        "fca",
        "--since",
        "2020-01-01",
        "--until",
        "2020-12-31",
        "--policy",
        str(policy),
    )
    assert code == 0
    assert any("2020" in note and "holidays" in note for note in json.loads(stdout)["notes"])
    assert "warning" in err


def test_upheld_outcomes_come_from_the_cfpb_responses(events: list[dict[str, Any]]) -> None:
    """The import maps the CFPB's response to an outcome; the export shows it as recorded."""
    expected = {
        "Closed with explanation": "not",
        "Closed with monetary relief": "fully",
        "Closed with non-monetary relief": "fully",
        "Closed without relief": "not",
        "Closed": None,
    }
    seen = 0
    for event in events:
        summary = event["payload"].get("summary") or ""
        if event["event"] == "Resolved" and summary.startswith("CFPB company response: "):
            response = summary.removeprefix("CFPB company response: ").split(". ")[0]
            assert event["payload"]["upheld"] == expected[response], response
            seen += 1
    assert seen > 100


def test_a_reopened_complaint_is_closed_once(tmp_path: Path) -> None:
    """Resolved, reopened and resolved again in the window: one complaint closed, with
    the second outcome; both payments count as redress."""
    url = f"sqlite:///{tmp_path / 'reopened.db'}"
    received = datetime(2025, 3, 3, 10, 0, tzinfo=LONDON)
    with ComplaintLog(url, clock=lambda: datetime(2025, 6, 1, tzinfo=UTC)) as log:
        cid = log.receive(
            customer={"id": "C-1"},
            channel="phone",
            subject="Overdraft fee",
            description="Charged twice",
            category={"product": "Current account", "cause": "billing"},
            at=received,
        )
        log.acknowledge(cid, at=received + timedelta(hours=1))
        log.resolve(
            cid,
            remedy="refund",
            summary="fee refunded",
            compensation={"amount": "25.00", "currency": "GBP"},
            upheld="partly",
            at=received + timedelta(days=1),
        )
        log.reopen(cid, reason="dispute", at=received + timedelta(days=10))
        log.resolve(
            cid,
            remedy="compensation",
            summary="both fees and interest",
            compensation={"amount": "40.00", "currency": "GBP"},
            upheld="fully",
            at=received + timedelta(days=70),
        )
    code, stdout, err = _invoke(
        url, "--json", "regulatory-return", "fca", "--since", "2025-01-01", "--until", "2025-12-31"
    )
    assert code == 0, err
    total = json.loads(stdout)["totals"][0]
    assert total["opened"] == 1
    assert total["closed"] == 1
    assert total["closed_after_8_weeks"] == 1  # at its last resolution, 70 days after receipt
    assert total["upheld"] == 1
    assert total["upheld_share"] == 1.0
    assert total["redress"] == {"GBP": "65.00"}
    (cause,) = json.loads(stdout)["causes"]
    assert cause["cause"] == "Terms and disputed sums/charges"

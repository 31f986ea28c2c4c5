"""The report's figures against a history small enough to count by hand.

Seven complaints from January to March 2026 under a policy whose calendar runs around the
clock (UTC), so business time is plain elapsed time and every expected number below is
worked out in the comments, not by the code under test. The report runs through the real
command line on a SQLite store, with the policy given as a TOML file.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app
from complaintlog.report import load_policy, report_data

POLICY = """
name = "plain"
[calendar]
name = "around the clock"
time_zone = "UTC"

[[targets]]
name = "resolve_3d"
metric = "resolve"
clock = "calendar"
within = "3d"

[[targets]]
name = "quick_look"
metric = "resolve"
clock = "calendar"
within = "1d"
informational = true

[[targets]]
name = "keep_promise"
metric = "promise"
"""

AS_OF = "2026-03-11T18:00:00+00:00"
DAY = 24.0  # hours


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def build(log: ComplaintLog) -> None:
    """The history. Durations: received to resolved."""

    def receive(ref: str, customer: str, product: str, when: datetime) -> Any:
        complaint = log.receive(
            customer={"id": customer},
            channel="web",
            subject=f"About {product}",
            description="A problem",
            category={"product": product},
            external_ref=ref,
            at=when,
        )
        log.acknowledge(complaint, at=when + timedelta(hours=1))
        return complaint

    def resolve(complaint: Any, when: datetime) -> None:
        log.resolve(complaint, remedy="refund", summary="Refunded", at=when)

    # January: A 1 day, B 2 days (A's customer again, same category: a repeat), C 4 days.
    resolve(receive("A", "C1", "Card", at(1, 5)), at(1, 6))
    resolve(receive("B", "C1", "Card", at(1, 10)), at(1, 12))
    resolve(receive("C", "C2", "Loan", at(1, 20)), at(1, 24))
    # February: D 3 days exactly; E 3 days, with a promise due 11 Feb 10:00 kept a day late.
    resolve(receive("D", "C3", "Loan", at(2, 2)), at(2, 5))
    e = receive("E", "C4", "Card", at(2, 10))
    log.make_promise(e, promise="call back", due=at(2, 11, 10), at=at(2, 10, 10))
    log.inform(e, message="Still checking", at=at(2, 12, 10))
    resolve(e, at(2, 13))
    # March: F and G still open at the report's as-of time (11 March 18:00).
    receive("F", "C5", "Card", at(3, 2))
    receive("G", "C6", "Loan", at(3, 9))


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("by_hand")
    url = f"sqlite:///{folder / 'complaints.db'}"
    with ComplaintLog(url, clock=lambda: at(4, 15, 12)) as log:
        build(log)
    policy = folder / "plain.toml"
    policy.write_text(POLICY, encoding="utf-8")
    return url, policy


def report(setup: tuple[str, Path], *args: str) -> Any:
    url, policy = setup
    result = CliRunner().invoke(
        app, ["--store", url, "report", "--policy", str(policy), "--as-of", AS_OF, *args]
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def figures(setup: tuple[str, Path]) -> dict[str, Any]:
    return dict(json.loads(report(setup, "--format", "json").stdout))


def test_monthly_volumes_by_product(figures: dict[str, Any]) -> None:
    assert figures["received_by_period"] == {
        "2026-01": {"Card": 2, "Loan": 1},
        "2026-02": {"Card": 1, "Loan": 1},
        "2026-03": {"Card": 1, "Loan": 1},
    }
    assert [(p["period"], p["received"], p["resolved"]) for p in figures["periods"]] == [
        ("2026-01", 3, 3),
        ("2026-02", 2, 2),
        ("2026-03", 2, 0),
    ]
    assert figures["periods"][-1]["open_at_end"] == 2  # F and G


def test_median_and_p90_time_to_resolve_per_month(figures: dict[str, Any]) -> None:
    times = [(p["resolve_median_hours"], p["resolve_p90_hours"]) for p in figures["periods"]]
    assert times == [
        # 1, 2 and 4 days: the middle one; nearest rank ceil(0.9 * 3) = 3rd
        (2 * DAY, 4 * DAY),
        # 3 and 3 days
        (3 * DAY, 3 * DAY),
        (None, None),
    ]
    assert figures["business_day_hours"] == DAY


def test_sla_compliance_counts_only_real_targets(figures: dict[str, Any]) -> None:
    on_time = [
        (p["sla"]["resolve"]["part"], p["sla"]["resolve"]["whole"]) for p in figures["periods"]
    ]
    # January: A and B on time, C late (due 23 Jan); February: D (exactly 3 days) and E;
    # March: F fell due 5 March unresolved; G is due 12 March, not decided yet.
    # quick_look is informational: counted in no month.
    assert on_time == [(2, 3), (2, 2), (0, 1)]
    resolve = next(m for m in figures["metrics"] if m["metric"] == "resolve")
    assert (resolve["decided"], resolve["on_time"], resolve["breaching_now"]) == (6, 4, 1)
    assert resolve["targets"] == ["resolve_3d"]
    assert figures["headline"]["resolved_on_time"] == pytest.approx(4 / 6)
    promises = [p["sla"].get("promise", {}).get("whole", 0) for p in figures["periods"]]
    assert promises == [0, 1, 0]


def test_lists_to_act_on(figures: dict[str, Any]) -> None:
    # F: due 5 March 09:00, 6 days 9 hours late at 11 March 18:00
    assert [(b["complaint"], b["target"], b["late_by_hours"]) for b in figures["breaches"]] == [
        ("F", "resolve_3d", 153.0)
    ]
    # G: due 12 March 09:00, 15 hours left; past 75 % of its 72 hours (11 March 15:00)
    assert [(r["complaint"], r["target"], r["late_by_hours"]) for r in figures["at_risk"]] == [
        ("G", "resolve_3d", -15.0)
    ]
    # E's promise was due 11 Feb 10:00 and kept on 12 Feb 10:00
    assert [
        (p["complaint"], p["kept_at"], p["late_by_hours"]) for p in figures["broken_promises"]
    ] == [("E", "2026-02-12T10:00:00+00:00", 24.0)]


def test_informational_target_is_shown_apart(figures: dict[str, Any]) -> None:
    # quick_look (1 day): A met it exactly; B, C, D, E missed it; F and G still open
    assert figures["informational"] == [
        {"target": "quick_look", "metric": "resolve", "missed": 6, "still_open": 2, "at_risk": 0}
    ]
    assert sorted(row["complaint"] for row in figures["informational_open"]) == ["F", "G"]
    assert all(row["target"] != "quick_look" for row in figures["breaches"])


def test_current_state_and_totals(figures: dict[str, Any]) -> None:
    assert figures["status_counts"] == {"acknowledged": 2, "resolved": 5}
    head = figures["headline"]
    assert (head["complaints"], head["open"], head["breaching_now"], head["at_risk"]) == (
        7,
        2,
        1,
        1,
    )
    assert (head["broken_promises"], head["repeat_complaints"]) == (1, 1)
    assert head["latest_period"] == "2026-03"
    assert head["median_business_days_to_resolve"] is None  # nothing resolved in March
    groups = {g["group"]: g for g in figures["groups"]}
    assert set(groups) == {"Card", "Loan"}
    card, loan = groups["Card"], groups["Loan"]
    assert (card["received"], card["resolved"], card["open_now"]) == (4, 3, 1)
    assert (loan["received"], loan["resolved"], loan["open_now"]) == (3, 2, 1)
    # Card: A, B, E on time, F late; Loan: C late, D on time (G not decided)
    assert (card["resolve_on_time"]["part"], card["resolve_on_time"]["whole"]) == (3, 4)
    assert (loan["resolve_on_time"]["part"], loan["resolve_on_time"]["whole"]) == (1, 2)
    assert figures["remedies"] == {"refund": 5}


def test_csv_volumes_read_back_with_the_csv_module(setup: tuple[str, Path]) -> None:
    text = report(setup, "--format", "csv").stdout
    received: dict[str, int] = defaultdict(int)
    for row in csv.DictReader(io.StringIO(text)):
        if row["section"] == "received":
            received[row["subkey"]] += int(row["value"])
    assert dict(received) == {"Card": 4, "Loan": 3}


def test_an_earlier_as_of_sees_only_what_had_happened(setup: tuple[str, Path]) -> None:
    url, policy = setup
    result = CliRunner().invoke(
        app,
        ["--store", url, "--json", "report", "--policy", str(policy), "--as-of", "2026-01-11"],
    )
    assert result.exit_code == 0, result.output
    early = json.loads(result.stdout)
    # by the end of 11 January: A resolved, B received on the 10th and not yet resolved
    assert early["status_counts"] == {"acknowledged": 1, "resolved": 1}
    assert early["received_by_period"] == {"2026-01": {"Card": 2}}
    assert early["breaches"] == []


def test_the_python_api_gives_the_same_figures(setup: tuple[str, Path]) -> None:
    url, policy = setup
    with ComplaintLog(url) as log:
        data = report_data(
            log,
            policy=load_policy(str(policy)),
            as_of=datetime.fromisoformat(AS_OF),
            period="quarter",
            by="cause",
        )
    assert [(p.period, p.received) for p in data.periods] == [("2026-Q1", 7)]
    assert data.received_by_period == {"2026-Q1": {"(none)": 7}}
    assert [row.complaint for row in data.breaches] == ["F"]


def test_markdown_and_terminal_tables(setup: tuple[str, Path]) -> None:
    markdown = report(setup, "--format", "markdown").stdout
    assert "| 2026-01 | 3 | 3 | 0 | 2.0 | 4.0 | 67% |" in markdown
    assert "## Informational targets" in markdown
    table = CliRunner().invoke(
        app,
        ["--store", setup[0], "report", "--policy", str(setup[1]), "--as-of", AS_OF],
        env={"COLUMNS": "200"},
    )
    assert table.exit_code == 0, table.output
    assert "quick_look" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 100

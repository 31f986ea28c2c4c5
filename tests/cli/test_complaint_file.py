"""`complaintlog file`: one complaint's file, checked against the export read with plain Python."""

from __future__ import annotations

import json
import tomllib
from collections import defaultdict
from datetime import datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from complaintlog.cli import app

from .conftest import ENGLAND_AND_WALES_BANK_HOLIDAYS, Demo

runner = CliRunner()
LONDON = ZoneInfo("Europe/London")


def _invoke(store: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store", store, *args])
    return result.exit_code, result.stdout, result.stderr


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def events(demo: Demo) -> dict[str, list[dict[str, Any]]]:
    """The export, one list of events per complaint, in version order."""
    code, stdout, err = _invoke(demo.store, "export", "--format", "jsonl")
    assert code == 0, err
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in stdout.splitlines():
        event = json.loads(line)
        if event["aggregate"].endswith("Complaint"):
            found[event["aggregate_id"]].append(event)
    return found


@pytest.fixture(scope="module")
def chosen(events: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A complaint with a bit of everything: promises, a pause, a reopening, an escalation."""
    wanted = {"PromiseMade", "Paused", "Resolved", "Reopened", "Escalated"}
    return next(v for v in events.values() if wanted <= {e["event"] for e in v})


@pytest.fixture(scope="module")
def file(demo: Demo, chosen: list[dict[str, Any]]) -> dict[str, Any]:
    ref = chosen[0]["payload"]["external_ref"]
    code, stdout, err = _invoke(demo.store, "--json", "file", ref, "--policy", "fca")
    assert code == 0, err
    data: dict[str, Any] = json.loads(stdout)
    return data


def test_the_timeline_is_every_event_in_london_time_with_backdating(
    file: dict[str, Any], chosen: list[dict[str, Any]]
) -> None:
    assert [e["version"] for e in file["timeline"]] == [e["version"] for e in chosen]
    assert [e["event"] for e in file["timeline"]] == [e["event"] for e in chosen]
    for shown, exported in zip(file["timeline"], chosen, strict=True):
        happened = _at(shown["happened"])
        assert happened == _at(exported["occurred_at"])
        assert happened.utcoffset() == happened.astimezone(LONDON).utcoffset()
        assert _at(shown["recorded"]) == _at(exported["recorded_at"])
        assert shown["actor"] == exported["actor"]
        late = _at(exported["recorded_at"]) - _at(exported["occurred_at"])
        assert shown["backdated"] is (late > timedelta(hours=1))


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


def test_each_cycle_has_both_fca_deadlines_due_met_or_late(
    file: dict[str, Any], chosen: list[dict[str, Any]]
) -> None:
    starts = [_at(e["occurred_at"]) for e in chosen if e["event"] in {"Received", "Reopened"}]
    resolved = [_at(e["occurred_at"]) for e in chosen if e["event"] == "Resolved"]
    expected = []
    for cycle, start in enumerate(starts, 1):
        met = resolved[cycle - 1] if cycle <= len(resolved) else None
        final = start + timedelta(weeks=8)
        expected.append(("final_response", cycle, final, met))
        if cycle == 1:  # the summary resolution counts from receipt only
            expected.append(("summary_resolution", 1, _close_of_third_business_day(start), met))
    shown = {(d["target"], d["cycle"]): d for d in file["deadlines"]}
    for target, cycle, due, met in expected:
        deadline = shown[(target, cycle)]
        assert _at(deadline["due"]) == due, (target, cycle)
        assert (_at(deadline["met_at"]) if deadline["met_at"] else None) == met
        state = "open" if met is None else ("met" if met <= due else "late")
        assert deadline["state"] == state
    assert file["deadlines"][0]["informational"] in {True, False}
    assert {d["target"] for d in file["deadlines"] if d["informational"]} == {"summary_resolution"}


def test_promises_pauses_escalations_and_resolutions(
    file: dict[str, Any], chosen: list[dict[str, Any]]
) -> None:
    made = [e for e in chosen if e["event"] == "PromiseMade"]
    assert [p["promise"] for p in file["promises"]] == [e["payload"]["promise"] for e in made]
    for promise, event in zip(file["promises"], made, strict=True):
        due = _at(event["payload"]["due"])
        after = [
            _at(e["occurred_at"])
            for e in chosen
            if e["event"] in {"CustomerInformed", "Resolved", "PromiseMade"}
            and _at(e["occurred_at"]) >= _at(event["occurred_at"])
            and e["version"] > event["version"]
        ]
        first = min(after, default=None)
        answer = next(
            (
                e
                for e in chosen
                if e["version"] > event["version"] and _at(e["occurred_at"]) == first
            ),
            None,
        )
        if answer is not None and first is not None and first <= due:
            assert promise["state"] == (
                "superseded" if answer["event"] == "PromiseMade" else "kept"
            )
        else:
            assert promise["state"] == "broken"
    paused = [e for e in chosen if e["event"] == "Paused"]
    assert [_at(p["started"]) for p in file["pauses"]] == [_at(e["occurred_at"]) for e in paused]
    escalated = [e for e in chosen if e["event"] == "Escalated"]
    assert [(x["level"], x["reason"]) for x in file["escalations"]] == [
        (e["payload"]["level"], e["payload"]["reason"]) for e in escalated
    ]
    resolved = [e for e in chosen if e["event"] == "Resolved"]
    assert [r["remedy"] for r in file["resolutions"]] == [e["payload"]["remedy"] for e in resolved]
    for shown, event in zip(file["resolutions"], resolved, strict=True):
        money = event["payload"]["compensation"]
        assert shown["redress"] == (f"{money['amount']} {money['currency']}" if money else None)


def test_the_file_as_text_html_and_pdf(
    demo: Demo, chosen: list[dict[str, Any]], tmp_path: Path
) -> None:
    ref = chosen[0]["payload"]["external_ref"]
    code, text, err = _invoke(demo.store, "file", ref, "--policy", "fca")
    assert code == 0, err
    for heading in ("Deadlines under fca", "Timeline (Europe/London)", "Promises", "Pauses"):
        assert heading in text
    code, page, err = _invoke(demo.store, "file", ref, "--policy", "fca", "--format", "html")
    assert code == 0, err
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<tr>") >= len(chosen)
    pdf = tmp_path / "file.pdf"
    code, _, err = _invoke(demo.store, "file", ref, "--format", "pdf", "-o", str(pdf))
    assert code == 0, err
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert f"Complaint file {ref}".encode() in data  # the document's title


def test_a_pdf_needs_an_output_file(demo: Demo, chosen: list[dict[str, Any]]) -> None:
    code, _, err = _invoke(demo.store, "file", chosen[0]["payload"]["external_ref"], "-f", "pdf")
    assert code == 2
    assert "--output" in err


def test_the_fca_preset_knows_the_bank_holidays_of_every_year_of_the_sample(
    demo: Demo, chosen: list[dict[str, Any]]
) -> None:
    """The preset takes England and Wales bank holidays from the holidays package, so the
    CFPB sample's years (2012 on) are counted with theirs: no warning about them."""
    code, stdout, err = _invoke(
        demo.store, "--json", "file", chosen[0]["payload"]["external_ref"], "--policy", "fca"
    )
    assert code == 0, err
    assert not [w for w in json.loads(stdout)["warnings"] if "holidays" in w]


def test_a_year_without_holidays_is_warned_about(
    demo: Demo, chosen: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A policy listing its holidays by hand, leaving out one year, says so for that year."""
    year = _at(chosen[0]["occurred_at"]).year
    listed = sorted(d for d in ENGLAND_AND_WALES_BANK_HOLIDAYS if d.year != year)
    text = (files("complaintlog.policies") / "fca.toml").read_text()
    text = text.replace('holidays_country = "GB"', f"holidays = [{', '.join(map(str, listed))}]")
    text = "\n".join(line for line in text.splitlines() if "holidays_subdivision" not in line)
    policy = tmp_path / "fca_by_hand.toml"
    policy.write_text(text)
    assert tomllib.loads(text)["calendar"]["holidays"] == listed
    code, stdout, _ = _invoke(
        demo.store, "--json", "file", chosen[0]["payload"]["external_ref"], "--policy", str(policy)
    )
    assert code == 0
    assert any(str(year) in w and "holidays" in w for w in json.loads(stdout)["warnings"])

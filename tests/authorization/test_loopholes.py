"""The loopholes the second security review found, each first shown open without a policy
(or with the old rule), then closed: on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog, NotAuthorizedError, Policy
from complaintlog.cli import app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAFF = {"ana": ["agent"], "rita": ["supervisor"], "omar": ["manager"], "import:acme": ["agent"]}
DATA = Path(__file__).parents[1] / "importing" / "data"


def money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


@pytest.fixture
def guarded(store_url: str) -> Iterator[ComplaintLog]:
    policy = Policy.example(actors=STAFF)
    with ComplaintLog(
        store_url, authorization=policy, clock=lambda: T0 + timedelta(days=60)
    ) as log:
        yield log


def acknowledged(log: ComplaintLog, actor: str = "ana") -> UUID:
    complaint_id = log.receive(
        customer={"id": "C-1"}, channel="web", subject="s", description="d", at=T0, actor=actor
    )
    log.acknowledge(complaint_id, at=T0 + timedelta(minutes=5), actor=actor)
    return complaint_id


# -- a monetary remedy needs an amount --------------------------------------------------------


@pytest.mark.parametrize("remedy", ["compensation", "refund", "store_credit"])
def test_a_monetary_remedy_without_an_amount_is_refused(guarded: ComplaintLog, remedy: str) -> None:
    complaint_id = acknowledged(guarded)
    with pytest.raises(NotAuthorizedError, match="amount required") as refused:
        guarded.resolve(
            complaint_id,
            remedy=remedy,
            summary="Goodwill of 1,000,000 EUR",
            at=T0 + timedelta(hours=1),
            actor="ana",
        )
    assert "pass compensation=" in str(refused.value)
    assert len(guarded.history(complaint_id)) == 2  # nothing recorded
    guarded.resolve(  # a remedy that is not money needs none
        complaint_id, remedy="apology", summary="Sorry", at=T0 + timedelta(hours=1), actor="ana"
    )


def test_amounts_may_be_optional_by_policy() -> None:
    policy = Policy.from_mapping(
        {
            "roles": {"agent": {"commands": ["receive", "acknowledge", "resolve"]}},
            "compensation": {"amount_required": False},
        },
        actors={"ana": ["agent"]},
    )
    with ComplaintLog(authorization=policy) as log:
        complaint_id = acknowledged(log)
        log.resolve(complaint_id, remedy="compensation", summary="s", actor="ana")


# -- the limit is per complaint, across cycles ------------------------------------------------


def test_the_limit_counts_every_resolution_of_the_complaint(guarded: ComplaintLog) -> None:
    complaint_id = acknowledged(guarded)
    at = T0 + timedelta(hours=1)
    guarded.resolve(  # 30 EUR: within the agent's 50
        complaint_id,
        remedy="compensation",
        summary="s",
        compensation=money("30.00"),
        at=at,
        actor="ana",
    )
    guarded.reopen(
        complaint_id, reason="customer_returned", at=at + timedelta(hours=1), actor="ana"
    )
    with pytest.raises(NotAuthorizedError, match=r"30\.00 EUR granted before") as refused:
        guarded.resolve(  # another 30 would make 60 on this complaint
            complaint_id,
            remedy="compensation",
            summary="s",
            compensation=money("30.00"),
            at=at + timedelta(hours=2),
            actor="ana",
        )
    assert refused.value.rule == "compensation limit"
    guarded.resolve(  # 20 more makes 50: still within
        complaint_id,
        remedy="compensation",
        summary="s",
        compensation=money("20.00"),
        at=at + timedelta(hours=2),
        actor="ana",
    )
    guarded.reopen(complaint_id, reason="dispute", at=at + timedelta(hours=3), actor="ana")
    guarded.resolve(  # other currencies have their own count
        complaint_id,
        remedy="compensation",
        summary="s",
        compensation=money("40.00", "GBP"),
        at=at + timedelta(hours=4),
        actor="ana",
    )
    guarded.reopen(complaint_id, reason="dispute", at=at + timedelta(hours=5), actor="ana")
    guarded.resolve(  # a supervisor may take it to 500
        complaint_id,
        remedy="compensation",
        summary="s",
        compensation=money("400.00"),
        at=at + timedelta(hours=6),
        actor="rita",
    )
    total = sum(
        r.compensation.amount
        for r in guarded.get(complaint_id).resolutions
        if r.compensation is not None and r.compensation.currency == "EUR"
    )
    assert str(total) == "450.00"


def test_twenty_small_cycles_stay_within_the_limit(guarded: ComplaintLog) -> None:
    complaint_id = acknowledged(guarded)
    granted = 0
    at = T0 + timedelta(hours=1)
    cycles = 0
    for _ in range(20):
        try:
            guarded.resolve(
                complaint_id,
                remedy="compensation",
                summary="s",
                compensation=money("10.00"),
                at=at,
                actor="ana",
            )
            granted += 10
            cycles += 1
        except NotAuthorizedError:
            break
        guarded.reopen(complaint_id, reason="dispute", at=at + timedelta(minutes=1), actor="ana")
        at += timedelta(hours=1)
    assert (granted, cycles) == (50, 5)  # the sixth 10 EUR would make 60


# -- complaintlog import applies a policy -----------------------------------------------------


def acme_file(folder: Path, refund: str) -> Path:
    with (DATA / "acme.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, first = rows[0], rows[1]
    second = list(first)
    second[header.index("Ticket")] = "A-99"
    second[header.index("Refund")] = refund
    path = folder / "acme.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, first, second])
    return path


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_import_applies_a_policy_from_a_file(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'i.db'}"
        if kind == "sqlite"
        else str(request.getfixturevalue("postgres_schema_url"))
    )
    source = acme_file(tmp_path, "999999.00")
    policy = tmp_path / "policy.toml"
    text = (
        Path(__file__).parents[2]
        / "src/complaintlog/application/authorization"
        / "example_policy.toml"
    ).read_text(encoding="utf-8")
    policy.write_text(text + '"import:acme" = ["agent"]\n', encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        app,
        [
            "--store",
            url,
            "--json",
            "import",
            str(source),
            "--mapping",
            str(DATA / "acme.toml"),
            "--authorization",
            str(policy),
            "--rejects",
            str(rejects),
        ],
    )
    assert result.exit_code == 0, result.output
    with rejects.open(encoding="utf-8", newline="") as handle:
        header, *refused = list(csv.reader(handle))
    assert [row[header.index("Ticket")] for row in refused] == ["A-99"]
    assert "compensation limit" in refused[0][1]
    with ComplaintLog(url) as log:
        assert log.find("acme:A-1") is not None
        assert log.find("acme:A-99") is None
        (attempt,) = log.denied_attempts(actor="import:acme")
        assert attempt.command == "resolve"


def test_import_refuses_a_malformed_policy_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[roles]\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "--store",
            f"sqlite:///{tmp_path / 'i.db'}",
            "import",
            str(acme_file(tmp_path, "1")),
            "--mapping",
            str(DATA / "acme.toml"),
            "--authorization",
            str(policy),
        ],
    )
    assert result.exit_code == 2
    assert "--authorization" in result.stderr
    assert "roles" in result.stderr


# -- four eyes ---------------------------------------------------------------------------------


def test_an_agent_cannot_approve_her_own_compensation(guarded: ComplaintLog) -> None:
    complaint_id = acknowledged(guarded)
    at = T0 + timedelta(hours=1)
    guarded.escalate(complaint_id, level="management", reason="Approve", at=at, actor="ana")
    with pytest.raises(NotAuthorizedError, match="four eyes") as refused:
        guarded.resolve(
            complaint_id,
            remedy="compensation",
            summary="s",
            compensation=money("1000000.00"),
            at=at,
            actor="ana",
        )
    assert "escalated by ana" in str(refused.value)
    # a supervisor's approval does not cover a million either
    guarded.escalate(complaint_id, level="management", reason="Looks fine", at=at, actor="rita")
    with pytest.raises(NotAuthorizedError, match="four eyes"):
        guarded.resolve(
            complaint_id,
            remedy="compensation",
            summary="s",
            compensation=money("1000000.00"),
            at=at,
            actor="ana",
        )
    guarded.escalate(complaint_id, level="management", reason="Approved", at=at, actor="omar")
    guarded.resolve(
        complaint_id,
        remedy="compensation",
        summary="s",
        compensation=money("1000000.00"),
        at=at,
        actor="ana",
    )
    approvals = [(s.command.name, s.command.actor) for s in guarded.steps(complaint_id)]
    assert ("escalate", "omar") in approvals


def test_four_eyes_inside_a_batch(store_url: str) -> None:
    policy = Policy.example(actors=STAFF)
    with ComplaintLog(store_url, authorization=policy) as log:
        complaint_id = acknowledged(log)
        batch = log.batch()
        batch.escalate(complaint_id, level="management", reason="Approve", actor="ana")
        with pytest.raises(NotAuthorizedError, match="four eyes"):
            batch.resolve(
                complaint_id, remedy="refund", summary="s", compensation=money("80"), actor="ana"
            )
        del batch  # dropped: never committed
        with log.batch() as batch:  # the manager's approval pending in the same batch counts
            batch.escalate(complaint_id, level="management", reason="Approved", actor="omar")
            batch.resolve(
                complaint_id, remedy="refund", summary="s", compensation=money("80"), actor="ana"
            )
        assert log.get(complaint_id).resolutions[-1].compensation is not None


def test_four_eyes_can_be_turned_off() -> None:
    example = Policy.example(actors=STAFF)
    policy = Policy(
        roles=example.roles, actors=STAFF, four_eyes=False, name="self-approval allowed"
    )
    with ComplaintLog(authorization=policy) as log:
        complaint_id = acknowledged(log)
        log.escalate(complaint_id, level="management", reason="Approve", actor="ana")
        log.resolve(
            complaint_id, remedy="refund", summary="s", compensation=money("80"), actor="ana"
        )

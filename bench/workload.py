"""A deterministic, realistic complaint workload for the benchmarks: seven events each.

Every complaint is received, acknowledged, assigned, promised a call-back, informed,
resolved and surveyed; a seeded share takes a different path (an escalation instead of the
update, a pause and resume instead of the promise and update, a withdrawal, or still open:
escalated and paused, waiting for the customer) with the same number of events, so event
counts are exact and runs are comparable. Complaint ``n`` is received at ``START + 7n``
minutes, so a log of any size spreads one complaint per seven minutes of business time.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from complaintlog import ComplaintLog

__all__ = [
    "EVENTS_PER_COMPLAINT",
    "START",
    "import_complaints",
    "receive_one_more",
    "import_events",
    "received_at",
    "workload_end",
]

EVENTS_PER_COMPLAINT = 7
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
CHANNELS = ["phone", "email", "web", "letter", "social", "in_person"]
CAUSES = ["product_quality", "repair_quality", "staff_error", "delay", "billing", "policy"]
PRODUCTS = ["Broadband", "Mobile", "Mortgage", "Credit card", "Washer", "Delivery"]
TEAMS = ["billing", "field", "care", "logistics"]
REMEDIES = ["explanation", "refund", "repair", "apology", "discount", "replacement"]


def received_at(n: int) -> datetime:
    """About when complaint ``n`` of the workload is received."""
    return START + timedelta(minutes=7 * n)


def workload_end(complaints: int) -> datetime:
    """A moment after every event of the first ``complaints`` complaints (and of the next
    thousand events): a recording clock at least this late accepts them all."""
    return received_at(complaints + 200) + timedelta(days=30)


def receive_one_more(log: ComplaintLog, n: int, at: datetime) -> None:
    """One more complaint, the ``n``-th, received at ``at``: the one new event the
    catch-up benches time."""
    log.receive(
        customer={"id": f"L-{n}"},
        channel="web",
        subject="Broadband",
        description="One more complaint",
        at=at,
    )


def import_complaints(
    log: ComplaintLog,
    complaints: int,
    batch_size: int = 500,
    seed: int = 7,
    start: int = 0,
    timing: list[float] | None = None,
) -> int:
    """Record ``complaints`` lifecycles in batches; returns the number of events.

    Each batch's commands are scripted first (random choices, argument values), then run;
    with ``timing``, the seconds spent running them (complaintlog's share: commands and
    commits, not the making up of their arguments) are appended to it, one per batch.
    """
    rng = random.Random(seed + start)
    for first in range(start, start + complaints, batch_size):
        last = min(first + batch_size, start + complaints)
        script = [_lifecycle(rng, n) for n in range(first, last)]
        began = time.perf_counter()
        with log.batch() as batch:
            for (_, received), *steps in script:
                cid = batch.receive(**received)
                for command, arguments in steps:
                    getattr(batch, command)(cid, **arguments)
        if timing is not None:
            timing.append(time.perf_counter() - began)
    return complaints * EVENTS_PER_COMPLAINT


def import_events(log: ComplaintLog, events: int, start: int, seed: int = 7) -> int:
    """Record exactly ``events`` events: whole lifecycles of complaints ``start``, ``start +
    1``, ..., and the first steps of one more for the rest. Returns ``events``."""
    whole, rest = divmod(events, EVENTS_PER_COMPLAINT)
    import_complaints(log, whole, seed=seed, start=start)
    if rest:
        n = start + whole
        at = received_at(n)
        cid = log.receive(
            customer={"id": f"C-{n}"},
            channel="email",
            subject="Broadband",
            description="The customer reports a problem and asks for a fix.",
            at=at,
        )
        steps = [
            lambda: log.acknowledge(cid, at=at + timedelta(minutes=10)),
            lambda: log.assign(cid, assignee="agent-1", team="care", at=at + timedelta(hours=1)),
            lambda: log.inform(cid, message="Checking", at=at + timedelta(hours=2)),
            lambda: log.inform(cid, message="Still checking", at=at + timedelta(hours=3)),
            lambda: log.inform(cid, message="Nearly there", at=at + timedelta(hours=4)),
        ]
        for step in steps[: rest - 1]:
            step()
    return events


Step = tuple[str, dict[str, Any]]


def _lifecycle(rng: random.Random, n: int) -> list[Step]:
    """Complaint ``n``'s commands: ``receive`` first, then the steps taking its id."""
    at = received_at(n) + timedelta(minutes=rng.randrange(7))
    steps: list[Step] = [
        (
            "receive",
            {
                "customer": {"id": f"C-{rng.randrange(max(n, 1) // 3 + 1)}", "name": "Customer"},
                "channel": rng.choice(CHANNELS),
                "subject": rng.choice(PRODUCTS),
                "description": "The customer reports a problem and asks for a fix.",
                "category": {
                    "dimension": rng.choice(["reliability", "responsiveness", "empathy"]),
                    "cause": rng.choice(CAUSES),
                    "product": rng.choice(PRODUCTS),
                },
                "severity": rng.choice(["low", "normal", "normal", "high", "critical"]),
                "at": at,
            },
        )
    ]

    def step(command: str, **arguments: Any) -> None:
        steps.append((command, arguments))

    at += timedelta(minutes=rng.randrange(5, 240))
    path = rng.random()
    if path < 0.03:  # withdrawn after a few steps
        step("acknowledge", at=at)
        step("assign", assignee=f"agent-{rng.randrange(40)}", team=rng.choice(TEAMS), at=at)
        step("inform", message="We are checking", at=at + timedelta(hours=1))
        step("pause", reason="Waiting for documents", at=at + timedelta(hours=2))
        step("resume", at=at + timedelta(days=2))
        step("withdraw", reason="Sorted out directly", at=at + timedelta(days=3))
        return steps
    step("acknowledge", at=at)
    at += timedelta(minutes=rng.randrange(1, 120))
    step("assign", assignee=f"agent-{rng.randrange(40)}", team=rng.choice(TEAMS), at=at)
    if path >= 0.95:  # still open: escalated, then waiting for the customer
        step("make_promise", promise="We will call you back", due=at + timedelta(hours=24), at=at)
        step("inform", message="Progress update", at=at + timedelta(hours=20))
        step("escalate", level="supervisor", reason="Needs a decision", at=at + timedelta(days=2))
        step("pause", reason="Waiting for the customer", at=at + timedelta(days=3))
        return steps
    if path < 0.15:
        step("pause", reason="Waiting for the customer", at=at + timedelta(hours=1))
        at += timedelta(days=rng.randrange(1, 5))
        step("resume", at=at)
    else:
        due = at + timedelta(hours=rng.choice([4, 24, 48]))
        step("make_promise", promise="We will call you back", due=due, at=at)
        at = due + timedelta(hours=rng.choice([-2, -1, 3]))  # most kept, some broken
        if path < 0.25:
            step("escalate", level="supervisor", reason="Needs a decision", at=at)
        else:
            step("inform", message="Progress update", at=at)
    at += timedelta(hours=rng.randrange(1, 200))
    step("resolve", remedy=rng.choice(REMEDIES), summary="Resolved", accepted=True, at=at)
    step("record_survey", score=rng.randrange(1, 6), at=at + timedelta(hours=30))
    return steps

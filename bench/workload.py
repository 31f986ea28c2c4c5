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
from datetime import UTC, datetime, timedelta
from uuid import UUID

from complaintlog import ComplaintLog

__all__ = [
    "EVENTS_PER_COMPLAINT",
    "START",
    "import_complaints",
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


def import_complaints(
    log: ComplaintLog, complaints: int, batch_size: int = 500, seed: int = 7, start: int = 0
) -> int:
    """Record ``complaints`` lifecycles in batches; returns the number of events."""
    rng = random.Random(seed + start)
    batch = log.batch()
    for n in range(start, start + complaints):
        _lifecycle(batch, rng, n)  # type: ignore[arg-type]
        if len(batch) >= batch_size:
            batch.commit()
    batch.commit()
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


def _lifecycle(log: ComplaintLog, rng: random.Random, n: int) -> UUID:
    at = received_at(n) + timedelta(minutes=rng.randrange(7))
    cid = log.receive(
        customer={"id": f"C-{rng.randrange(max(n, 1) // 3 + 1)}", "name": "Customer"},
        channel=rng.choice(CHANNELS),
        subject=rng.choice(PRODUCTS),
        description="The customer reports a problem and asks for a fix.",
        category={
            "dimension": rng.choice(["reliability", "responsiveness", "empathy"]),
            "cause": rng.choice(CAUSES),
            "product": rng.choice(PRODUCTS),
        },
        severity=rng.choice(["low", "normal", "normal", "high", "critical"]),
        at=at,
    )
    at += timedelta(minutes=rng.randrange(5, 240))
    path = rng.random()
    if path < 0.03:  # withdrawn after a few steps
        log.acknowledge(cid, at=at)
        log.assign(cid, assignee=f"agent-{rng.randrange(40)}", team=rng.choice(TEAMS), at=at)
        log.inform(cid, message="We are checking", at=at + timedelta(hours=1))
        log.pause(cid, reason="Waiting for documents", at=at + timedelta(hours=2))
        log.resume(cid, at=at + timedelta(days=2))
        log.withdraw(cid, reason="Sorted out directly", at=at + timedelta(days=3))
        return cid
    log.acknowledge(cid, at=at)
    at += timedelta(minutes=rng.randrange(1, 120))
    log.assign(cid, assignee=f"agent-{rng.randrange(40)}", team=rng.choice(TEAMS), at=at)
    if path >= 0.95:  # still open: escalated, then waiting for the customer
        log.make_promise(cid, promise="We will call you back", due=at + timedelta(hours=24), at=at)
        log.inform(cid, message="Progress update", at=at + timedelta(hours=20))
        log.escalate(cid, level="supervisor", reason="Needs a decision", at=at + timedelta(days=2))
        log.pause(cid, reason="Waiting for the customer", at=at + timedelta(days=3))
        return cid
    if path < 0.15:
        log.pause(cid, reason="Waiting for the customer", at=at + timedelta(hours=1))
        at += timedelta(days=rng.randrange(1, 5))
        log.resume(cid, at=at)
    else:
        due = at + timedelta(hours=rng.choice([4, 24, 48]))
        log.make_promise(cid, promise="We will call you back", due=due, at=at)
        at = due + timedelta(hours=rng.choice([-2, -1, 3]))  # most kept, some broken
        if path < 0.25:
            log.escalate(cid, level="supervisor", reason="Needs a decision", at=at)
        else:
            log.inform(cid, message="Progress update", at=at)
    at += timedelta(hours=rng.randrange(1, 200))
    log.resolve(cid, remedy=rng.choice(REMEDIES), summary="Resolved", accepted=True, at=at)
    log.record_survey(cid, score=rng.randrange(1, 6), at=at + timedelta(hours=30))
    return cid

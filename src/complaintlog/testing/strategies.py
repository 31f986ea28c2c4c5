"""Hypothesis strategies for complaints: values, whole valid lifecycles, and workloads.

A :class:`Lifecycle` is a script of legal commands for one complaint, with business times
that only move forward; a :class:`Workload` is many of them spread over a period. Apply
them with :func:`apply_lifecycle` / :func:`apply_workload` to any ``ComplaintLog`` whose
clock is past the workload's last step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
from hypothesis import strategies as st

from complaintlog.application import Batch, ComplaintLog
from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import ClockKind, Metric, SlaPolicy, SlaTarget
from complaintlog.domain.values import (
    Category,
    Cause,
    Channel,
    Customer,
    EscalationLevel,
    Money,
    Remedy,
    ServqualDimension,
    Severity,
)
from complaintlog.testing.machine import ModelComplaint

__all__ = [
    "Lifecycle",
    "PlannedCommand",
    "Workload",
    "apply_lifecycle",
    "apply_workload",
    "business_calendars",
    "categories",
    "channels",
    "customers",
    "lifecycles",
    "money",
    "remedies",
    "severities",
    "sla_policies",
    "workloads",
]

_WORDS = st.sampled_from(
    ["router", "invoice", "delivery", "repair", "refund", "courier", "billing", "app", "card"]
)
_TEXT = st.lists(_WORDS, min_size=1, max_size=6).map(" ".join)


def channels() -> st.SearchStrategy[Channel]:
    return st.sampled_from(Channel)


def severities() -> st.SearchStrategy[Severity]:
    return st.sampled_from(Severity)


def remedies() -> st.SearchStrategy[Remedy]:
    return st.sampled_from(Remedy)


def customers(ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Customer]:
    """Customers with an id and, sometimes, a name, e-mail and phone."""
    return st.builds(
        Customer,
        id=ids if ids is not None else st.integers(1, 10_000).map(lambda n: f"C-{n}"),
        name=st.none() | st.sampled_from(["Ana Horvat", "Jana Kováčová", "Li Wei", "Ivan"]),
        email=st.none() | st.integers(1, 999).map(lambda n: f"customer{n}@example.org"),
        phone=st.none() | st.integers(1_000_000, 9_999_999).map(lambda n: f"+385 1 {n}"),
    )


def categories() -> st.SearchStrategy[Category]:
    return st.builds(
        Category,
        dimension=st.none() | st.sampled_from(ServqualDimension),
        cause=st.none() | st.sampled_from([c.value for c in Cause]),
        product=st.none() | st.sampled_from(["Broadband", "Mortgage", "Washer", "Parcel"]),
    )


def money(currencies: Sequence[str] = ("EUR", "USD", "GBP")) -> st.SearchStrategy[Money]:
    return st.builds(
        Money,
        amount=st.integers(1, 200_000).map(lambda cents: Decimal(cents) / 100),
        currency=st.sampled_from(list(currencies)),
    )


_ZONES = ["UTC", "Europe/London", "Europe/Zagreb", "America/New_York", "Asia/Shanghai"]


@st.composite
def business_calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Working weeks of one or two shifts a day, in real time zones, with some holidays."""
    start_hour = draw(st.integers(6, 10))
    split = draw(st.booleans())
    if split:
        shifts = [(time(start_hour), time(12)), (time(13), time(start_hour + 9))]
    else:
        shifts = [(time(start_hour), time(start_hour + draw(st.integers(4, 10))))]
    days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
    holidays = draw(
        st.lists(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), max_size=8)
    )
    return BusinessCalendar(
        draw(st.sampled_from(_ZONES)), dict.fromkeys(days, tuple(shifts)), holidays=holidays
    )


@st.composite
def sla_targets(draw: st.DrawFn) -> SlaTarget:
    metric = draw(st.sampled_from([m for m in Metric if m is not Metric.PROMISE]))
    clock = draw(st.sampled_from(ClockKind))
    hours = draw(st.integers(1, 24 * 20))
    return SlaTarget(
        name=f"{metric.value}_{clock.value}_{hours}h",
        metric=metric,
        within=timedelta(hours=hours),
        clock=clock,
        pauses_stop_clock=draw(st.booleans()),
        warning_at=draw(st.sampled_from([0.5, 0.75, 0.9, 1.0])),
    )


@st.composite
def sla_policies(
    draw: st.DrawFn, calendars: st.SearchStrategy[BusinessCalendar] | None = None
) -> SlaPolicy:
    """Policies of one to five targets (unique names) on a drawn business calendar."""
    targets = draw(st.lists(sla_targets(), min_size=1, max_size=5, unique_by=lambda t: t.name))
    calendar = draw(calendars if calendars is not None else business_calendars())
    return SlaPolicy(name="generated", targets=tuple(targets), calendar=calendar)


@attrs.frozen
class PlannedCommand:
    """One command of a lifecycle: its name, its arguments (without the id) and when."""

    name: str
    at: datetime
    arguments: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Lifecycle:
    """A legal sequence of commands for one complaint; the first is always ``receive``."""

    commands: tuple[PlannedCommand, ...]

    @property
    def ends_at(self) -> datetime:
        return self.commands[-1].at


@attrs.frozen
class Workload:
    lifecycles: tuple[Lifecycle, ...]

    @property
    def ends_at(self) -> datetime:
        return max(lifecycle.ends_at for lifecycle in self.lifecycles)

    @property
    def command_count(self) -> int:
        return sum(len(lifecycle.commands) for lifecycle in self.lifecycles)


_Planner = Callable[[st.DrawFn, ModelComplaint], dict[str, Any]]


def _legal_moves(model: ModelComplaint) -> dict[str, _Planner]:
    """The commands the rules allow in this state, and how to draw their arguments."""
    moves: dict[str, _Planner] = {}
    if model.open:
        moves["assign"] = lambda d, m: {"assignee": d(st.sampled_from(["ana", "ivo", "li"]))}
        moves["inform"] = lambda d, m: {"message": d(_TEXT)}
        moves["make_promise"] = lambda d, m: {
            "promise": "call back",
            "due": m.last_at + timedelta(hours=d(st.integers(1, 72))),
            "alongside": d(st.booleans()),
        }
        moves["record_desired_remedy"] = lambda d, m: {"remedy": d(remedies())}
        moves["resolve"] = lambda d, m: {
            "remedy": d(remedies()),
            "summary": d(_TEXT),
            "first_contact": not m.acknowledged,
        }
        moves["withdraw"] = lambda d, m: {}
        if model.paused:
            moves["resume"] = lambda d, m: {}
        else:
            moves["pause"] = lambda d, m: {"reason": "waiting for the customer"}
        if not model.acknowledged:
            moves["acknowledge"] = lambda d, m: {
                "regret": d(st.booleans()),
                "thanks": d(st.booleans()),
            }
        rank = model.escalation_rank
        higher = [level for level in EscalationLevel if level.rank > rank]
        if higher:
            moves["escalate"] = lambda d, m: {
                "level": d(st.sampled_from(higher)),
                "reason": d(_TEXT),
            }
    elif model.resolved and not model.withdrawn:
        moves["reopen"] = lambda d, m: {
            "reason": d(st.sampled_from(["dispute", "customer_returned"]))
        }
        if not model.followed_up:
            moves["follow_up"] = lambda d, m: {"solved": d(st.booleans())}
        if not model.surveyed:
            moves["record_survey"] = lambda d, m: {"score": d(st.integers(1, 5))}
        if not model.survey_sent:
            moves["send_survey"] = lambda d, m: {"channel": d(st.sampled_from(["email", "phone"]))}
    if not model.withdrawn:
        moves["note"] = lambda d, m: {"text": d(_TEXT)}
        moves["attach_evidence"] = lambda d, m: {
            "name": "receipt.pdf",
            "media_type": "application/pdf",
            "sha256": d(st.binary(min_size=32, max_size=32)).hex(),
        }
    return moves


def _advance(model: ModelComplaint, name: str, arguments: Mapping[str, Any]) -> None:
    """Update the model as the real complaint would change."""
    if name == "acknowledge":
        model.acknowledged = True
    elif name in {"assign", "inform", "make_promise", "record_desired_remedy"}:
        model.handled = True
    elif name == "escalate":
        model.escalation_rank = arguments["level"].rank
        model.handled = True
    elif name == "pause":
        model.paused = True
    elif name == "resume":
        model.paused = False
    elif name == "resolve":
        model.acknowledged = model.resolved = True
        model.paused = False
    elif name == "withdraw":
        model.withdrawn = True
    elif name == "reopen":
        model.new_cycle()
    elif name == "follow_up":
        model.followed_up = True
        if not arguments["solved"]:
            model.new_cycle()
    elif name == "record_survey":
        model.surveyed = True
    elif name == "send_survey":
        model.survey_sent = True


@st.composite
def lifecycles(
    draw: st.DrawFn,
    start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    max_steps: int = 10,
    max_gap: timedelta = timedelta(days=3),
    calendar: BusinessCalendar | None = None,
) -> Lifecycle:
    """A legal command script for one complaint, starting at ``start``.

    With a ``calendar``, steps happen in its working time: the complaint may arrive at any
    moment, but each later step follows a gap of business time, as a team would work.
    """
    at = start
    receive = PlannedCommand(
        "receive",
        at,
        {
            "customer": draw(customers()),
            "channel": draw(channels()),
            "subject": draw(_TEXT),
            "description": draw(_TEXT),
            "category": draw(st.none() | categories()),
            "severity": draw(severities()),
        },
    )
    commands = [receive]
    model = ModelComplaint(last_at=at)
    gap_minutes = st.integers(0, int(max_gap.total_seconds() // 60))
    for _ in range(draw(st.integers(0, max_steps))):
        moves = _legal_moves(model)
        if not moves:
            break
        name = draw(st.sampled_from(sorted(moves)))
        gap = timedelta(minutes=draw(gap_minutes))
        if calendar is None:
            at += gap
        else:  # a gap that ends as a working day closes is taken up at the next opening
            at = calendar.next_working_time(calendar.add(at, gap))
        model.last_at = at
        arguments = moves[name](draw, model)
        commands.append(PlannedCommand(name, at, arguments))
        _advance(model, name, arguments)
    return Lifecycle(tuple(commands))


@st.composite
def workloads(
    draw: st.DrawFn,
    start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    complaints: st.SearchStrategy[int] | None = None,
    spread: timedelta = timedelta(days=30),
    max_steps: int = 8,
    calendar: BusinessCalendar | None = None,
) -> Workload:
    """Many lifecycles whose complaints arrive over ``spread`` from ``start``.

    With a ``calendar``, the handling steps fall in its working time (see ``lifecycles``).
    """
    count = draw(complaints if complaints is not None else st.integers(1, 20))
    offsets = st.integers(0, int(spread.total_seconds() // 60))
    return Workload(
        tuple(
            draw(
                lifecycles(
                    start + timedelta(minutes=draw(offsets)),
                    max_steps=max_steps,
                    calendar=calendar,
                )
            )
            for _ in range(count)
        )
    )


def apply_lifecycle(log: ComplaintLog | Batch, lifecycle: Lifecycle) -> UUID:
    """Run the lifecycle's commands; returns the new complaint's id."""
    receive, *rest = lifecycle.commands
    cid = log.receive(at=receive.at, **receive.arguments)
    for planned in rest:
        getattr(log, planned.name)(cid, at=planned.at, **planned.arguments)
    return cid


def apply_workload(log: ComplaintLog, workload: Workload, batch_size: int = 200) -> list[UUID]:
    """Run every lifecycle, saving in batches; returns the complaint ids in order."""
    ids: list[UUID] = []
    batch = log.batch()
    for lifecycle in workload.lifecycles:
        ids.append(apply_lifecycle(batch, lifecycle))
        if len(batch) >= batch_size:
            batch.commit()
    batch.commit()
    return ids

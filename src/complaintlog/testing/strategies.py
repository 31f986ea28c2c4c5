"""Hypothesis strategies for complaints: values, whole valid lifecycles, and workloads.

A :class:`~complaintlog.testing.Lifecycle` is a script of legal commands for one
complaint, with business times that only move forward; a ``Workload`` is many of them
spread over a period. Apply them with ``apply_lifecycle`` / ``apply_workload`` to any
``ComplaintLog`` whose clock is past the workload's last step. The knobs (actors,
products, amounts, promise dues, move weights, start times) aim the search at the
situations a company's rules are about; ``money(near=...)`` and the time strategies of
:mod:`complaintlog.testing.times` put values on and around limits and deadlines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import ClockKind, Metric, SlaPolicy, SlaTarget
from complaintlog.domain.values import (
    Category,
    Cause,
    Channel,
    Customer,
    Money,
    Remedy,
    ServqualDimension,
    Severity,
)
from complaintlog.testing.lifecycle import Lifecycle, PlannedCommand, Workload
from complaintlog.testing.model import ModelComplaint
from complaintlog.testing.moves import STOCK_MOVES, Knobs, Move, words

__all__ = [
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

_TEXT = words()


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


def money(
    currencies: Sequence[str] = ("EUR", "USD", "GBP"),
    *,
    near: Iterable[Decimal | int | str] = (),
    max_amount: Decimal | int = 2000,
) -> st.SearchStrategy[Money]:
    """Amounts up to ``max_amount``; about half of them on or a cent or a unit around a
    limit in ``near`` (the boundaries where ``>`` and ``>=`` differ)."""
    top = int(Decimal(max_amount) * 100)
    anywhere = st.integers(1, top).map(lambda cents: Decimal(cents) / 100)
    edges = sorted(
        {
            (Decimal(limit) + step).quantize(Decimal("0.01"))
            for limit in near
            for step in (Decimal(0), Decimal("0.01"), Decimal("-0.01"), Decimal(1), Decimal(-1))
        }
        - {Decimal("0.00")}
    )
    amounts = st.one_of(st.sampled_from(edges), anywhere) if edges else anywhere
    return st.builds(
        Money, amount=amounts.filter(lambda a: a > 0), currency=st.sampled_from(list(currencies))
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


def _weighted(draw: st.DrawFn, moves: Sequence[Move], weights: Mapping[str, int]) -> Move:
    """One of the legal moves, in proportion to its weight (shrinks to the first)."""
    scale = [weights.get(move.name, move.weight) for move in moves]
    pick = draw(st.integers(0, sum(scale) - 1))
    for move, weight in zip(moves, scale, strict=True):
        if pick < weight:
            return move
        pick -= weight
    raise AssertionError("unreachable: the pick is below the total weight")


@st.composite
def lifecycles(
    draw: st.DrawFn,
    start: datetime | st.SearchStrategy[datetime] = datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    max_steps: int = 10,
    max_gap: timedelta = timedelta(days=3),
    calendar: BusinessCalendar | None = None,
    *,
    min_steps: int = 0,
    actors: Sequence[str] | st.SearchStrategy[str | None] | None = None,
    products: Sequence[str] | st.SearchStrategy[str | None] | None = None,
    amounts: st.SearchStrategy[Money] | None = None,
    promise_horizon: timedelta = timedelta(hours=72),
    promise_due: Callable[[ModelComplaint], st.SearchStrategy[datetime]] | None = None,
    levels: Sequence[str] | None = None,
    weights: Mapping[str, int] | None = None,
    moves: Sequence[Move] = STOCK_MOVES,
) -> Lifecycle:
    """A legal command script for one complaint, starting at ``start`` (a time or a strategy).

    - ``min_steps``/``max_steps``: how many commands follow ``receive``: at least
      ``min_steps``, then each further step ends the script with a chance of one in
      ``(max_steps - min_steps) / 2 + 1``, so scripts average about half of ``max_steps``
      and shrink by whole steps; it also ends when nothing is legal any more.
    - ``actors``: who runs each command (names or a strategy; default: nobody).
    - ``products``: the category's product at receipt (default: no category).
    - ``amounts``: compensation amounts (e.g. ``money(["EUR"], near=[500])``); without it
      resolutions carry no compensation.
    - ``promise_horizon``/``promise_due``: how far ahead promises fall due, or a function of
      the model giving a strategy of due times (``deadline_edges(policy, target)``).
    - ``levels``: the escalation levels drawn (default: all; escalations only rise).
    - ``weights``: relative weights of moves by name (``{"withdraw": 0}`` never withdraws).
    - ``moves``: the table of moves (``STOCK_MOVES`` plus your own ``Move``).
    - ``calendar``: steps happen in its working time: the complaint may arrive at any
      moment, but each later step follows a gap of business time, as a team would work.
    """
    knobs = Knobs(
        actors=_strategy(actors),
        products=_strategy(products),
        amounts=amounts,
        promise_horizon=promise_horizon,
        promise_due=promise_due,
        **({"levels": tuple(levels)} if levels is not None else {}),
    )
    at = draw(start) if isinstance(start, st.SearchStrategy) else start
    product = draw(knobs.products)
    receive = PlannedCommand(
        "receive",
        at,
        {
            "customer": draw(customers()),
            "channel": draw(channels()),
            "subject": draw(_TEXT),
            "description": draw(_TEXT),
            "category": (
                {"product": product} if product is not None else draw(st.none() | categories())
            ),
            "severity": draw(severities()),
            **_actor(draw, knobs),
        },
    )
    commands = [receive]
    model = ModelComplaint(last_at=at, severity=receive.arguments["severity"], product=product)
    gap_minutes = st.integers(0, int(max_gap.total_seconds() // 60))
    chosen = dict(weights or {})
    stop_one_in = max(2, (max_steps - min_steps) // 2 + 1)
    for step in range(max(min_steps, max_steps)):
        # one draw per step, so hypothesis shrinks a script by deleting whole steps
        if step >= min_steps and draw(st.integers(0, stop_one_in - 1)) == stop_one_in - 1:
            break
        legal = [m for m in moves if m.allowed(model) and chosen.get(m.name, m.weight) > 0]
        if not legal:
            break
        move = _weighted(draw, legal, chosen)
        gap = timedelta(minutes=draw(gap_minutes))
        if calendar is None:
            at += gap
        else:  # a gap that ends as a working day closes is taken up at the next opening
            at = calendar.next_working_time(calendar.add(at, gap))
        model.last_at = at
        arguments = {**move.arguments(draw, model, knobs), **_actor(draw, knobs)}
        commands.append(PlannedCommand(move.name, at, arguments))
        move.advance(model, arguments)
        model.events += 1
    return Lifecycle(tuple(commands))


def _strategy(
    values: Sequence[str] | st.SearchStrategy[str | None] | None,
) -> st.SearchStrategy[str | None]:
    if values is None:
        return st.none()
    if isinstance(values, st.SearchStrategy):
        return values
    return st.sampled_from(list(values))


def _actor(draw: st.DrawFn, knobs: Knobs) -> dict[str, str]:
    actor = draw(knobs.actors)
    return {} if actor is None else {"actor": actor}


@st.composite
def workloads(
    draw: st.DrawFn,
    /,
    start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    complaints: st.SearchStrategy[int] | None = None,
    spread: timedelta = timedelta(days=30),
    max_steps: int = 8,
    calendar: BusinessCalendar | None = None,
    **knobs: object,
) -> Workload:
    """Many lifecycles whose complaints arrive over ``spread`` from ``start``.

    With a ``calendar``, the handling steps fall in its working time; other keyword
    arguments are the knobs of :func:`lifecycles`.
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
                    **knobs,  # type: ignore[arg-type]
                )
            )
            for _ in range(count)
        )
    )

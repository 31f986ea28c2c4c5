"""The table of moves a lifecycle is drawn from: when each command is legal, how its
arguments are drawn, and how it changes the model.

New commands join by adding a :class:`Move` to the table passed to ``lifecycles(moves=...)``
(``STOCK_MOVES + (Move(...),)``); the knobs in :class:`Knobs` reach every move.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
from hypothesis import strategies as st

from complaintlog.domain.values import EscalationLevel, Money, Remedy, Severity
from complaintlog.testing.lifecycle import plain
from complaintlog.testing.model import ModelComplaint

__all__ = ["STOCK_MOVES", "Knobs", "Move", "words"]


def words() -> st.SearchStrategy[str]:
    """Short texts of a few plain words."""
    return st.lists(
        st.sampled_from(
            ["router", "invoice", "delivery", "repair", "refund", "courier", "billing", "card"]
        ),
        min_size=1,
        max_size=4,
    ).map(" ".join)


@attrs.frozen
class Knobs:
    """What the moves draw from: who acts, about which product, which amounts and dues."""

    actors: st.SearchStrategy[str | None] = attrs.field(factory=st.none)
    products: st.SearchStrategy[str | None] = attrs.field(factory=st.none)
    amounts: st.SearchStrategy[Money] | None = None
    """Compensation amounts; ``None``: resolutions carry no compensation."""
    promise_horizon: timedelta = timedelta(hours=72)
    promise_due: Callable[[ModelComplaint], st.SearchStrategy[datetime]] | None = None
    """Due times for a promise made now; by default up to ``promise_horizon`` ahead."""
    levels: tuple[str, ...] = tuple(level.value for level in EscalationLevel)
    """The escalation levels drawn (each escalation stays or rises)."""


Plan = Callable[[st.DrawFn, ModelComplaint, Knobs], dict[str, Any]]


@attrs.frozen
class Move:
    """One command a lifecycle may take: when it is legal, its arguments, its effect."""

    name: str
    """The ``ComplaintLog`` method."""
    allowed: Callable[[ModelComplaint], bool]
    arguments: Plan
    advance: Callable[[ModelComplaint, Mapping[str, Any]], None] = lambda model, args: None
    weight: int = 4
    """How often it is drawn among the legal moves, relative to the others."""


def _handled(model: ModelComplaint, _: Mapping[str, Any]) -> None:
    model.handled = True


def _escalate(model: ModelComplaint, arguments: Mapping[str, Any]) -> None:
    level = EscalationLevel(arguments["level"])
    model.escalation_rank = level.rank
    model.escalations.add((level.rank, arguments["reason"]))
    model.handled = True


def _escalation(draw: st.DrawFn, model: ModelComplaint, knobs: Knobs) -> dict[str, Any]:
    higher = [v for v in knobs.levels if EscalationLevel(v).rank >= model.escalation_rank] or [
        level.value for level in EscalationLevel if level.rank >= model.escalation_rank
    ]
    level = draw(st.sampled_from(higher))
    taken = {reason for rank, reason in model.escalations if rank == EscalationLevel(level).rank}
    reason = draw(words().filter(lambda r: r not in taken))
    return {"level": level, "reason": reason}


def _promise(draw: st.DrawFn, model: ModelComplaint, knobs: Knobs) -> dict[str, Any]:
    if knobs.promise_due is not None:
        due = draw(knobs.promise_due(model).filter(lambda d: d > model.last_at))
    else:
        minutes = int(knobs.promise_horizon.total_seconds() // 60)
        due = model.last_at + timedelta(minutes=draw(st.integers(1, max(1, minutes))))
    return {"promise": "call back", "due": due, "alongside": draw(st.booleans())}


def _resolution(draw: st.DrawFn, model: ModelComplaint, knobs: Knobs) -> dict[str, Any]:
    arguments: dict[str, Any] = {"summary": draw(words())}
    if knobs.amounts is not None and draw(st.booleans()):
        arguments["remedy"] = "compensation"
        arguments["compensation"] = plain(draw(knobs.amounts))
    else:
        arguments["remedy"] = draw(st.sampled_from([r.value for r in Remedy]))
    if not model.acknowledged:
        arguments["first_contact"] = True
    return arguments


def _resolve(model: ModelComplaint, _: Mapping[str, Any]) -> None:
    model.acknowledged = model.resolved = True
    model.paused = False
    model.resolutions += 1


def _reclassification(draw: st.DrawFn, model: ModelComplaint, knobs: Knobs) -> dict[str, Any]:
    others = [s.value for s in Severity if s.value != model.severity]
    return {"reason": "assessed", "severity": draw(st.sampled_from(others))}


def _reclassify(model: ModelComplaint, arguments: Mapping[str, Any]) -> None:
    model.severity = arguments["severity"]
    model.handled = True


def _set(**fields: Any) -> Callable[[ModelComplaint, Mapping[str, Any]], None]:
    def advance(model: ModelComplaint, _: Mapping[str, Any]) -> None:
        for name, value in fields.items():
            setattr(model, name, value)

    return advance


def _follow_up(model: ModelComplaint, arguments: Mapping[str, Any]) -> None:
    model.followed_up = True
    if arguments["solved"]:
        model.solved = True
    else:
        model.new_cycle()


def _no_arguments(draw: st.DrawFn, model: ModelComplaint, knobs: Knobs) -> dict[str, Any]:
    return {}


def _open(model: ModelComplaint) -> bool:
    return model.open


def _after_resolution(model: ModelComplaint) -> bool:
    return model.resolved and not model.withdrawn


STOCK_MOVES: tuple[Move, ...] = (
    Move("acknowledge", lambda m: m.open and not m.acknowledged,
         lambda d, m, k: {"regret": d(st.booleans()), "thanks": d(st.booleans())},
         _set(acknowledged=True), weight=8),
    Move("record_desired_remedy", _open,
         lambda d, m, k: {"remedy": d(st.sampled_from([r.value for r in Remedy]))}, _handled,
         weight=2),
    Move("assign", _open, lambda d, m, k: {"assignee": d(st.sampled_from(["ana", "ivo", "li"]))},
         _handled),
    Move("inform", _open, lambda d, m, k: {"message": d(words())}, _handled),
    Move("make_promise", _open, _promise, _handled),
    Move("escalate", _open, _escalation, _escalate),
    Move("reclassify", _open, _reclassification, _reclassify, weight=2),
    Move("pause", lambda m: m.open and not m.paused,
         lambda d, m, k: {"reason": "waiting for the customer"}, _set(paused=True), weight=2),
    Move("resume", lambda m: m.open and m.paused, _no_arguments, _set(paused=False)),
    Move("resolve", _open, _resolution, _resolve, weight=6),
    Move("withdraw", _open, _no_arguments, _set(withdrawn=True, paused=False), weight=1),
    Move("reopen", _after_resolution,
         lambda d, m, k: {"reason": d(st.sampled_from(["dispute", "customer_returned"]))},
         lambda m, a: m.new_cycle(), weight=3),
    Move("follow_up", lambda m: _after_resolution(m) and not m.followed_up,
         lambda d, m, k: {"solved": d(st.booleans())}, _follow_up, weight=3),
    Move("record_survey", lambda m: _after_resolution(m) and not m.surveyed,
         lambda d, m, k: {"score": d(st.integers(1, 5))}, _set(surveyed=True), weight=2),
    Move("send_survey", lambda m: _after_resolution(m) and not m.survey_sent,
         lambda d, m, k: {"channel": d(st.sampled_from(["email", "phone"]))},
         _set(survey_sent=True), weight=2),
    Move("note", lambda m: not m.withdrawn, lambda d, m, k: {"text": d(words())}, weight=2),
    Move("attach_evidence", lambda m: not m.withdrawn,
         lambda d, m, k: {"name": "receipt.pdf", "media_type": "application/pdf",
                          "sha256": d(st.binary(min_size=32, max_size=32)).hex()}, weight=1),
)  # fmt: skip
"""The moves for every built-in command but ``receive``."""

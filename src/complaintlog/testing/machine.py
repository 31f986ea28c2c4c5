"""``ComplaintLifecycleMachine``: random legal and illegal command sequences against a model.

The machine keeps a deliberately simple model of each complaint
(:class:`~complaintlog.testing.ModelComplaint`) beside a real
:class:`~complaintlog.ComplaintLog` and checks, after every step, on the complaint the step
touched: legal commands succeed, illegal ones raise a ``ComplaintRuleError`` and record
nothing, state rebuilt from stored events equals the model, and time never runs backwards.

Hooks for subclasses:

- :meth:`make_log`: the log to drive (another store, your rules, your policy).
- :meth:`attempt`: run a command of your own move and learn whether it was recorded;
  update ``self.model[cid]`` when it was. Disagreements raise :class:`MachineDisagreement`
  with the command, the complaint and the model in the message.
- :meth:`check_complaint`: per-complaint invariants (call ``super()``); they run only on
  the complaints the last step touched.
- ``disabled_moves``: names of stock moves the machine must not make.

A machine whose log enforces company rules treats their refusals as legitimate and still
checks that a refused command recorded nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule

from complaintlog.application import ComplaintLog
from complaintlog.domain.values import EscalationLevel
from complaintlog.errors import ComplaintRuleError, RuleViolationError
from complaintlog.testing.lifecycle import plain
from complaintlog.testing.model import ModelComplaint, SteppingClock
from complaintlog.testing.strategies import money

__all__ = ["ComplaintLifecycleMachine", "MachineDisagreement", "ModelComplaint", "SteppingClock"]

_LEVELS = [level.value for level in EscalationLevel]
_REASONS = ["angry customer", "over my limit", "legal threat"]
_ACTORS = st.sampled_from(["ana", "ivo", "li"]) | st.none()
_AMOUNTS = st.none() | money(["EUR"], near=[500], max_amount=1000).map(plain)


class MachineDisagreement(AssertionError):
    """The log and the machine's model of the complaint disagree."""


def _is_move(value: object) -> bool:
    return hasattr(value, "hypothesis_stateful_rule")


def _disabled(name: str) -> Callable[..., None]:
    def disabled(self: object, *args: object, **kwargs: object) -> None:
        msg = f"the stock move {name!r} is disabled on this machine (disabled_moves)"
        raise MachineDisagreement(msg)

    return disabled


class ComplaintLifecycleMachine(RuleBasedStateMachine):
    """Drives a ComplaintLog with random commands and checks it against ``ModelComplaint``.

    Actors are drawn from ``ana``, ``ivo`` and ``li``; products from ``Mortgage`` and
    ``Broadband``; compensation from ``money(["EUR"], near=[500])``.
    """

    complaints = Bundle("complaints")
    disabled_moves: ClassVar[frozenset[str]] = frozenset()
    """Stock moves (method names, e.g. ``"withdraw"``) this machine never makes."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Stock moves listed in ``disabled_moves`` stop being hypothesis rules."""
        super().__init_subclass__(**kwargs)
        stock = {name for name, value in vars(ComplaintLifecycleMachine).items() if _is_move(value)}
        unknown = set(cls.disabled_moves) - stock
        if unknown:
            msg = f"disabled_moves names no stock move: {sorted(unknown)}; stock: {sorted(stock)}"
            raise TypeError(msg)
        for name in cls.disabled_moves:
            setattr(cls, name, _disabled(name))

    def __init__(self) -> None:
        super().__init__()
        self.clock = SteppingClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
        self.log = self.make_log(self.clock)
        self.model: dict[UUID, ModelComplaint] = {}
        self.touched: set[UUID] = set()

    def make_log(self, clock: SteppingClock) -> ComplaintLog:
        return ComplaintLog("memory://", clock=clock)

    def teardown(self) -> None:
        self.log.close()

    # -- hooks -----------------------------------------------------------------------------

    def expect(self, condition: bool, message: str) -> None:
        """Raise :class:`MachineDisagreement` with ``message`` unless ``condition`` holds."""
        if not condition:
            raise MachineDisagreement(message)

    def attempt(
        self,
        cid: UUID,
        command: str,
        *,
        legal: bool,
        at: datetime | None = None,
        **arguments: Any,
    ) -> bool:
        """Run ``command`` on the complaint; ``True`` if it was recorded.

        ``legal`` says whether the built-in rules allow it in the model's state. A legal
        command must succeed unless the log's own rules refuse it; an illegal one must be
        refused; a refusal must record nothing. On success the model's ``last_at`` and
        ``events`` move on (add to ``events`` for commands that record two events).
        """
        model = self.model.get(cid)
        if model is None:
            raise MachineDisagreement(f"{command}: complaint {cid} is not in the model")
        at = self.clock.now if at is None else at
        legal = legal and at >= model.last_at
        self.touched.add(cid)
        before = len(self.log.history(cid))
        try:
            getattr(self.log, command)(cid, at=at, **arguments)
        except ComplaintRuleError as refusal:
            recorded = len(self.log.history(cid)) - before
            self.expect(not recorded, f"{command} was refused ({refusal}) yet recorded events")
            if not isinstance(refusal, RuleViolationError):
                self.expect(not legal, f"{command} should have been accepted: {refusal}")
            return False
        self.expect(legal, f"{command}({arguments}) should have been refused in {model!r}")
        model.last_at = at
        model.events += 1
        return True

    def check_complaint(self, cid: UUID) -> None:
        """The invariants of one complaint; runs after every step that touched it."""
        model = self.model[cid]
        view = self.log.get(cid)
        expected = model.expected_status()
        self.expect(view.status is expected, f"status {view.status} but the model says {expected}")
        self.expect(view.version == model.events, f"v{view.version} but {model.events} events")
        self.expect(view.cycle == model.cycle, f"cycle {view.cycle} but {model.cycle}")
        replayed = self.log.get(cid, as_of=self.clock.now)  # folded event by event
        self.expect(replayed == view, "replaying the events gives another state")
        times = [entry.occurred_at for entry in self.log.history(cid)]
        self.expect(times == sorted(times), f"business times run backwards: {times}")

    def check_touched(self) -> None:
        """Check, then forget, the complaints the last step touched."""
        for cid in sorted(self.touched):
            self.check_complaint(cid)
        self.touched.clear()

    def check_invariants(self, *args: Any, **kwargs: Any) -> None:
        """After every step: your ``@invariant`` methods, then the touched complaints.

        The per-complaint checks run here rather than as an ``@invariant`` so that a
        counterexample lists the steps alone, without a checking line after each.
        """
        super().check_invariants(*args, **kwargs)
        self.check_touched()

    # -- moves -----------------------------------------------------------------------------

    def _when(self, complaint: ModelComplaint, back: int) -> datetime:
        """Now, or ``back`` minutes before the complaint's last event (time running back)."""
        return complaint.last_at - timedelta(minutes=back) if back else self.clock.now

    @rule(minutes=st.integers(min_value=1, max_value=3 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        self.clock.now += timedelta(minutes=minutes)

    @rule(
        target=complaints,
        channel=st.sampled_from(["phone", "email", "web", "social"]),
        product=st.sampled_from([None, "Mortgage", "Broadband"]),
        actor=_ACTORS,
    )
    def receive(self, channel: str, product: str | None, actor: str | None) -> UUID:
        category = {"product": product} if product else None
        cid = self.log.receive(
            customer={"id": "c-1"},
            channel=channel,
            subject="Product",
            description="Broken",
            category=category,
            actor=actor,
        )
        self.model[cid] = ModelComplaint(last_at=self.clock.now, product=product)
        self.touched.add(cid)
        return cid

    @rule(cid=complaints, back=st.sampled_from([0, 0, 0, 30]), actor=_ACTORS)
    def acknowledge(self, cid: UUID, back: int, actor: str | None) -> None:
        m = self.model[cid]
        legal = m.open and not m.acknowledged
        if self.attempt(cid, "acknowledge", legal=legal, at=self._when(m, back), actor=actor):
            m.acknowledged = True

    @rule(cid=complaints, back=st.sampled_from([0, 0, 0, 30]))
    def assign(self, cid: UUID, back: int) -> None:
        m = self.model[cid]
        if self.attempt(cid, "assign", legal=m.open, at=self._when(m, back), assignee="agent"):
            m.handled = True

    @rule(
        cid=complaints,
        level=st.sampled_from(_LEVELS),
        reason=st.sampled_from(_REASONS),
        actor=_ACTORS,
    )
    def escalate(self, cid: UUID, level: str, reason: str, actor: str | None) -> None:
        m = self.model[cid]
        rank = EscalationLevel(level).rank
        legal = m.open and rank >= m.escalation_rank and (rank, reason) not in m.escalations
        if self.attempt(cid, "escalate", legal=legal, level=level, reason=reason, actor=actor):
            m.escalation_rank = rank
            m.escalations.add((rank, reason))
            m.handled = True

    @rule(
        cid=complaints,
        due_in=st.integers(min_value=-60, max_value=3 * 24 * 60),
        alongside=st.booleans(),
    )
    def make_promise(self, cid: UUID, due_in: int, alongside: bool) -> None:
        m = self.model[cid]
        due = self.clock.now + timedelta(minutes=due_in)
        legal = m.open and due_in > 0
        if self.attempt(
            cid, "make_promise", legal=legal, promise="call", due=due, alongside=alongside
        ):
            m.handled = True

    @rule(cid=complaints)
    def inform(self, cid: UUID) -> None:
        m = self.model[cid]
        if self.attempt(cid, "inform", legal=m.open, message="progress"):
            m.handled = True

    @rule(cid=complaints, severity=st.sampled_from(["low", "normal", "high", "critical"]))
    def reclassify(self, cid: UUID, severity: str) -> None:
        m = self.model[cid]
        legal = m.open and severity != m.severity
        if self.attempt(cid, "reclassify", legal=legal, reason="assessed", severity=severity):
            m.severity = severity
            m.handled = True

    @rule(cid=complaints)
    def pause(self, cid: UUID) -> None:
        m = self.model[cid]
        if self.attempt(cid, "pause", legal=m.open and not m.paused, reason="wait"):
            m.paused = True

    @rule(cid=complaints)
    def resume(self, cid: UUID) -> None:
        m = self.model[cid]
        if self.attempt(cid, "resume", legal=m.open and m.paused):
            m.paused = False

    @rule(cid=complaints, first_contact=st.booleans(), compensation=_AMOUNTS, actor=_ACTORS)
    def resolve(
        self, cid: UUID, first_contact: bool, compensation: dict[str, str] | None, actor: str | None
    ) -> None:
        m = self.model[cid]
        legal = m.open and (m.acknowledged or first_contact)
        remedy = "compensation" if compensation else "refund"
        if self.attempt(
            cid,
            "resolve",
            legal=legal,
            remedy=remedy,
            summary="done",
            compensation=compensation,
            first_contact=first_contact,
            actor=actor,
        ):
            m.events += 0 if m.acknowledged else 1
            m.acknowledged = m.resolved = True
            m.paused = False
            m.resolutions += 1

    @rule(cid=complaints)
    def reopen(self, cid: UUID) -> None:
        m = self.model[cid]
        if self.attempt(cid, "reopen", legal=m.resolved and not m.withdrawn, reason="dispute"):
            m.new_cycle()

    @rule(cid=complaints, solved=st.booleans())
    def follow_up(self, cid: UUID, solved: bool) -> None:
        m = self.model[cid]
        legal = m.resolved and not m.withdrawn and not m.followed_up
        if self.attempt(cid, "follow_up", legal=legal, solved=solved):
            m.followed_up, m.solved = True, solved
            if not solved:
                m.new_cycle()
                m.events += 1

    @rule(cid=complaints, score=st.integers(min_value=1, max_value=5))
    def record_survey(self, cid: UUID, score: int) -> None:
        m = self.model[cid]
        legal = m.resolved and not m.withdrawn and not m.surveyed
        if self.attempt(cid, "record_survey", legal=legal, score=score):
            m.surveyed = True

    @rule(cid=complaints, channel=st.sampled_from(["email", "phone"]))
    def send_survey(self, cid: UUID, channel: str) -> None:
        m = self.model[cid]
        legal = m.resolved and not m.withdrawn and not m.survey_sent
        if self.attempt(cid, "send_survey", legal=legal, channel=channel):
            m.survey_sent = True

    @rule(cid=complaints, remedy=st.sampled_from(["refund", "repair", "apology"]))
    def record_desired_remedy(self, cid: UUID, remedy: str) -> None:
        m = self.model[cid]
        if self.attempt(cid, "record_desired_remedy", legal=m.open, remedy=remedy):
            m.handled = True

    @rule(cid=complaints, internal=st.sampled_from(["note", "attach_evidence"]))
    def internal_record(self, cid: UUID, internal: str) -> None:
        """A note or a piece of evidence: allowed in every status but withdrawn."""
        arguments: dict[str, Any] = (
            {"text": "checked the invoice"}
            if internal == "note"
            else {"name": "receipt.pdf", "media_type": "application/pdf", "sha256": "0" * 64}
        )
        self.attempt(cid, internal, legal=not self.model[cid].withdrawn, **arguments)

    @rule(cid=complaints)
    def withdraw(self, cid: UUID) -> None:
        m = self.model[cid]
        if self.attempt(cid, "withdraw", legal=m.open):
            m.withdrawn = True
            m.paused = False

"""``ComplaintLifecycleMachine``: random legal and illegal command sequences against a model.

The machine keeps a deliberately simple model of each complaint beside a real
:class:`~complaintlog.ComplaintLog` and checks, after every step, that the log agrees:
legal commands succeed, illegal ones raise a ``ComplaintRuleError`` and record nothing,
state rebuilt from stored events equals the model, and time never runs backwards.

Subclass it to add your own rules and invariants::

    class MyMachine(ComplaintLifecycleMachine):
        @invariant()
        def no_compensation_without_management(self) -> None: ...

    TestMyMachine = MyMachine.TestCase

A machine whose log enforces company rules (``make_log`` returning
``ComplaintLog(rules=[...])``) treats their refusals as legitimate, and still checks that a
refused command recorded nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from complaintlog.application import ComplaintLog
from complaintlog.domain.status import Status
from complaintlog.domain.values import EscalationLevel
from complaintlog.errors import ComplaintRuleError, RuleViolationError

__all__ = ["ComplaintLifecycleMachine", "ModelComplaint", "SteppingClock"]

_LEVELS = list(EscalationLevel)
_REASONS = ["angry customer", "over my limit", "legal threat"]


class SteppingClock:
    """Recording time that moves only when the machine says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def __repr__(self) -> str:
        return f"SteppingClock({self.now!r})"


@attrs.define
class ModelComplaint:
    """What the rules say about one complaint, kept with nothing but booleans and counts."""

    last_at: datetime
    events: int = 1
    acknowledged: bool = False
    resolved: bool = False
    withdrawn: bool = False
    paused: bool = False
    followed_up: bool = False
    solved: bool = False
    surveyed: bool = False
    survey_sent: bool = False
    handled: bool = False
    cycle: int = 1
    escalation_rank: int = 0
    escalations: set[tuple[int, str]] = attrs.field(factory=set)

    @property
    def open(self) -> bool:
        return not (self.withdrawn or self.resolved)

    def expected_status(self) -> Status:
        if self.withdrawn:
            return Status.WITHDRAWN
        if self.resolved:
            return Status.CLOSED if (self.solved or self.surveyed) else Status.RESOLVED
        if self.paused:
            return Status.PAUSED
        if self.cycle > 1 and not self.handled:
            return Status.REOPENED
        if self.escalation_rank:
            return Status.ESCALATED
        if self.handled:
            return Status.IN_PROGRESS
        return Status.ACKNOWLEDGED if self.acknowledged else Status.RECEIVED

    def new_cycle(self) -> None:
        self.cycle += 1
        self.resolved = self.followed_up = self.solved = self.surveyed = False
        self.survey_sent = False
        self.handled = False


class ComplaintLifecycleMachine(RuleBasedStateMachine):
    """Drives a ComplaintLog with random commands and checks it against ``ModelComplaint``.

    Override :meth:`make_log` to run the machine on another store, or with your rules.
    """

    complaints = Bundle("complaints")

    def __init__(self) -> None:
        super().__init__()
        self.clock = SteppingClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
        self.log = self.make_log(self.clock)
        self.model: dict[UUID, ModelComplaint] = {}

    def make_log(self, clock: SteppingClock) -> ComplaintLog:
        return ComplaintLog("memory://", clock=clock)

    def teardown(self) -> None:
        self.log.close()

    # -- helpers ---------------------------------------------------------------------------

    def _when(self, complaint: ModelComplaint, back: int) -> datetime:
        """Now, or ``back`` minutes before the complaint's last event (time running back)."""
        return complaint.last_at - timedelta(minutes=back) if back else self.clock.now

    def _attempt(
        self, cid: UUID, legal: bool, at: datetime, command: str, **kwargs: object
    ) -> bool:
        """Run the command; legal ones must succeed, illegal ones must change nothing."""
        model = self.model[cid]
        legal = legal and at >= model.last_at
        before = len(self.log.history(cid))
        refusal: ComplaintRuleError | None = None
        try:
            getattr(self.log, command)(cid, at=at, **kwargs)
        except ComplaintRuleError as error:
            refusal = error
        if refusal is not None:
            assert len(self.log.history(cid)) == before, "a refused command recorded events"
            if isinstance(refusal, RuleViolationError):
                return False  # the log's own rules are beyond the built-in model
            assert not legal, f"{command} should have been accepted: {refusal}"
            return False
        assert legal, f"{command} should have been refused in {model!r}"
        model.last_at = at
        return True

    # -- rules -----------------------------------------------------------------------------

    @rule(minutes=st.integers(min_value=1, max_value=3 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        self.clock.now += timedelta(minutes=minutes)

    @rule(target=complaints, channel=st.sampled_from(["phone", "email", "web", "social"]))
    def receive(self, channel: str) -> UUID:
        cid = self.log.receive(
            customer={"id": "c-1"}, channel=channel, subject="Product", description="Broken"
        )
        self.model[cid] = ModelComplaint(last_at=self.clock.now)
        return cid

    @rule(cid=complaints, back=st.sampled_from([0, 0, 0, 30]))
    def acknowledge(self, cid: UUID, back: int) -> None:
        m = self.model[cid]
        if self._attempt(cid, m.open and not m.acknowledged, self._when(m, back), "acknowledge"):
            m.acknowledged = True
            m.events += 1

    @rule(cid=complaints, back=st.sampled_from([0, 0, 0, 30]))
    def assign(self, cid: UUID, back: int) -> None:
        m = self.model[cid]
        if self._attempt(cid, m.open, self._when(m, back), "assign", assignee="agent"):
            m.handled = True
            m.events += 1

    @rule(cid=complaints, level=st.sampled_from(_LEVELS), reason=st.sampled_from(_REASONS))
    def escalate(self, cid: UUID, level: EscalationLevel, reason: str) -> None:
        m = self.model[cid]
        legal = (
            m.open and level.rank >= m.escalation_rank and (level.rank, reason) not in m.escalations
        )
        if self._attempt(cid, legal, self.clock.now, "escalate", level=level, reason=reason):
            m.escalation_rank = level.rank
            m.escalations.add((level.rank, reason))
            m.handled = True
            m.events += 1

    @rule(
        cid=complaints,
        due_in=st.integers(min_value=-60, max_value=3 * 24 * 60),
        alongside=st.booleans(),
    )
    def make_promise(self, cid: UUID, due_in: int, alongside: bool) -> None:
        m = self.model[cid]
        due = self.clock.now + timedelta(minutes=due_in)
        legal = m.open and due_in > 0
        if self._attempt(
            cid, legal, self.clock.now, "make_promise", promise="call", due=due, alongside=alongside
        ):
            m.handled = True
            m.events += 1

    @rule(cid=complaints)
    def inform(self, cid: UUID) -> None:
        m = self.model[cid]
        if self._attempt(cid, m.open, self.clock.now, "inform", message="progress"):
            m.handled = True
            m.events += 1

    @rule(cid=complaints)
    def pause(self, cid: UUID) -> None:
        m = self.model[cid]
        if self._attempt(cid, m.open and not m.paused, self.clock.now, "pause", reason="wait"):
            m.paused = True
            m.events += 1

    @rule(cid=complaints)
    def resume(self, cid: UUID) -> None:
        m = self.model[cid]
        if self._attempt(cid, m.open and m.paused, self.clock.now, "resume"):
            m.paused = False
            m.events += 1

    @rule(cid=complaints, first_contact=st.booleans())
    def resolve(self, cid: UUID, first_contact: bool) -> None:
        m = self.model[cid]
        legal = m.open and (m.acknowledged or first_contact)
        if self._attempt(
            cid,
            legal,
            self.clock.now,
            "resolve",
            remedy="refund",
            summary="done",
            first_contact=first_contact,
        ):
            m.events += 1 if m.acknowledged else 2
            m.acknowledged = m.resolved = True
            m.paused = False

    @rule(cid=complaints)
    def reopen(self, cid: UUID) -> None:
        m = self.model[cid]
        if self._attempt(
            cid, m.resolved and not m.withdrawn, self.clock.now, "reopen", reason="dispute"
        ):
            m.new_cycle()
            m.events += 1

    @rule(cid=complaints, solved=st.booleans())
    def follow_up(self, cid: UUID, solved: bool) -> None:
        m = self.model[cid]
        legal = m.resolved and not m.withdrawn and not m.followed_up
        if self._attempt(cid, legal, self.clock.now, "follow_up", solved=solved):
            m.events += 1
            m.followed_up, m.solved = True, solved
            if not solved:
                m.new_cycle()
                m.events += 1

    @rule(cid=complaints, score=st.integers(min_value=1, max_value=5))
    def record_survey(self, cid: UUID, score: int) -> None:
        m = self.model[cid]
        legal = m.resolved and not m.withdrawn and not m.surveyed
        if self._attempt(cid, legal, self.clock.now, "record_survey", score=score):
            m.surveyed = True
            m.events += 1

    @rule(cid=complaints, channel=st.sampled_from(["email", "phone"]))
    def send_survey(self, cid: UUID, channel: str) -> None:
        m = self.model[cid]
        legal = m.resolved and not m.withdrawn and not m.survey_sent
        if self._attempt(cid, legal, self.clock.now, "send_survey", channel=channel):
            m.survey_sent = True
            m.events += 1

    @rule(cid=complaints, remedy=st.sampled_from(["refund", "repair", "apology"]))
    def record_desired_remedy(self, cid: UUID, remedy: str) -> None:
        m = self.model[cid]
        if self._attempt(cid, m.open, self.clock.now, "record_desired_remedy", remedy=remedy):
            m.handled = True
            m.events += 1

    @rule(cid=complaints, internal=st.sampled_from(["note", "attach_evidence"]))
    def internal_record(self, cid: UUID, internal: str) -> None:
        """A note or a piece of evidence: allowed in every status but withdrawn."""
        m = self.model[cid]
        arguments: dict[str, object] = (
            {"text": "checked the invoice"}
            if internal == "note"
            else {"name": "receipt.pdf", "media_type": "application/pdf", "sha256": "0" * 64}
        )
        if self._attempt(cid, not m.withdrawn, self.clock.now, internal, **arguments):
            m.events += 1

    @rule(cid=complaints)
    def withdraw(self, cid: UUID) -> None:
        m = self.model[cid]
        if self._attempt(cid, m.open, self.clock.now, "withdraw"):
            m.withdrawn = True
            m.paused = False
            m.events += 1

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def the_log_agrees_with_the_model(self) -> None:
        for cid, model in self.model.items():
            view = self.log.get(cid)
            assert view.status is model.expected_status(), (cid, view.status, model)
            assert view.version == model.events
            assert view.cycle == model.cycle

    @invariant()
    def replayed_state_equals_current_state(self) -> None:
        for cid in self.model:
            current = self.log.get(cid)  # rebuilt by the repository
            replayed = self.log.get(cid, as_of=self.clock.now)  # folded event by event
            assert replayed == current

    @invariant()
    def time_never_runs_backwards(self) -> None:
        for cid in self.model:
            times = [entry.occurred_at for entry in self.log.history(cid)]
            assert times == sorted(times)

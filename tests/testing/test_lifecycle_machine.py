"""The lifecycle state machine on the in-memory store and on SQLite."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import ClassVar
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from complaintlog import ComplaintLog, Status
from complaintlog.testing import ComplaintLifecycleMachine, MachineDisagreement, SteppingClock

TestLifecycleInMemory = ComplaintLifecycleMachine.TestCase
TestLifecycleInMemory.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class SqliteLifecycleMachine(ComplaintLifecycleMachine):
    """The same machine on a SQLite file: stored events must rebuild the same state."""

    def make_log(self, clock: SteppingClock) -> ComplaintLog:
        self._folder = tempfile.TemporaryDirectory()
        return ComplaintLog(f"sqlite:///{Path(self._folder.name) / 'm.db'}", clock=clock)

    @invariant()
    def a_second_process_reads_the_same_state_from_the_file(self) -> None:
        """What another process rebuilds from the stored rows equals what this one sees."""
        path = Path(self._folder.name) / "m.db"
        with ComplaintLog(f"sqlite:///{path}", clock=self.clock) as other:
            for cid in self.model:
                assert other.get(cid) == self.log.get(cid)

    def teardown(self) -> None:
        super().teardown()
        self._folder.cleanup()


TestLifecycleOnSqlite = SqliteLifecycleMachine.TestCase
TestLifecycleOnSqlite.settings = settings(
    max_examples=15,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class QuietMachine(ComplaintLifecycleMachine):
    """No withdrawals and no pauses: the stock moves can be switched off."""

    disabled_moves = frozenset({"withdraw", "pause", "resume"})

    def check_complaint(self, cid: UUID) -> None:
        super().check_complaint(cid)
        assert self.log.get(cid).status not in {Status.WITHDRAWN, Status.PAUSED}


TestQuietMachine = QuietMachine.TestCase
TestQuietMachine.settings = settings(
    max_examples=10, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)


def test_the_disabled_moves_are_no_longer_rules_and_a_typo_is_named() -> None:
    def is_rule(name: str) -> bool:
        return hasattr(getattr(QuietMachine, name), "hypothesis_stateful_rule")

    assert not any(is_rule(name) for name in ("withdraw", "pause", "resume"))
    assert is_rule("acknowledge")
    with pytest.raises(TypeError, match="'withdrawl'"):
        type("Typo", (ComplaintLifecycleMachine,), {"disabled_moves": frozenset({"withdrawl"})})


class WrongModelMachine(ComplaintLifecycleMachine):
    """A move of our own whose model is wrong: reopening an open complaint is refused."""

    @rule(cid=ComplaintLifecycleMachine.complaints)
    def reopen_anything(self, cid: UUID) -> None:
        self.attempt(cid, "reopen", legal=True, reason="dispute")


def test_a_model_mistake_in_an_added_move_is_a_clear_machine_disagreement() -> None:
    with pytest.raises(MachineDisagreement, match="reopen should have been accepted"):
        run_state_machine_as_test(
            WrongModelMachine,
            settings=settings(
                max_examples=50,
                stateful_step_count=10,
                deadline=None,
                database=None,
                report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck),
            ),
        )


class TouchCounting(ComplaintLifecycleMachine):
    checked: ClassVar[list[int]] = []

    def check_complaint(self, cid: UUID) -> None:
        super().check_complaint(cid)
        self.checked.append(len(self.model))


def test_invariants_run_only_on_the_complaint_a_step_touched() -> None:
    TouchCounting.checked.clear()
    run_state_machine_as_test(
        TouchCounting,
        settings=settings(
            max_examples=5,
            stateful_step_count=40,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # at most one complaint checked per step, however many complaints there are
    assert TouchCounting.checked
    assert len(TouchCounting.checked) <= 5 * 40
    assert max(TouchCounting.checked) > 1  # several complaints existed

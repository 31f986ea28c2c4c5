"""The lifecycle state machine on the in-memory store and on SQLite."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant

from complaintlog import ComplaintLog
from complaintlog.testing import ComplaintLifecycleMachine, SteppingClock

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

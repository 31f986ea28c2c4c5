"""``GroupCommit``: commands that arrive together, saved in one transaction.

A web server runs many requests at once, and each command's own transaction costs a commit
(an fsync on SQLite; on PostgreSQL the table lock, a handful of round trips and the
commit). Here the first caller to find no commit under way becomes the leader: it takes
every command waiting, runs them in one :class:`~complaintlog.application.batch.Batch`
and commits once, while the callers that come meanwhile wait for the next leader, which
takes them all. A caller alone (no one else waiting) runs its command on the log itself,
exactly as without this class.

Each command keeps its own outcome. A command the batch refuses (invalid input, a process
rule, a reused idempotency key, an unknown complaint) raises for its caller alone and leaves
the batch as it was. If the batch's commit fails (a duplicate external reference, a race
with another writer, the store), nothing of it was saved, and each command is run again on
its own, so each caller gets the answer it would have had alone. Idempotency holds inside a
batch too: a retry of a command pending in the same batch finds it there. The group's
``receive`` idempotency keys are looked up in the store in one query
(:meth:`~complaintlog.application.batch.Batch.look_up_keys`), not one each.

A caller that already holds many commands (the HTTP layer's
:class:`~complaintlog.http.offload.Offload`, whose one thread drains a queue of requests)
hands them over at once with :meth:`GroupCommit.run_together` and gets each one's
:class:`Pending` outcome back, instead of one thread per command.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs

from complaintlog.application.log import ComplaintLog

__all__ = ["GroupCommit", "Pending"]

_NOT_YET = object()


@attrs.define(eq=False)
class Pending:
    """One command and, once run, its result or its error."""

    command: str
    arguments: dict[str, Any]
    result: Any = _NOT_YET
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.result is not _NOT_YET or self.error is not None

    def outcome(self) -> Any:
        """The command's result, or its error raised."""
        if self.error is not None:
            raise self.error
        if self.result is _NOT_YET:
            raise RuntimeError(f"{self.command} has not run yet")
        return self.result

    def run_alone(self, log: ComplaintLog) -> None:
        try:
            self.result = getattr(log, self.command)(**self.arguments)
        except Exception as error:  # the caller's, raised in its own thread
            self.error = error


@attrs.define
class GroupCommit:
    """Runs ``log``'s commands from many threads, committing those that wait together at
    once (at most ``most`` per transaction)."""

    log: ComplaintLog
    most: int = 64
    _waiting: list[Pending] = attrs.field(factory=list)
    _queue_lock: threading.Lock = attrs.field(factory=threading.Lock)
    _leader_lock: threading.Lock = attrs.field(factory=threading.Lock)

    def run(self, command: str, **arguments: Any) -> Any:
        """``getattr(log, command)(**arguments)``, perhaps in a transaction shared with
        other threads' commands; its result, or its error raised."""
        mine = Pending(command, arguments)
        with self._queue_lock:
            self._waiting.append(mine)
        with self._leader_lock:
            if not mine.done:
                with self._queue_lock:
                    taken, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
                try:
                    self._commit(taken)
                except BaseException as error:  # the leader interrupted: no one waits forever
                    for waiting in taken:
                        if not waiting.done:
                            waiting.error = error
                    raise
        return mine.outcome()

    def run_together(self, commands: list[tuple[str, dict[str, Any]]]) -> list[Pending]:
        """Each ``(command, arguments)`` run, those together in transactions of at most
        ``most``, after any commit under way; their outcomes in the same order. Never
        raises for a command: its error is in its :class:`Pending`."""
        pending = [Pending(command, arguments) for command, arguments in commands]
        with self._leader_lock:
            for start in range(0, len(pending), self.most):
                taken = pending[start : start + self.most]
                try:
                    self._commit(taken)
                except BaseException as error:  # interrupted: every command gets an answer
                    for waiting in pending:
                        if not waiting.done:
                            waiting.error = error
                    raise
        return pending

    def _commit(self, taken: list[Pending]) -> None:
        if len(taken) == 1:
            taken[0].run_alone(self.log)
            return
        try:
            with self.log.batch() as batch:
                batch.look_up_keys(
                    key
                    for waiting in taken
                    if waiting.command == "receive"
                    and isinstance(key := waiting.arguments.get("idempotency_key"), str)
                )
                for waiting in taken:
                    try:
                        waiting.result = getattr(batch, waiting.command)(**waiting.arguments)
                    except Exception as error:  # refused alone; the batch is as it was
                        waiting.error = error
        except Exception:  # nothing was saved: each on its own, for its own answer
            for waiting in taken:
                if waiting.error is None:  # not refused: ran in the batch, or never reached
                    waiting.result = _NOT_YET
                    waiting.run_alone(self.log)

"""One exception tree for everything complaintlog refuses.

Every error names the complaint (where there is one), the rule that was broken and the
offending value, so a CRM can show it to a person and a log reader can act on it.
Nothing is recorded when one of these is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

__all__ = [
    "AlreadyAcknowledgedError",
    "AlreadyErasedError",
    "AlreadyPausedError",
    "ComplaintClosedError",
    "ComplaintLogError",
    "ComplaintNotFoundError",
    "ComplaintNotResolvedError",
    "ComplaintRuleError",
    "ComplaintWithdrawnError",
    "ConcurrencyError",
    "DuplicateExternalReferenceError",
    "EscalationDowngradeError",
    "EscalationRepeatedError",
    "FollowUpRepeatedError",
    "HistoryAlteredError",
    "IdempotencyKeyReusedError",
    "InvalidValueError",
    "NotAcknowledgedError",
    "NotAuthorizedError",
    "NotPausedError",
    "PersonalDataError",
    "PromiseDueNotAfterMakingError",
    "PromiseNotPendingError",
    "ReclassificationUnchangedError",
    "ResolvedTwiceError",
    "RuleViolationError",
    "StoreConfigurationError",
    "StoreUnavailableError",
    "SurveyAlreadySentError",
    "SurveyRepeatedError",
    "TimeRunsBackwardsError",
    "TimeTooFarInFutureError",
    "UnreadableRecordError",
    "ViewBeingRebuiltError",
]


class ComplaintLogError(Exception):
    """Root of every error complaintlog raises on purpose."""


class StoreConfigurationError(ComplaintLogError):
    """The store URL or environment does not describe a usable store."""


class StoreUnavailableError(ComplaintLogError):
    """The store stopped answering (connection lost, server down) after the driver's retries.

    A save that raised this was not recorded unless its commit had already reached the
    server; retrying is safe: idempotency keys and external references turn a repeat of a
    recorded save into a no-op or a duplicate, never a second copy.
    """

    def __init__(self, store: str, operation: str, cause: BaseException) -> None:
        self.store = store
        self.operation = operation
        detail = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        super().__init__(
            f"store {store} unavailable during {operation}: {detail}; retrying is safe"
        )


class InvalidValueError(ComplaintLogError, ValueError):
    """A command argument is malformed: wrong type, out of range, unknown code."""

    def __init__(self, field: str, value: Any, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"invalid {field}={shown}: {rule}")


class ComplaintNotFoundError(ComplaintLogError, LookupError):
    """No complaint has this id (or external reference)."""

    def __init__(self, key: UUID | str) -> None:
        self.key = key
        super().__init__(f"no complaint {key}: commands need a received complaint")


class DuplicateExternalReferenceError(ComplaintLogError):
    """The CRM reference is already used by another complaint."""

    def __init__(self, external_ref: str, existing: UUID) -> None:
        self.external_ref = external_ref
        self.existing = existing
        super().__init__(
            f"external_ref={external_ref!r} already belongs to complaint {existing}: "
            "each CRM reference names one complaint (use idempotency_key for retries)"
        )


class ConcurrencyError(ComplaintLogError):
    """Another writer changed the complaint first; reload and decide again."""

    def __init__(
        self,
        complaint_id: UUID,
        command: str,
        detail: str = "it is no longer valid against the newer state",
    ) -> None:
        self.complaint_id = complaint_id
        self.command = command
        super().__init__(
            f"complaint {complaint_id}: {command} lost a race with another writer: {detail}"
        )


class IdempotencyKeyReusedError(ComplaintLogError):
    """An idempotency key was reused for a different command or different arguments."""

    def __init__(self, complaint_id: UUID, key: str, first: str, now: str) -> None:
        self.complaint_id = complaint_id
        self.key = key
        what = f"{first} with other arguments" if first == now else f"{first}, not {now}"
        super().__init__(
            f"complaint {complaint_id}: idempotency_key={key!r} was first used for {what}: "
            "a key may only repeat the same command with the same arguments"
        )


class ComplaintRuleError(ComplaintLogError):
    """A process rule forbids this command in the complaint's current state."""

    rule = "process rule"

    def __init__(self, complaint_id: UUID | None, command: str, detail: str) -> None:
        self.complaint_id = complaint_id
        """``None`` for a complaint not recorded yet (a ``receive`` dated in the future)."""
        self.command = command
        self.detail = detail
        group = getattr(self, "group", None)
        label = self.rule if group is None else f"{self.rule}, in {group}"
        which = f"complaint {complaint_id}" if complaint_id is not None else "a new complaint"
        super().__init__(f"{which}: {command} refused ({label}): {detail}")


class ComplaintWithdrawnError(ComplaintRuleError):
    rule = "nothing happens after Withdrawn"


class ComplaintClosedError(ComplaintRuleError):
    rule = "only FollowedUp, Surveyed and Reopened after Resolved"


class AlreadyAcknowledgedError(ComplaintRuleError):
    rule = "Acknowledged at most once"


class NotAcknowledgedError(ComplaintRuleError):
    rule = "Resolved implies Acknowledged"


class PromiseDueNotAfterMakingError(ComplaintRuleError):
    rule = "a promise is due after it is made"


class EscalationDowngradeError(ComplaintRuleError):
    rule = "escalation never goes down a level"


class EscalationRepeatedError(ComplaintRuleError):
    rule = "escalating to the same level again needs a new reason"


class ResolvedTwiceError(ComplaintRuleError):
    rule = "Resolved once per cycle; a new cycle starts with Reopened"


class ComplaintNotResolvedError(ComplaintRuleError):
    rule = "needs a resolved complaint"


class FollowUpRepeatedError(ComplaintRuleError):
    rule = "FollowedUp at most once per cycle"


class SurveyRepeatedError(ComplaintRuleError):
    rule = "Surveyed at most once per cycle"


class SurveyAlreadySentError(ComplaintRuleError):
    rule = "SurveySent at most once per cycle"


class PromiseNotPendingError(ComplaintRuleError):
    rule = "inform keeps a promise of the complaint that is neither kept nor superseded"


class AlreadyPausedError(ComplaintRuleError):
    rule = "Paused only when not paused"


class NotPausedError(ComplaintRuleError):
    rule = "Resumed only when paused"


class AlreadyErasedError(ComplaintRuleError):
    rule = "PersonalDataErased at most once"


class ReclassificationUnchangedError(ComplaintRuleError):
    rule = "Reclassified must change the category or the severity"


class TimeRunsBackwardsError(ComplaintRuleError):
    rule = "time never runs backwards within a complaint"


class TimeTooFarInFutureError(ComplaintRuleError):
    rule = "no event lies beyond the allowed clock skew in the future"

    def __init__(self, complaint_id: UUID | None, command: str, detail: str) -> None:
        hint = (
            " (the future is measured against the log's clock: a script recording fixed "
            "dates passes ComplaintLog(clock=...) returning a time after them)"
        )
        super().__init__(complaint_id, command, detail + hint)


class RuleViolationError(ComplaintRuleError):
    """A company's own process rule (``ComplaintLog(rules=[...])``) refused the command."""

    def __init__(
        self,
        complaint_id: UUID | None,
        command: str,
        rule: str,
        detail: str,
        group: str | None = None,
    ) -> None:
        self.rule = rule
        self.group = group
        """The ``all_of`` group the refusing rule belongs to, if any."""
        super().__init__(complaint_id, command, detail)


class NotAuthorizedError(ComplaintLogError, PermissionError):
    """The authorisation policy does not let this actor run this command.

    Nothing is recorded in the complaint; the attempt itself is recorded (see
    ``ComplaintLog.denied_attempts``).
    """

    def __init__(
        self,
        actor: str | None,
        roles: tuple[str, ...],
        command: str,
        rule: str,
        detail: str,
        complaint_id: UUID | None = None,
    ) -> None:
        self.actor = actor
        self.roles = roles
        self.command = command
        self.rule = rule
        self.detail = detail
        self.complaint_id = complaint_id
        who = f"actor={actor!r}" if actor is not None else "an anonymous actor"
        role = f"role {'/'.join(roles)}" if roles else "no role"
        where = f" on complaint {complaint_id}" if complaint_id is not None else ""
        super().__init__(f"{who} ({role}) may not run {command}{where} ({rule}): {detail}")


class PersonalDataError(ComplaintLogError):
    """Personal data cannot be sealed or opened: the key store failed, or a box was altered."""


class HistoryAlteredError(ComplaintLogError):
    """The stored history does not verify, so it is not vouched for (not signed, not
    checkpointed). ``problem`` is the first place where it was altered."""

    def __init__(self, problem: object, count: int) -> None:
        self.problem = problem
        self.count = count
        super().__init__(
            f"the stored history was altered: {count} problem{'s' * (count != 1)}, "
            f"the first at {problem}"
        )


class UnreadableRecordError(ComplaintLogError):
    """A stored record cannot be read back: its bytes were changed behind the application's
    back (or written by an incompatible version). ``complaintlog audit verify`` says what
    else was altered."""

    def __init__(
        self,
        complaint_id: UUID | str | None,
        version: int | None,
        position: int | None,
        detail: str,
    ) -> None:
        self.complaint_id = complaint_id
        self.version = version
        self.position = position
        self.detail = detail
        where = f"position {position}" if position is not None else "a record"
        if complaint_id is not None:
            where += f" (complaint {complaint_id}{f' v{version}' if version else ''})"
        first_line = detail.splitlines()[0] if detail else ""
        super().__init__(
            f"the stored record at {where} cannot be read ({first_line[:160]}): "
            "the store was altered; run `complaintlog audit verify`"
        )


class ViewBeingRebuiltError(ComplaintLogError):
    """The views are half way through a rebuild (running, or killed and not started again):
    what their tables hold is some complaints' whole histories and nothing of the others, so
    no answer is given from them."""

    def __init__(self, projections: Sequence[str]) -> None:
        self.projections = tuple(projections)
        super().__init__(
            f"the views {', '.join(self.projections)} are being rebuilt (or a rebuild was "
            "interrupted): wait for it, or run `complaintlog project --once` / "
            "Projections.catch_up() to finish it, then read again"
        )

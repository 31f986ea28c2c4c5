"""``validate``: a command checked exactly as it would run, with nothing recorded.

A CRM that commits its own side first asks whether the complaint's command would pass:
the same argument validation, authorisation, company rules and lifecycle rules, against
the complaint as stored. The command runs on a copy loaded for the purpose and is then
dropped: no event, no key, no refusal is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID

from complaintlog.application.authorization import Denial, Policy
from complaintlog.application.commands import Action, CommandMethods
from complaintlog.application.personal_data import CustomerKey, KeyRing
from complaintlog.application.validation import Clock
from complaintlog.domain.complaint import Complaint, Stamp
from complaintlog.domain.external_reference import ExternalReference
from complaintlog.domain.rules import Command, ProcessRule
from complaintlog.errors import (
    ComplaintNotFoundError,
    DuplicateExternalReferenceError,
    InvalidValueError,
)

__all__ = ["COMMANDS", "dry_run"]

COMMANDS = (
    "receive",
    "acknowledge",
    "assign",
    "escalate",
    "make_promise",
    "inform",
    "reclassify",
    "pause",
    "resume",
    "resolve",
    "reopen",
    "follow_up",
    "record_survey",
    "withdraw",
)


class _Unit(Protocol):
    """What a dry run needs of the log (or bound log) it checks against."""

    _clock: Clock
    _max_clock_skew: timedelta
    _rules: tuple[ProcessRule, ...]
    _policy: Policy | None
    _keys: KeyRing

    def _existing(self, complaint_id: UUID) -> Complaint | None: ...

    def _prior_commands(self, complaint: Complaint) -> Callable[[], Sequence[Command]]: ...

    def find(self, external_ref: str) -> UUID | None: ...


class _DryRun(CommandMethods):
    def __init__(self, unit: _Unit) -> None:
        self._unit = unit
        self._clock = unit._clock
        self._max_clock_skew = unit._max_clock_skew
        self._rules = unit._rules
        self._policy = unit._policy
        self._keys = unit._keys

    def _existing(self, complaint_id: UUID) -> Complaint | None:
        return self._unit._existing(complaint_id)

    def _prior_commands(self, complaint: Complaint) -> Callable[[], Sequence[Command]]:
        return self._unit._prior_commands(complaint)

    def _sealing_key(self, customer_id: str) -> CustomerKey:
        return CustomerKey.new(customer_id)  # seals the throwaway copy; never stored

    def _record_denial(self, denial: Denial, command: Command, stamp: Stamp) -> None:
        """A dry run records nothing, refusals included."""

    def _execute(
        self,
        complaint_id: UUID,
        command: str,
        arguments: Mapping[str, Any],
        stamp: Stamp,
        action: Action,
    ) -> Any:
        complaint = self._existing(complaint_id)
        if complaint is None:
            raise ComplaintNotFoundError(complaint_id)
        done, result = complaint.earlier_result(stamp.idempotency)
        if done:
            return result
        self._check_rules(complaint, command, arguments, stamp)
        return action(complaint, stamp)

    def _create(self, complaint: Complaint, index: ExternalReference | None) -> UUID:
        if index is not None:
            holder = self._unit.find(index.external_ref)
            if holder is not None and holder != complaint.id:
                raise DuplicateExternalReferenceError(index.external_ref, holder)
        return complaint.id


def dry_run(unit: _Unit, command: str, args: tuple[Any, ...], arguments: Mapping[str, Any]) -> Any:
    """Run ``command`` with ``arguments`` against ``unit``'s store without saving; returns
    what the command would return (``receive``: the id the complaint would get)."""
    if command not in COMMANDS:
        rule = f"one of {', '.join(COMMANDS)}"
        raise InvalidValueError("command", command, rule)
    method = getattr(_DryRun(unit), command)
    return method(*args, **arguments)

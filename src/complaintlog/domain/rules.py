"""A company's own process rules, added without touching complaintlog's internals.

A rule is any callable ``rule(state, command) -> str | None`` with a ``name``: it sees the
complaint as it stands (``None`` for a new complaint) and the command about to run, and
returns the reason to refuse it, or ``None`` to let it through. Pass rules to
``ComplaintLog(rules=[...])``; they apply to every command, in batches too, on every store.
A refusal raises :class:`RuleViolationError` and records nothing. ``receive`` is never
refused: what a rule says about a new complaint is kept as its ``rule_flags`` attribute.

>>> @process_rule("no no_action resolutions on social media")
... def no_silent_social_closures(state, command):
...     if command.name == "resolve" and state and state.channel == "social":
...         if command.arguments["remedy"] == "no_action":
...             return "social complaints are public: resolve them with a remedy"
...     return None
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import attrs

from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.errors import RuleViolationError

__all__ = [
    "STEP_COMMANDS",
    "Command",
    "Margin",
    "ProcessRule",
    "Refusal",
    "RuleGroup",
    "RuleViolationError",
    "all_of",
    "check_rules",
    "first_refusal",
    "leaf_rules",
    "margin_of",
    "measures_margin",
    "process_rule",
]

STEP_COMMANDS = (
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
    "send_survey",
    "record_desired_remedy",
    "attach_evidence",
    "note",
)
"""The commands that take a recorded complaint a step further in its handling: all but
``receive``, which starts one, and ``erase_personal_data``, which is no handling step."""


@attrs.frozen
class Command:
    """A command about to run: its name, the complaint, validated arguments, who and when."""

    name: str
    complaint_id: UUID | None
    arguments: Mapping[str, Any]
    occurred_at: datetime
    actor: str | None
    earlier: Callable[[], Sequence[Command]] | None = attrs.field(
        default=None, eq=False, repr=False, kw_only=True
    )
    """Reads the complaint's recorded commands on demand (see :meth:`prior_steps`)."""

    def prior_steps(self) -> tuple[Command, ...]:
        """The commands recorded on this complaint before this one, oldest first.

        Each is shaped as in a replay (``log.steps``): ``name``, ``arguments`` (the
        event's fields), ``occurred_at`` and ``actor``. A first-contact resolution shows
        as ``acknowledge`` then ``resolve``; an unsolved follow-up as ``follow_up`` then
        ``reopen``. It works live, inside ``batch()`` (the batch's pending steps
        included) and in a replay; it reads the store only when a rule asks.
        """
        return tuple(self.earlier()) if self.earlier is not None else ()


@runtime_checkable
class ProcessRule(Protocol):
    """Returns why the command must be refused, or ``None``."""

    @property
    def name(self) -> str: ...

    def __call__(self, state: ComplaintView | None, command: Command) -> str | None: ...


Margin = Callable[[ComplaintView | None, Command], float | None]
"""How far a command is from the rule's limit (``None``: the command is not what it is about).

A rule may have a ``margin(state, command)`` method: the amount left below a limit, the
seconds left before a deadline. Property tests feed it to ``hypothesis.target()`` so the
search moves towards the edge, and count a rule as *reached* when it gave a margin."""


@attrs.frozen
class _FunctionRule:
    name: str
    check: Callable[[ComplaintView | None, Command], str | None]
    measure: Margin | None = None

    def __call__(self, state: ComplaintView | None, command: Command) -> str | None:
        return self.check(state, command)

    def margin(self, state: ComplaintView | None, command: Command) -> float | None:
        return self.measure(state, command) if self.measure is not None else None


def process_rule(
    name: str, *, margin: Margin | None = None
) -> Callable[[Callable[[ComplaintView | None, Command], str | None]], ProcessRule]:
    """Turn a function ``(state, command) -> reason | None`` into a named rule.

    ``margin`` optionally measures how close a command comes to the rule's limit.
    """

    def wrap(check: Callable[[ComplaintView | None, Command], str | None]) -> ProcessRule:
        return _FunctionRule(name=name, check=check, measure=margin)

    return wrap


def measures_margin(rule: ProcessRule) -> bool:
    """Whether the rule reports a margin (see :data:`Margin`)."""
    if isinstance(rule, _FunctionRule):
        return rule.measure is not None
    return callable(getattr(rule, "margin", None))


def margin_of(rule: ProcessRule, state: ComplaintView | None, command: Command) -> float | None:
    """The rule's margin for the command, or ``None`` if it does not measure one."""
    measure = getattr(rule, "margin", None)
    return measure(state, command) if callable(measure) else None


@attrs.frozen
class Refusal:
    """Which rule refused a command, why, and the group (``all_of``) it belongs to."""

    rule: str
    reason: str
    group: str | None = None


@attrs.frozen
class RuleGroup:
    """Several rules as one (made by :func:`all_of`); a refusal names the inner rule."""

    name: str
    rules: tuple[ProcessRule, ...]

    def __call__(self, state: ComplaintView | None, command: Command) -> str | None:
        refusal = self.refusal(state, command)
        return None if refusal is None else f"{refusal.rule}: {refusal.reason}"

    def refusal(self, state: ComplaintView | None, command: Command) -> Refusal | None:
        refusal = first_refusal(self.rules, state, command)
        if refusal is None:
            return None
        return attrs.evolve(refusal, group=refusal.group or self.name)


def all_of(name: str, rules: Iterable[ProcessRule]) -> ProcessRule:
    """Several rules as one: the first refusal wins; the error's ``rule`` names the inner
    rule and its ``group`` this group."""
    return RuleGroup(name=name, rules=tuple(rules))


def leaf_rules(rules: Iterable[ProcessRule]) -> Iterator[ProcessRule]:
    """The rules with every group opened up, in the order they are checked."""
    for rule in rules:
        if isinstance(rule, RuleGroup):
            yield from leaf_rules(rule.rules)
        else:
            yield rule


def first_refusal(
    rules: Iterable[ProcessRule], state: ComplaintView | None, command: Command
) -> Refusal | None:
    """The first refusal of the command by one of the rules, or ``None``."""
    for rule in rules:
        if isinstance(rule, RuleGroup):
            refusal = rule.refusal(state, command)
            if refusal is not None:
                return refusal
            continue
        reason = rule(state, command)
        if reason is not None:
            return Refusal(rule.name, reason)
    return None


def check_rules(
    rules: Iterable[ProcessRule], state: ComplaintView | None, command: Command
) -> None:
    """Raise :class:`RuleViolationError` for the first rule that refuses the command."""
    refusal = first_refusal(rules, state, command)
    if refusal is not None:
        raise RuleViolationError(
            command.complaint_id, command.name, refusal.rule, refusal.reason, refusal.group
        )

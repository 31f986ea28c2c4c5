"""Who may do what: roles, the commands they may run, and the compensation they may grant.

``ComplaintLog(authorization=Policy(...))`` checks every command against the policy before
it touches a complaint. A refused command raises
:class:`~complaintlog.errors.NotAuthorizedError` (naming the actor, their roles, the
command and the rule), records nothing in the complaint, and is itself recorded as an
``AccessAttempt`` (see ``ComplaintLog.denied_attempts``). Without a policy everything is
allowed.

``receive`` is the exception: a complaint is never turned away, so a policy cannot refuse
one. ``decide`` still says what it thinks of the actor recording it (``receive`` among a
role's commands names who is expected to record complaints), and the log keeps a denial
as a flag on the new complaint (its ``rule_flags`` attribute, see :meth:`Denial.flag`)
instead of raising; nothing is recorded as a denied attempt, because nothing was denied.

The rules, in order:

1. a command needs an actor (``actor=``), and the actor needs at least one known role;
2. one of the actor's roles must allow the command (``resolve(first_contact=True)`` also
   needs ``acknowledge``; ``follow_up(solved=False)`` also needs ``reopen``);
3. a monetary remedy (``refund``, ``compensation``, ``store_credit``) needs an amount
   (``amount_required``, on by default): a limit cannot be side-stepped by leaving it out;
4. the compensation granted on a complaint *in all its resolutions* (every reopen and
   resolve cycle, per currency) above the most generous limit among the actor's roles
   that may resolve, or in a currency none of them has a limit for, needs the complaint
   escalated to ``limit_lifted_at`` (management by default) or higher first;
5. four eyes (``four_eyes``, on by default): that escalation only lifts the limit when
   someone *other than the resolver* recorded it, and that person may grant the amount
   themselves (one of their roles that may resolve has a high enough limit). An agent who
   escalates to management cannot approve their own compensation; a manager approves by
   escalating (``escalate(level="management", reason="Approved: ...")``) or resolving.

Tenants (brands, legal entities sharing one log): a role with ``tenants = ["brand-a"]``
acts on those tenants' complaints only (``"all"``, the default: every tenant's). Rules 2
to 5 then count only the actor's roles that cover the complaint's tenant: a command on
another tenant's complaint is refused as ``tenant not allowed`` (naming the tenant), and
the limits are those of the roles that cover it. A new complaint of a tenant none of the
actor's roles covers is flagged like any denial of ``receive``. For reading, an actor reads
the tenants any of their roles covers (see :mod:`.reading`): another tenant's complaint is
hidden as if it did not exist.

Reads are checked through ``ComplaintLog.reading_as(actor)`` (and the CLI's ``--as``):
``Policy.read_access`` says which teams' complaints an actor may read and whether they see
personal data (see :mod:`.reading`). The plain ``get``, ``history`` and ``steps`` show
everything: they are for the application itself.

A web interface (``complaintlog.http``) lets an actor read when they hold a role of the
policy. The ``[access]`` table says how it treats requests without an authenticated actor:
``anonymous_role`` is the role they act with (none: they may do nothing), and
``authentication = "required"`` refuses to serve beyond the loopback interface without an
authentication hook.

>>> policy = Policy.example(actors={"ana": ["agent"], "rita": ["manager"]})
>>> policy.roles_of("ana")
('agent',)
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
from babel.numbers import is_currency

from complaintlog.application.authorization.reading import MASKED, ReadAccess
from complaintlog.domain.access import AccessAttempt
from complaintlog.domain.complaint_records import Stamp
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.rules import STEP_COMMANDS, Command
from complaintlog.domain.values import (
    DEFAULT_TENANT,
    TENANT_RULE,
    EscalationLevel,
    Money,
    Remedy,
    check_tenant,
)
from complaintlog.errors import InvalidValueError

__all__ = [
    "COMMANDS",
    "MASKED",
    "MONETARY_REMEDIES",
    "Denial",
    "Policy",
    "ReadAccess",
    "Role",
]

REVIEW_COMMANDS = ("note_review", "sign_off")
"""A reviewer's records on a complaint's file: no handling steps."""

COMMANDS = ("receive", *STEP_COMMANDS, "erase_personal_data", *REVIEW_COMMANDS)
"""Every command a policy can allow: the ``ComplaintLog`` method names."""

MONETARY_REMEDIES = frozenset({Remedy.REFUND, Remedy.COMPENSATION, Remedy.STORE_CREDIT})
"""Remedies that are money: under a policy they need an amount."""

ActorRoles = Mapping[str, Sequence[str]] | Callable[[str], Iterable[str]]
"""The actors' roles: a mapping, or a function asking a directory."""


@attrs.frozen
class Role:
    """A role: the commands it may run and the largest compensation it may grant.

    ``max_compensation`` maps an ISO 4217 currency to the largest amount; ``None`` means no
    limit. A currency missing from a limited role's mapping may not be granted at all.
    """

    name: str
    commands: frozenset[str]
    max_compensation: Mapping[str, Decimal] | None = None
    description: str = ""
    personal_data: bool = False
    """May see customers' personal data (others see it masked)."""
    read_teams: frozenset[str] | None = None
    """The teams whose complaints it may read; ``None``: every complaint."""
    tenants: frozenset[str] | None = None
    """The tenants whose complaints it may handle and read; ``None``: every tenant's."""

    def allows(self, command: str) -> bool:
        return command in self.commands

    def covers(self, tenant: str) -> bool:
        """Whether it may act on (and read) the complaints of ``tenant``."""
        return self.tenants is None or tenant in self.tenants

    def limit(self, currency: str) -> Decimal | None:
        """The largest amount in ``currency``; ``None`` when unlimited."""
        if self.max_compensation is None:
            return None
        return self.max_compensation.get(currency, Decimal(0))


@attrs.frozen
class Denial:
    """Why the policy refused a command."""

    actor: str | None
    roles: tuple[str, ...]
    command: str
    rule: str
    detail: str

    def flag(self) -> str:
        """The denial as a flag on a new complaint (``receive`` is never refused):
        ``authorization (command not allowed): actor 'kim' (auditor): ...``."""
        who = f"actor {self.actor!r}" if self.actor is not None else "no actor"
        roles = f" ({', '.join(self.roles)})" if self.roles else ""
        return f"authorization ({self.rule}): {who}{roles}: {self.detail}"

    def attempt(self, command: Command, stamp: Stamp) -> AccessAttempt:
        """The denied attempt to record: every unit of work saves the same one."""
        return AccessAttempt.deny(
            recorded_at=stamp.recorded_at,
            occurred_at=stamp.occurred_at,
            actor=self.actor,
            roles=self.roles,
            command=self.command,
            complaint_id=command.complaint_id,
            rule=self.rule,
            detail=self.detail,
        )


@attrs.frozen
class Policy:
    """Roles and the actors who hold them. See the module docstring for the rules."""

    roles: Mapping[str, Role]
    actors: ActorRoles = attrs.field(factory=dict)
    limit_lifted_at: EscalationLevel | None = EscalationLevel.MANAGEMENT
    """Above a role's limit, a resolution needs an escalation to this level or higher
    (``None``: never)."""
    name: str = "policy"
    amount_required: bool = True
    """A monetary remedy (:data:`MONETARY_REMEDIES`) needs ``compensation=``."""
    four_eyes: bool = True
    """The escalation that lifts a limit must come from another person who may grant it."""
    anonymous_role: str | None = None
    """The role of requests without an authenticated actor (``None``: no role)."""
    authentication_required: bool = False
    """Whether an interface must authenticate every request (the file's ``[access]``)."""

    def __attrs_post_init__(self) -> None:
        if self.anonymous_role is not None and self.anonymous_role not in self.roles:
            msg = f"one of the policy's roles: {', '.join(self.roles)}"
            raise InvalidValueError("access.anonymous_role", self.anonymous_role, msg)
        for role in self.roles.values():
            unknown = sorted(role.commands - set(COMMANDS))
            if unknown:
                msg = f"unknown commands {unknown}: a role may allow {', '.join(COMMANDS)}"
                raise InvalidValueError(f"roles.{role.name}.commands", unknown, msg)
        if isinstance(self.actors, Mapping):
            for actor, names in self.actors.items():
                missing = sorted(set(names) - set(self.roles))
                if missing:
                    msg = f"names roles the policy does not define: {missing}"
                    raise InvalidValueError(f"actors.{actor}", list(names), msg)

    # -- deciding ---------------------------------------------------------------------------

    def roles_of(self, actor: str) -> tuple[str, ...]:
        """The actor's known roles (unknown role names from a directory are ignored)."""
        found = (
            self.actors.get(actor, ()) if isinstance(self.actors, Mapping) else self.actors(actor)
        )
        return tuple(name for name in found if name in self.roles)

    def decide(self, state: ComplaintView | None, command: Command) -> Denial | None:
        """``None`` when the command may run, else why not."""
        actor = command.actor
        if actor is None:
            return Denial(None, (), command.name, "actor required", "pass actor=")
        roles = self.roles_of(actor)
        if not roles:
            return Denial(actor, (), command.name, "unknown actor", "the actor holds no role")
        needs = self._commands_needed(command)
        for needed in needs:
            if not any(self.roles[name].allows(needed) for name in roles):
                detail = f"none of the roles {list(roles)} may run {needed}"
                return Denial(actor, roles, command.name, "command not allowed", detail)
        tenant = _tenant_of(state, command)
        here = roles
        if tenant is not None:
            here = tuple(name for name in roles if self.roles[name].covers(tenant))
            for needed in needs:
                if not any(self.roles[name].allows(needed) for name in here):
                    return Denial(
                        actor,
                        roles,
                        command.name,
                        "tenant not allowed",
                        self._tenant_detail(tenant, needed, roles),
                    )
        if command.name == "resolve":
            return self._check_compensation(state, command, actor, here, tenant)
        return None

    def _tenant_detail(self, tenant: str, needed: str, roles: tuple[str, ...]) -> str:
        """Which tenants the roles that may run ``needed`` cover (for the denial)."""
        covered: set[str] = set()
        for name in roles:
            role = self.roles[name]
            if role.allows(needed) and role.tenants is not None:
                covered |= role.tenants
        shown = ", ".join(repr(t) for t in sorted(covered)) or "none"
        return (
            f"the complaint belongs to tenant {tenant!r}; the roles that may run {needed} "
            f"cover tenants {shown}"
        )

    def read_access(self, actor: str | None) -> ReadAccess:
        """What ``actor`` may read: an unknown or missing actor reads nothing."""
        roles = self.roles_of(actor) if actor is not None else ()
        if not roles:
            return ReadAccess(actor, (), personal_data=False, teams=frozenset())
        held = [self.roles[name] for name in roles]
        return ReadAccess(
            actor,
            roles,
            personal_data=any(r.personal_data for r in held),
            teams=_union(role.read_teams for role in held),
            tenants=_union(role.tenants for role in held),
        )

    @staticmethod
    def _commands_needed(command: Command) -> tuple[str, ...]:
        arguments = command.arguments
        if command.name == "resolve" and arguments.get("first_contact"):
            return ("resolve", "acknowledge")
        if command.name == "follow_up" and arguments.get("solved") is False:
            return ("follow_up", "reopen")
        return (command.name,)

    def _check_compensation(
        self,
        state: ComplaintView | None,
        command: Command,
        actor: str,
        roles: tuple[str, ...],
        tenant: str | None,
    ) -> Denial | None:
        money = command.arguments.get("compensation")
        if not isinstance(money, Money):
            remedy = command.arguments.get("remedy")
            if self.amount_required and remedy in MONETARY_REMEDIES:
                detail = (
                    f"remedy {Remedy(remedy).value} is money: pass compensation= with its "
                    "amount, so that the limits apply"
                )
                return Denial(actor, roles, command.name, "amount required", detail)
            return None
        earlier = sum(
            (
                r.compensation.amount
                for r in (state.resolutions if state is not None else ())
                if r.compensation is not None and r.compensation.currency == money.currency
            ),
            Decimal(0),
        )
        total = earlier + money.amount
        limits = [
            self.roles[name].limit(money.currency)
            for name in roles
            if self.roles[name].allows("resolve")
        ]
        if any(limit is None for limit in limits):
            return None
        largest = max(limit for limit in limits if limit is not None)
        if total <= largest:
            return None
        lifted_at = self.limit_lifted_at
        level = state.escalation_level if state is not None else None
        if lifted_at is not None and level is not None and level.rank >= lifted_at.rank:
            if not self.four_eyes:
                return None
            return self._four_eyes(command, actor, roles, lifted_at, money.currency, total, tenant)
        needs = (
            f"an escalation to {lifted_at.value} or higher first"
            if lifted_at is not None
            else "a role with a higher limit"
        )
        granted = f" ({earlier} {money.currency} granted before on this complaint)" * bool(earlier)
        detail = (
            f"compensation {money}{granted} is above the limit of {largest} {money.currency} "
            f"per complaint: needs {needs}"
        )
        return Denial(actor, roles, command.name, "compensation limit", detail)

    def _four_eyes(
        self,
        command: Command,
        actor: str,
        roles: tuple[str, ...],
        lifted_at: EscalationLevel,
        currency: str,
        total: Decimal,
        tenant: str | None,
    ) -> Denial | None:
        """``None`` when another person who may grant ``total`` (on a complaint of
        ``tenant``) escalated far enough."""
        escalated_by = [
            step.actor
            for step in command.prior_steps()
            if step.name == "escalate"
            and EscalationLevel(str(step.arguments.get("level"))).rank >= lifted_at.rank
        ]
        if any(
            other is not None and other != actor and self._may_grant(other, currency, total, tenant)
            for other in escalated_by
        ):
            return None
        shown = ", ".join(sorted({str(a) for a in escalated_by})) or "nobody"
        detail = (
            f"{total} {currency} on this complaint needs approval by another person who may "
            f"grant it: an escalation to {lifted_at.value} by someone other than {actor} "
            f"(escalated by {shown})"
        )
        return Denial(actor, roles, command.name, "four eyes", detail)

    def _may_grant(self, actor: str, currency: str, total: Decimal, tenant: str | None) -> bool:
        for name in self.roles_of(actor):
            role = self.roles[name]
            if role.allows("resolve") and (tenant is None or role.covers(tenant)):
                limit = role.limit(currency)
                if limit is None or total <= limit:
                    return True
        return False

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, actors: ActorRoles | None = None, name: str = "policy"
    ) -> Policy:
        """A policy from parsed TOML (see ``example_policy.toml`` for the layout)."""
        raw_roles = data.get("roles")
        if not isinstance(raw_roles, Mapping) or not raw_roles:
            raise InvalidValueError("roles", raw_roles, "a policy defines at least one role")
        roles: dict[str, Role] = {}
        for role_name in raw_roles:
            roles[role_name] = _resolve_role(role_name, raw_roles, ())
        compensation = data.get("compensation", {})
        lifted = compensation.get("limit_lifted_at", EscalationLevel.MANAGEMENT.value)
        try:
            lifted_at = None if lifted in {None, "never"} else EscalationLevel(lifted)
        except ValueError:
            msg = f"an escalation level ({', '.join(EscalationLevel)}) or 'never'"
            raise InvalidValueError("compensation.limit_lifted_at", lifted, msg) from None
        raw_actors = data.get("actors", {})
        chosen: ActorRoles = (
            actors
            if actors is not None
            else {actor: tuple(names) for actor, names in raw_actors.items()}
        )
        required = compensation.get("amount_required", True)
        four_eyes = compensation.get("four_eyes", True)
        for field, value in (("amount_required", required), ("four_eyes", four_eyes)):
            if not isinstance(value, bool):
                raise InvalidValueError(f"compensation.{field}", value, "true or false")
        access = data.get("access", {})
        authentication = access.get("authentication", "optional")
        if authentication not in {"optional", "required"}:
            msg = '"optional" or "required"'
            raise InvalidValueError("access.authentication", authentication, msg)
        return cls(
            roles=roles,
            actors=chosen,
            limit_lifted_at=lifted_at,
            name=name,
            amount_required=required,
            four_eyes=four_eyes,
            anonymous_role=access.get("anonymous_role"),
            authentication_required=authentication == "required",
        )

    @classmethod
    def from_toml(cls, path: str | Path, *, actors: ActorRoles | None = None) -> Policy:
        """Load a policy file; ``actors`` replaces the file's ``[actors]`` table."""
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InvalidValueError(
                "path", str(file), f"not a readable TOML file: {error}"
            ) from None
        return cls.from_mapping(data, actors=actors, name=file.stem)

    @classmethod
    def example(cls, *, actors: ActorRoles | None = None) -> Policy:
        """The shipped example: agent, supervisor, manager and a read-only auditor."""
        text = resources.files(__name__).joinpath("example_policy.toml").read_text("utf-8")
        return cls.from_mapping(tomllib.loads(text), actors=actors, name="example")


def _resolve_role(name: str, raw: Mapping[str, Any], seen: tuple[str, ...]) -> Role:
    """A role with what it inherits folded in: commands add up, limits are overridden."""
    if name in seen:
        raise InvalidValueError(f"roles.{name}.inherits", list(seen), "roles inherit in a cycle")
    spec = raw.get(name)
    if not isinstance(spec, Mapping):
        raise InvalidValueError(f"roles.{name}", spec, "no such role to inherit from")
    commands: set[str] = set()
    limits: Mapping[str, Decimal] | None = None
    personal = False
    teams: frozenset[str] | None = None
    tenants: frozenset[str] | None = None
    for parent in spec.get("inherits", ()):
        inherited = _resolve_role(parent, raw, (*seen, name))
        commands |= inherited.commands
        limits = inherited.max_compensation
        personal = inherited.personal_data
        teams = inherited.read_teams
        tenants = inherited.tenants
    commands |= set(spec.get("commands", ()))
    if "max_compensation" in spec:
        limits = _limits(name, spec["max_compensation"])
    if "personal_data" in spec:
        personal = spec["personal_data"]
        if not isinstance(personal, bool):
            raise InvalidValueError(f"roles.{name}.personal_data", personal, "true or false")
    if "read_teams" in spec:
        teams = _teams(name, spec["read_teams"])
    if "tenants" in spec:
        tenants = _tenants(name, spec["tenants"])
    return Role(
        name=name,
        commands=frozenset(commands),
        max_compensation=limits,
        description=str(spec.get("description", "")),
        personal_data=personal,
        read_teams=teams,
        tenants=tenants,
    )


def _tenant_of(state: ComplaintView | None, command: Command) -> str | None:
    """The tenant of the complaint a command acts on (of the new one, for ``receive``);
    ``None`` when there is none (a command on an unknown complaint fails anyway)."""
    if state is not None:
        return state.tenant
    if command.name == "receive":
        return str(command.arguments.get("tenant") or DEFAULT_TENANT)
    return None


def _union(parts: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """What several roles grant together: ``None`` (everything) if any grants everything."""
    found: frozenset[str] = frozenset()
    for part in parts:
        if part is None:
            return None
        found |= part
    return found


def _tenants(role: str, raw: object) -> frozenset[str] | None:
    if raw == "all":
        return None
    rule = f'a list of tenants (e.g. ["brand-a"]) or "all"; {TENANT_RULE}'
    if not isinstance(raw, list) or not raw:
        raise InvalidValueError(f"roles.{role}.tenants", raw, rule)
    for tenant in raw:
        try:
            valid = isinstance(tenant, str) and check_tenant(tenant) == tenant
        except ValueError:
            valid = False
        if not valid:
            raise InvalidValueError(f"roles.{role}.tenants", tenant, rule)
    return frozenset(raw)


def _teams(role: str, raw: object) -> frozenset[str] | None:
    if raw == "all":
        return None
    if not isinstance(raw, list) or not all(isinstance(t, str) and t for t in raw):
        msg = 'a list of team names (e.g. ["billing"]) or "all"'
        raise InvalidValueError(f"roles.{role}.read_teams", raw, msg)
    return frozenset(raw)


def _limits(role: str, raw: object) -> Mapping[str, Decimal] | None:
    if raw == "unlimited":
        return None
    if not isinstance(raw, Mapping):
        msg = 'a table of currency = amount (e.g. { EUR = "50" }) or "unlimited"'
        raise InvalidValueError(f"roles.{role}.max_compensation", raw, msg)
    limits: dict[str, Decimal] = {}
    for currency, amount in raw.items():
        field = f"roles.{role}.max_compensation.{currency}"
        if not (isinstance(currency, str) and len(currency) == 3 and is_currency(currency)):
            raise InvalidValueError(field, currency, "not an ISO 4217 currency code")
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value < 0 or isinstance(amount, bool | float):
            msg = 'an amount as a string or integer, zero or more (e.g. "50.00")'
            raise InvalidValueError(field, amount, msg)
        limits[currency] = value
    return limits

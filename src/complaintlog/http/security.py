"""Who is asking, and may they: the glue between ``authenticate(request)`` and ``Policy``.

``authenticate`` is the CRM's hook: it returns an :class:`Identity` (an actor and,
optionally, the roles the CRM's own directory gives them), an actor name (the policy's
actor table gives the roles), or ``None`` when the request is not authenticated (401).
Without a hook every request acts as the one actor ``anonymous`` with the policy's
``anonymous_role``. With a policy, a command must be one the policy lets the actor run
(``Policy.decide``; a new complaint is never refused: a denial of ``receive`` becomes a
flag on it), and a read needs any role of the policy; without one, everything is allowed,
which is what the loopback default of ``complaintlog serve`` is for. A complaint of a
tenant the reader's roles do not cover answers 404 like an unknown one, and lists leave
such complaints out (:func:`tenant_filter`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from fastapi import HTTPException, Request

from complaintlog.application.authorization import Policy
from complaintlog.application.authorization.reading import EVERYTHING, ReadAccess
from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.rules import Command
from complaintlog.errors import ComplaintNotFoundError, NotAuthorizedError

__all__ = [
    "ANONYMOUS",
    "Authenticate",
    "Identity",
    "authorize_command",
    "receive_flag",
    "read_access",
    "readable",
    "readable_row",
    "readable_team",
    "figures_tenant",
    "tenant_filter",
]

ANONYMOUS = "anonymous"


@attrs.frozen
class Identity:
    """An authenticated actor; ``roles`` ``None`` means the policy's actor table decides."""

    actor: str
    roles: tuple[str, ...] | None = None


Authenticate = Callable[[Request], "Identity | str | Awaitable[Identity | str | None] | None"]


async def identify(
    request: Request, authenticate: Authenticate | None, policy: Policy | None
) -> Identity:
    """The request's identity, or a 401 when the hook does not recognise it."""
    if authenticate is None:
        if policy is not None and policy.authentication_required:
            raise HTTPException(401, "the policy requires authentication; none is configured")
        role = policy.anonymous_role if policy is not None else None
        return Identity(ANONYMOUS, (role,) if role is not None else ())
    found = authenticate(request)
    if inspect.isawaitable(found):
        found = await found
    if found is None:
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return Identity(found) if isinstance(found, str) else found


def _for(policy: Policy, identity: Identity) -> Policy:
    """The policy, seeing the identity's roles (when the hook gave them) as its own table."""
    if identity.roles is None:
        return policy
    known = tuple(role for role in identity.roles if role in policy.roles)
    return attrs.evolve(policy, actors={identity.actor: known})


def read_access(policy: Policy | None, identity: Identity) -> ReadAccess:
    """What the identity may read (``Policy.read_access``): which teams' complaints, and
    whether personal data is shown or masked. Reading at all needs a role of the policy."""
    if policy is None:
        return EVERYTHING
    access = _for(policy, identity).read_access(identity.actor)
    if not access.roles:
        detail = "reading needs a role of the policy"
        raise NotAuthorizedError(identity.actor, (), "read", "unknown actor", detail)
    return access


def readable(
    access: ReadAccess, view: ComplaintView, *, asked: UUID | str | None = None
) -> ComplaintView:
    """The complaint as the reader may see it: 404 if it is another tenant's (as if unknown:
    ``asked`` is what the request named it by, the id by default), 403 if another team's."""
    if not access.may_read_tenant(view.tenant):
        raise ComplaintNotFoundError(asked if asked is not None else view.id)
    if not access.may_read(view):
        raise NotAuthorizedError(
            access.actor, access.roles, "read", "team not readable", access.why_not(view), view.id
        )
    return access.shown(view)


def readable_team(access: ReadAccess, team: str | None) -> bool:
    """Whether the reader may read the complaints of ``team`` (for lists)."""
    return access.may_read_team(team)


def readable_row(access: ReadAccess, team: str | None, tenant: str) -> bool:
    """Whether a list shows a complaint of ``team`` and ``tenant`` to the reader."""
    return access.may_read_row(team, tenant)


def figures_tenant(access: ReadAccess, tenant: str | None) -> str | None:
    """The tenant whose figures a reader gets: figures add complaints up, so a reader of
    some tenants only must ask for one of them (their only one is taken as asked)."""
    readable_tenants = access.tenants
    if readable_tenants is None:
        return tenant
    if tenant is None and len(readable_tenants) == 1:
        return next(iter(readable_tenants))
    if tenant is not None and tenant in readable_tenants:
        return tenant
    shown = ", ".join(repr(t) for t in sorted(readable_tenants)) or "none"
    detail = f"figures of tenant {tenant!r} asked; readable tenants: {shown} (pass tenant=)"
    raise NotAuthorizedError(access.actor, access.roles, "read", "tenant not readable", detail)


def tenant_filter(access: ReadAccess, tenant: str | None) -> tuple[bool, str | None]:
    """Whether a list query may find readable complaints at all, and the tenant to ask it
    for: ``tenant`` as asked (nothing found when the reader may not read it), or the
    reader's only tenant when none is asked. A reader of several tenants (but not all)
    asking for none gets every tenant's rows: keep those :func:`readable_row` allows."""
    if access.tenants is None:
        return True, tenant
    if tenant is not None:
        return tenant in access.tenants, tenant
    if len(access.tenants) == 1:
        return True, next(iter(access.tenants))
    return True, None


def receive_flag(
    policy: Policy | None, identity: Identity, arguments: Mapping[str, Any], at: datetime
) -> str | None:
    """What the policy says against the identity recording a new complaint, as a flag
    (``Denial.flag``): ``receive`` is never refused, so a denial is kept, not raised."""
    if policy is None:
        return None
    command = Command(
        name="receive", complaint_id=None, arguments=arguments, occurred_at=at, actor=identity.actor
    )
    denial = _for(policy, identity).decide(None, command)
    return denial.flag() if denial is not None else None


def authorize_command(
    policy: Policy | None,
    identity: Identity,
    *,
    name: str,
    complaint_id: UUID | None,
    state: ComplaintView | None,
    arguments: Mapping[str, Any],
    at: datetime,
) -> None:
    """Raise :class:`NotAuthorizedError` when the policy refuses the command."""
    if policy is None:
        return
    command = Command(
        name=name,
        complaint_id=complaint_id,
        arguments=arguments,
        occurred_at=at,
        actor=identity.actor,
    )
    denial = _for(policy, identity).decide(state, command)
    if denial is not None:
        raise NotAuthorizedError(
            denial.actor, denial.roles, denial.command, denial.rule, denial.detail, complaint_id
        )

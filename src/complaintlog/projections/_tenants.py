"""The SLA policy of each tenant in one view store: its own, or the store's default.

A store holds complaints of several tenants (brands, legal entities) whose SLAs differ:
``Projections(log, policy=default, tenant_policies={"brand-a": "fca"})``. The views fold
each complaint under its tenant's policy, and remember every tenant's policy in their
configuration (one line per tenant after the default's), so that opening them with another
set is refused naming the tenant whose policy differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.domain.values import DEFAULT_TENANT, TENANT_RULE, check_tenant
from complaintlog.errors import InvalidValueError
from complaintlog.projections._store import TENANT_LINE

__all__ = ["PolicySpec", "TenantPolicies", "checked_tenant"]

PolicySpec = SlaPolicy | str | Path
"""A policy, a preset's name or a policy file, as ``Projections`` accepts them."""


def checked_tenant(tenant: object, field: str = "tenant") -> str:
    """``tenant`` if it names a tenant (:data:`TENANT_RULE`), else a refusal naming ``field``."""
    try:
        valid = isinstance(tenant, str) and check_tenant(tenant) == tenant
    except ValueError:
        valid = False
    if not valid:
        raise InvalidValueError(field, tenant, TENANT_RULE)
    assert isinstance(tenant, str)
    return tenant


class TenantPolicies:
    """The default policy and the tenants that have their own, sorted by tenant."""

    def __init__(self, default: SlaPolicy, own: Mapping[str, SlaPolicy] | None = None) -> None:
        self.default = default
        self.own: dict[str, SlaPolicy] = dict(sorted((own or {}).items()))

    @classmethod
    def named(
        cls, default: PolicySpec | None, own: Mapping[str, PolicySpec] | None
    ) -> TenantPolicies:
        """From what a caller passes: policies, preset names or files; tenants checked."""
        policies: dict[str, SlaPolicy] = {}
        for tenant, spec in (own or {}).items():
            checked_tenant(tenant, "tenant_policies")
            if tenant == DEFAULT_TENANT:
                rule = "the default tenant's policy is the default one: give it as policy="
                raise InvalidValueError("tenant_policies", tenant, rule)
            policies[tenant] = SlaPolicy.named(spec)
        return cls(SlaPolicy.named(default if default is not None else "default"), policies)

    def of(self, tenant: str) -> SlaPolicy:
        """The policy of ``tenant``'s complaints."""
        return self.own.get(tenant, self.default)

    def config(self, head: str, part: Callable[[SlaPolicy], str]) -> str:
        """A projection's configuration: ``head`` (the default's, as before tenants), then
        one line per tenant with its own policy, ``part`` of that policy."""
        return head + "".join(
            f"{TENANT_LINE}{tenant}: {part(policy)}" for tenant, policy in self.own.items()
        )

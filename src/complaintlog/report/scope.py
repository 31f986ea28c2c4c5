"""Whose complaints an output covers, and under which SLA policy each is measured.

Every report output (the report, the complaint file, the export, the returns, the
dashboard, what-if) takes the same three things the views take: the default policy, the
tenants with a policy of their own, and optionally one tenant. A :class:`TenantScope` holds
them, so that each output filters and measures the same way: one tenant's complaints
under that tenant's policy, or every complaint under its own tenant's policy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy, SlaTarget
from complaintlog.projections import Projections, ViewPolicyMismatchError
from complaintlog.projections._store import SqliteViewStore
from complaintlog.projections._tenants import PolicySpec, TenantPolicies, checked_tenant

__all__ = ["TenantScope"]


@attrs.frozen
class TenantScope:
    """The policies of the store's tenants, and the one tenant an output is for (if any)."""

    policies: TenantPolicies
    tenant: str | None = None

    @classmethod
    def of(
        cls,
        policy: PolicySpec | TenantPolicies | None = None,
        tenant_policies: Mapping[str, PolicySpec] | None = None,
        tenant: str | None = None,
    ) -> TenantScope:
        """From what callers pass: the default policy (or the views' set of policies),
        each tenant's own, one tenant."""
        if isinstance(policy, TenantPolicies):
            own: dict[str, PolicySpec] = {**policy.own, **(tenant_policies or {})}
            policies = TenantPolicies.named(policy.default, own)
        else:
            policies = TenantPolicies.named(policy, tenant_policies)
        return cls(policies, checked_tenant(tenant) if tenant is not None else None)

    @property
    def policy(self) -> SlaPolicy:
        """The policy the output is measured under: the tenant's, or the default."""
        return self.policies.of(self.tenant) if self.tenant is not None else self.policies.default

    @property
    def in_use(self) -> tuple[SlaPolicy, ...]:
        """Every policy a complaint in scope may be measured under."""
        if self.tenant is not None or not self.policies.own:
            return (self.policy,)
        return (self.policies.default, *self.policies.own.values())

    @property
    def mixed(self) -> bool:
        """Whether complaints in scope are measured under more than one policy."""
        return len(self.in_use) > 1

    @property
    def name(self) -> str:
        """The policy (or policies) as a report names them: ``fca``, or
        ``default; brand-a: fca; brand-b: psd2``."""
        if not self.mixed:
            return self.policy.name
        own = "; ".join(f"{tenant}: {p.name}" for tenant, p in self.policies.own.items())
        return f"{self.policies.default.name}; {own}"

    def targets(self) -> list[SlaTarget]:
        """The targets of the policies in use, each name once (the first policy's)."""
        found: dict[str, SlaTarget] = {}
        for policy in self.in_use:
            for target in policy.targets:
                found.setdefault(target.name, target)
        return list(found.values())

    def covers(self, tenant: str) -> bool:
        """Whether a complaint of ``tenant`` is in scope."""
        return self.tenant is None or tenant == self.tenant

    def projections(self, log: ComplaintLog) -> Projections:
        """The store's views, opened with these policies (refused if built under others)."""
        return Projections(log, policy=self.policies.default, tenant_policies=self.policies.own)

    @contextmanager
    def views(self, log: ComplaintLog) -> Iterator[Projections]:
        """The store's views if they were built under these policies; else throwaway
        in-memory views replayed from the log (an output never changes the stored views'
        policies)."""
        try:
            views = self.projections(log)
        except ViewPolicyMismatchError:
            memory = SqliteViewStore(":memory:")
            try:
                with Projections(
                    log,
                    policy=self.policies.default,
                    tenant_policies=self.policies.own,
                    store=memory,
                ) as replayed:
                    yield replayed
            finally:
                memory.close()
            return
        with views:
            yield views

"""What-if: replay the history under two policies and compare the breach lists.

:func:`what_if` folds the whole log under each policy into a throwaway in-memory view (the
stored views are never touched) and returns a :class:`WhatIf` with both breach lists and their
difference, breaches matched by complaint, metric, cycle and promise. Either side may be a
set of tenant policies (each complaint under its tenant's), and ``tenant`` compares one
tenant's complaints only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import attrs

from complaintlog.domain.sla_policy import Metric, SlaPolicy
from complaintlog.projections._framework.follower import Follower
from complaintlog.projections._store import SqliteViewStore
from complaintlog.projections._tenants import TenantPolicies
from complaintlog.projections.sla._projection import SlaProjection
from complaintlog.projections.sla._view import Clock, SlaView

if TYPE_CHECKING:
    from complaintlog.application import ComplaintLog

__all__ = ["BreachKey", "WhatIf", "replay_breaches", "what_if"]

BreachKey = tuple[UUID, Metric, int, UUID | None]
"""A breach compared across policies: complaint, metric, cycle and promise (not the target
name, which differs between policies)."""


@attrs.frozen
class WhatIf:
    """How the breach list as of ``as_of`` changes from policy ``a`` to policy ``b``."""

    as_of: datetime
    breaches_a: tuple[Clock, ...]
    breaches_b: tuple[Clock, ...]
    newly_breaching: tuple[Clock, ...]
    """Breaches under ``b`` with no breach of the same complaint, metric, cycle and promise
    under ``a``."""
    no_longer_breaching: tuple[Clock, ...]
    """Breaches under ``a`` that ``b`` does not have."""

    @property
    def complaints_newly_breaching(self) -> frozenset[UUID]:
        before = {clock.complaint_id for clock in self.breaches_a}
        return frozenset(c.complaint_id for c in self.breaches_b if c.complaint_id not in before)

    @property
    def complaints_no_longer_breaching(self) -> frozenset[UUID]:
        after = {clock.complaint_id for clock in self.breaches_b}
        return frozenset(c.complaint_id for c in self.breaches_a if c.complaint_id not in after)


def _key(clock: Clock) -> BreachKey:
    return (clock.complaint_id, clock.metric, clock.cycle, clock.promise_id)


def replay_breaches(
    log: ComplaintLog,
    policy: SlaPolicy | TenantPolicies,
    as_of: datetime,
    *,
    ongoing_only: bool = False,
    tenant: str | None = None,
) -> list[Clock]:
    """Replay the whole log under ``policy`` into a throwaway in-memory view; its breaches
    (of ``tenant``'s complaints, if given)."""
    store = SqliteViewStore(":memory:")
    follower = Follower(log, store, [SlaProjection(policy)], batch_size=10_000)
    try:
        follower.catch_up()
        return SlaView(store, policy).breaches(as_of, ongoing_only=ongoing_only, tenant=tenant)
    finally:
        follower.close()
        store.close()


def what_if(
    log: ComplaintLog,
    policy_a: SlaPolicy | TenantPolicies,
    policy_b: SlaPolicy | TenantPolicies,
    as_of: datetime,
    *,
    ongoing_only: bool = False,
    tenant: str | None = None,
) -> WhatIf:
    """Replay the history under two policies (or calendars) and diff the breach lists,
    of ``tenant``'s complaints only if given.

    Both replays go into throwaway in-memory views; the stored views are never touched.
    """
    breaches_a, breaches_b = (
        replay_breaches(log, policy, as_of, ongoing_only=ongoing_only, tenant=tenant)
        for policy in (policy_a, policy_b)
    )
    keys_a = {_key(clock) for clock in breaches_a}
    keys_b = {_key(clock) for clock in breaches_b}
    return WhatIf(
        as_of=as_of,
        breaches_a=tuple(breaches_a),
        breaches_b=tuple(breaches_b),
        newly_breaching=tuple(c for c in breaches_b if _key(c) not in keys_a),
        no_longer_breaching=tuple(c for c in breaches_a if _key(c) not in keys_b),
    )

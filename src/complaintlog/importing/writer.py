"""Saving plans in batches: a few hundred complaints per transaction.

A plan that the domain refuses halfway (a rule the format could not foresee) must not
leave half a complaint in the batch, so the batch is rebuilt from the plans that went in
cleanly and the refused one becomes a reject. That is rare; the common path is one
``Batch`` per ``batch_size`` complaints and one commit.
"""

from __future__ import annotations

from collections.abc import Callable

from complaintlog.application import Batch, ComplaintLog
from complaintlog.errors import ComplaintLogError, DuplicateExternalReferenceError
from complaintlog.importing.plan import ComplaintPlan

__all__ = ["PlanWriter"]

Refused = Callable[[ComplaintPlan, str], None]
Saved = Callable[[ComplaintPlan], None]


class PlanWriter:
    """Collects checked plans and saves them ``batch_size`` at a time."""

    def __init__(
        self,
        log: ComplaintLog,
        *,
        batch_size: int = 250,
        on_saved: Saved | None = None,
        on_refused: Refused | None = None,
        on_duplicate: Saved | None = None,
    ) -> None:
        if batch_size < 1:
            msg = f"batch_size={batch_size} must be at least 1"
            raise ValueError(msg)
        self._log = log
        self._batch_size = batch_size
        self._pending: list[ComplaintPlan] = []
        self._batch: Batch = log.batch()
        self._on_saved = on_saved or (lambda plan: None)
        self._on_refused = on_refused or (lambda plan, reason: None)
        self._on_duplicate = on_duplicate or (lambda plan: None)

    def add(self, plan: ComplaintPlan) -> None:
        self._pending.append(plan)
        if len(self._pending) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        """Save what is pending in one transaction."""
        plans, self._pending = self._pending, []
        for _attempt in range(3):
            applied = self._apply(plans)
            try:
                self._batch.commit()
            except DuplicateExternalReferenceError:
                # another writer recorded some of these meanwhile: drop those and retry
                plans = []
                for plan in applied:
                    if self._log.find(plan.external_ref) is None:
                        plans.append(plan)
                    else:
                        self._on_duplicate(plan)
                continue
            for plan in applied:
                self._on_saved(plan)
            return
        for plan in plans:
            self._on_refused(plan, "lost a race with another writer three times; import again")

    def _apply(self, plans: list[ComplaintPlan]) -> list[ComplaintPlan]:
        """Apply the plans to a fresh batch; returns those that went in cleanly."""
        self._batch = self._log.batch()
        applied: list[ComplaintPlan] = []
        for plan in plans:
            try:
                plan.apply(self._batch)
            except ComplaintLogError as error:
                self._on_refused(plan, str(error))
                self._batch = self._log.batch()  # drop any half-recorded complaint
                for earlier in applied:
                    earlier.apply(self._batch)
                continue
            applied.append(plan)
        return applied

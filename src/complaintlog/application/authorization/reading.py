"""Read authorisation: which complaints an actor may read, and whether they see personal data.

A policy's roles say it (``personal_data = true`` and ``read_teams = ["billing"]`` in the
policy file; see ``Policy.read_access``): an actor sees personal data when one of their
roles may, and reads the complaints of the teams any of their roles may read (every
complaint when one role names no teams). Others see ``"[masked]"`` where personal data
was. Roles limited to some tenants (``tenants = ["brand-a"]``) read those tenants'
complaints only, the tenants of all the actor's roles together; another tenant's complaint
is hidden from the reader as if it did not exist (``may_read_tenant``: readers answer
"not found", never "forbidden", so that a brand's staff do not learn what another brand's
customers complained about, or that they did). :class:`ReadAccess` is the hook every
reader uses: ``ComplaintLog.reading_as``, the CLI's ``--as``, and the HTTP layer
(``access.may_read(view)``, ``access.shown(view)``, ``access.shown_payload(entry)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from complaintlog.domain.complaint_view import ComplaintView
from complaintlog.domain.personal import ERASED, later_personal
from complaintlog.domain.values import PERSONAL_CUSTOMER_FIELDS

__all__ = ["EVERYTHING", "MASKED", "ReadAccess"]

MASKED = "[masked]"
"""What a reader without the right to personal data sees where it was."""


@attrs.frozen
class ReadAccess:
    """What one actor may read."""

    actor: str | None
    roles: tuple[str, ...] = ()
    personal_data: bool = True
    teams: frozenset[str] | None = None
    """The teams whose complaints may be read; ``None``: every complaint."""
    tenants: frozenset[str] | None = None
    """The tenants whose complaints may be read; ``None``: every tenant's."""

    def may_read(self, view: ComplaintView) -> bool:
        return self.may_read_tenant(view.tenant) and self.may_read_team(view.team)

    def may_read_team(self, team: str | None) -> bool:
        return self.teams is None or (team is not None and team in self.teams)

    def may_read_tenant(self, tenant: str) -> bool:
        """Whether the complaints of ``tenant`` may be read (others are hidden)."""
        return self.tenants is None or tenant in self.tenants

    def may_read_row(self, team: str | None, tenant: str) -> bool:
        """For lists: a complaint of ``team`` and ``tenant`` is shown."""
        return self.may_read_tenant(tenant) and self.may_read_team(team)

    def why_not(self, view: ComplaintView) -> str:
        teams = ", ".join(sorted(self.teams or ())) or "none"
        return f"the complaint belongs to team {view.team!r}; readable teams: {teams}"

    def shown(self, view: ComplaintView) -> ComplaintView:
        """The view with personal data masked unless the actor may see it."""
        if self.personal_data or view.customer.erased:
            return view
        customer = view.customer.model_copy(
            update={
                name: MASKED
                for name in PERSONAL_CUSTOMER_FIELDS
                if getattr(view.customer, name) is not None
            }
        )
        sealed = set(view.personal_fields)
        return attrs.evolve(
            _later_texts_masked(view),
            customer=customer,
            subject=MASKED if "subject" in sealed else view.subject,
            description=MASKED if "description" in sealed else view.description,
            desired_outcome=(
                MASKED
                if "desired_outcome" in sealed and view.desired_outcome is not None
                else view.desired_outcome
            ),
        )

    def shown_payload(
        self, payload: Mapping[str, Any], personal_fields: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """An event's payload (history, export) with personal data masked if need be.

        ``personal_fields``: the texts the complaint sealed (``view.personal_fields``, or
        the ``personal`` list of an exported ``Received``).
        """
        shown = dict(payload)
        if self.personal_data:
            return shown
        customer = shown.get("customer")
        if isinstance(customer, Mapping) and not customer.get("erased"):
            shown["customer"] = {
                k: (MASKED if k in PERSONAL_CUSTOMER_FIELDS and v is not None else v)
                for k, v in customer.items()
            }
        sealed = set(personal_fields) | {
            p for p in shown.get("personal") or () if isinstance(p, str)
        }
        for name in sealed:
            if "." not in name and shown.get(name) not in (None, "[erased]"):
                shown[name] = MASKED  # the receipt's texts, or a later step's sealed ones
        return shown


def _later_texts_masked(view: ComplaintView) -> ComplaintView:
    """The view with the later steps' personal texts masked (those not erased already)."""
    declared = view.personal_later
    if not declared:
        return view

    def mask(command: str, argument: str, value: Any) -> Any:
        personal = argument in later_personal(declared, command)
        return MASKED if personal and value not in (None, ERASED) else value

    return attrs.evolve(
        view,
        promises=tuple(
            attrs.evolve(p, promise=mask("make_promise", "promise", p.promise))
            for p in view.promises
        ),
        pause_history=tuple(
            attrs.evolve(p, reason=mask("pause", "reason", p.reason)) for p in view.pause_history
        ),
        escalations=tuple(
            attrs.evolve(e, reason=mask("escalate", "reason", e.reason)) for e in view.escalations
        ),
        resolutions=tuple(
            attrs.evolve(r, summary=mask("resolve", "summary", r.summary)) for r in view.resolutions
        ),
        notes=tuple(attrs.evolve(n, text=mask("note", "text", n.text)) for n in view.notes),
        evidence=tuple(
            attrs.evolve(
                e,
                name=mask("attach_evidence", "name", e.name),
                uri=mask("attach_evidence", "uri", e.uri),
            )
            for e in view.evidence
        ),
    )


EVERYTHING = ReadAccess(actor=None)
"""No policy: every complaint, personal data shown."""

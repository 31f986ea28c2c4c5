"""Who holds each complaint: the table the agenda and the SLA lists filter by person or team.

Written by the agenda's fold (:mod:`complaintlog.projections.agenda`) with its items, read by
the agenda and by the SLA view's ``assignee`` / ``team`` filters. Kept apart so the SLA view
does not import the agenda (which builds on the SLA fold).
"""

from __future__ import annotations

from typing import Any

from complaintlog.projections._store import compose

__all__ = ["HOLDER_COLUMNS", "HOLDERS", "holder_filter"]

HOLDERS = "complaintlog_agenda_holders"
HOLDER_COLUMNS = ("complaint_id", "assignee", "team", "external_ref")


def holder_filter(assignee: str | None, team: str | None) -> tuple[list[str], list[Any]]:
    """SQL conditions (on a ``complaint_id`` column) for complaints held by a person or team
    now, with their parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("assignee", assignee), ("team", team)):
        if value is not None:
            clauses.append(
                compose(
                    "complaint_id IN (SELECT complaint_id FROM {holders} WHERE {column} = ?)",
                    holders=HOLDERS,
                    column=column,
                )
            )
            params.append(value)
    return clauses, params

"""The current-state projection: folds complaint events into one row per complaint.

``CurrentStateProjection`` handles the events and writes the rows; ``replay`` runs the same
fold over a few complaints' events cut at a past moment, which is how the view answers
``as_of`` without a history table.
"""

from __future__ import annotations

from collections.abc import Sequence

from complaintlog.projections._framework.projection import Projection, select_in_later
from complaintlog.projections._framework.reader import LogEvent, parse_us
from complaintlog.projections._store import (
    Later,
    Reads,
    Transaction,
    add_tenant_column,
    compose,
    create_table,
    marks,
    write_rows,
)
from complaintlog.projections.current_state._rows import (
    _COLUMN_LIST,
    _COLUMNS,
    _NULLABLE,
    NOT_ACTIVITY,
    TABLE,
    _column_type,
    _State,
)


class CurrentStateProjection(Projection[_State]):
    """Folds complaint events into current-state rows and their versions."""

    name = "current_state"
    tables = (TABLE,)
    per_complaint = True

    def config(self) -> str:
        return "current_state-1"

    def create_tables(self, tx: Transaction) -> None:
        columns = ", ".join(f"{name} {_column_type(name)}" for name in _COLUMNS)
        create_table(tx, TABLE, columns, "complaint_id")
        add_tenant_column(tx, TABLE)

    def create_indexes(self, tx: Transaction) -> None:
        # Every list query pages oldest first: (filter, received_us, complaint_id) indexes
        # answer a page by walking the index, at any table size.
        for column in ("is_open", "status", "assignee", "customer_id", "team"):
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_{column} "
                f"ON {TABLE} ({column}, received_us, complaint_id)"
            )
        for column in ("dimension", "cause", "product"):
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_{column} "
                f"ON {TABLE} ({column}, received_us, complaint_id) WHERE {column} IS NOT NULL"
            )
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_last_event ON {TABLE} (last_event_us)")
        # one tenant's lists (a brand's CRM sees only its complaints), open ones first of all
        for name, columns in (("tenant", "tenant"), ("tenant_open", "tenant, is_open")):
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_{name} "
                f"ON {TABLE} ({columns}, received_us, complaint_id)"
            )

    def load_later(self, reads: Reads, complaint_ids: Sequence[str]) -> Later[dict[str, _State]]:
        rows = select_in_later(
            reads,
            compose(
                "SELECT {column_list} FROM {table} WHERE complaint_id",
                column_list=_COLUMN_LIST,
                table=TABLE,
            ),
            complaint_ids,
        )
        return lambda: {row[0]: _State.from_row(row) for row in rows()}

    def handle(self, events: Sequence[LogEvent]) -> None:
        cache = self.cache
        dirty = self.dirty
        for _, complaint_id, kind, at, data in events:
            if not kind:
                continue  # another aggregate's event: only the position moves
            if kind in NOT_ACTIVITY:
                found = cache.get(complaint_id)
                if found is not None:
                    found.version += 1
                    found.last_event_us = at
                    dirty[complaint_id] = found
                continue
            if kind == "Received":
                state = cache[complaint_id] = _State.received(complaint_id, at, data)
            else:
                found = cache.get(complaint_id)
                if found is None:
                    continue  # its Received was never recorded: nothing to attach it to
                state = found
                match kind:
                    case "Acknowledged":
                        state.acknowledged_us = at
                    case "Assigned":
                        state.assignee = data["assignee"]
                        state.team = data["team"]
                        state.handled = 1
                    case "Escalated":
                        state.escalation_level = data["level"]
                        state.handled = 1
                    case "PromiseMade":
                        state.promise_due_us = parse_us(data["due"])
                        state.handled = 1
                    case "CustomerInformed":
                        state.keep_promise(at)
                        state.handled = 1
                    case "Reclassified":
                        category = data["category"]
                        if category is not None:
                            state.dimension = category["dimension"]
                            state.cause = category["cause"]
                            state.product = category["product"]
                        if data["severity"] is not None:
                            state.severity = data["severity"]
                        state.handled = 1
                    case "Paused":
                        state.paused_since_us = at
                    case "Resumed":
                        state.paused_since_us = None
                    case "Resolved":
                        state.keep_promise(at)
                        state.paused_since_us = None
                        state.resolved_us = at
                    case "Reopened":
                        state.cycle += 1
                        state.handled = state.after_care = 0
                        state.resolved_us = None
                    case "FollowedUp":
                        if data["solved"]:
                            state.after_care = 1
                    case "Surveyed":
                        state.after_care = 1
                    case "Withdrawn":
                        state.paused_since_us = None
                        state.withdrawn_us = at
                    case _:
                        pass  # an event kind this projection does not show
            state.version += 1
            state.last_activity_us = state.last_event_us = at
            dirty[state.complaint_id] = state

    def write(self, tx: Transaction) -> None:
        if not self.dirty:
            return
        placeholders, null = marks(tx, _NULLABLE)
        rows = [state.row(null) for state in self.dirty.values()]
        write_rows(tx, TABLE, _COLUMNS, placeholders, "complaint_id", rows, new=self.rows_are_new)


def replay(events: Sequence[LogEvent], as_of: int) -> dict[str, _State]:
    """Fold each complaint's events that happened by ``as_of`` into throwaway rows."""
    projection = CurrentStateProjection()
    projection.handle([event for event in events if event[3] <= as_of])
    return projection.cache

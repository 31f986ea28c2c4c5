"""The agenda's fold: the SLA fold, plus who holds each complaint and its items' segments.

:class:`AgendaProjection` *is* the SLA projection (same name, clocks and tables) that also
writes the agenda's tables: an agenda item is a running clock seen from the handler's side,
and folding the clocks twice would double the costliest view's work. After each event it
compares every clock of the complaint with the item segment standing for it and ends,
starts or moves segments (see :mod:`._rows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections._framework.projection import select_in_later
from complaintlog.projections._framework.reader import LogEvent
from complaintlog.projections._holders import HOLDER_COLUMNS, HOLDERS
from complaintlog.projections._store import (
    Later,
    Reads,
    Transaction,
    compose,
    create_table,
    marks,
    write_rows,
)
from complaintlog.projections._tenants import TenantPolicies
from complaintlog.projections.agenda._rows import (
    CHANGING_COLUMNS,
    HOLDER_NULLABLE,
    ITEM_COLUMNS,
    ITEM_NULLABLE,
    ITEMS,
    KEY_COLUMNS,
    Holder,
    Segment,
    item_type,
)
from complaintlog.projections.sla import SlaProjection
from complaintlog.projections.sla._rows import _Case, _Clock

__all__ = ["AgendaProjection"]

AGENDA_CONFIG = "agenda 5"

_KEY_IS = " AND ".join(f"{name} = ?" for name in KEY_COLUMNS)
_DELETE_ITEM = compose("DELETE FROM {items} WHERE {key}", items=ITEMS, key=_KEY_IS)
_UPDATE_ITEM = compose(
    "UPDATE {items} SET {changes} WHERE {key}",
    items=ITEMS,
    changes=", ".join(f"{name} = ?" for name in CHANGING_COLUMNS),
    key=_KEY_IS,
)
_END_US = ITEM_COLUMNS.index("end_us")


class AgendaProjection(SlaProjection):
    """SLA clocks under each tenant's policy, and the agenda of what they ask handlers to do."""

    tables: ClassVar[tuple[str, ...]] = (*SlaProjection.tables, ITEMS, HOLDERS)

    def __init__(self, policy: SlaPolicy | TenantPolicies) -> None:
        super().__init__(policy)
        self.holders: dict[str, Holder] = {}
        """Beside ``cache``: the holder of each cached complaint (loaded and dropped with it)."""

    def _head(self) -> str:
        return f"{super()._head()} + {AGENDA_CONFIG}"

    def _complaint_tables(self) -> tuple[str, ...]:
        return (*super()._complaint_tables(), ITEMS, HOLDERS)

    # -- schema -----------------------------------------------------------------------------

    def create_tables(self, tx: Transaction) -> None:
        super().create_tables(tx)
        items = ", ".join(f"{name} {item_type(name)}" for name in ITEM_COLUMNS)
        # A segment is named by its clock and its start, but the table has no key index on
        # them: it took a quarter of the agenda's bytes. The fold knows which segments it
        # stored and updates those by (complaint_id, clock_key, from_us), found through
        # the complaint's index (a complaint has a few segments); a rebuild appends.
        tx.execute(f"CREATE TABLE IF NOT EXISTS {ITEMS} ({items})")
        holders = "complaint_id TEXT NOT NULL, assignee TEXT, team TEXT, external_ref TEXT"
        create_table(tx, HOLDERS, holders, "complaint_id")

    def create_indexes(self, tx: Transaction) -> None:
        super().create_indexes(tx)
        # The standing segments' indexes hold every column the agenda shows: one person's
        # agenda is then read from the index alone (no row look-up per item), and the
        # standing segments are a small part of the table.
        shown = "from_us, due_us, complaint_id, clock_key, cycle, "
        shown += "opens_us, assignee, team, external_ref, end_us"  # end_us: truly covering
        for name, columns, where in (
            ("live_assignee", f"assignee, list_us, {shown}", "end_us IS NULL"),
            ("live_team", f"team, list_us, {shown}", "end_us IS NULL"),
            ("live", f"list_us, {shown}", "end_us IS NULL"),
            ("ended_assignee", "assignee, end_us", "end_us IS NOT NULL"),
            ("ended", "end_us", "end_us IS NOT NULL"),
        ):
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS {ITEMS}_{name} ON {ITEMS} ({columns}) WHERE {where}"
            )
        tx.execute(f"CREATE INDEX IF NOT EXISTS {ITEMS}_complaint ON {ITEMS} (complaint_id)")
        tx.execute(f"CREATE INDEX IF NOT EXISTS {HOLDERS}_assignee ON {HOLDERS} (assignee)")
        tx.execute(f"CREATE INDEX IF NOT EXISTS {HOLDERS}_team ON {HOLDERS} (team)")

    # -- state ------------------------------------------------------------------------------

    def load_later(self, reads: Reads, complaint_ids: Sequence[str]) -> Later[dict[str, _Case]]:
        """The SLA cases, and beside them the complaints' holders with their standing
        segments (into :attr:`holders`, when the answers are read)."""
        cases = super().load_later(reads, complaint_ids)
        holder_rows = select_in_later(
            reads,
            compose(
                "SELECT {columns} FROM {holders} WHERE complaint_id",
                columns=", ".join(HOLDER_COLUMNS),
                holders=HOLDERS,
            ),
            complaint_ids,
        )
        # By complaint only, the standing segments picked here: with ``end_us IS NULL`` in
        # the query, PostgreSQL (without statistics) read the standing segments' covering
        # index whole, which holds complaint_id but does not begin with it.
        item_rows = select_in_later(
            reads,
            compose(
                "SELECT {columns} FROM {items} WHERE complaint_id",
                columns=", ".join(ITEM_COLUMNS),
                items=ITEMS,
            ),
            complaint_ids,
        )

        def loaded() -> dict[str, _Case]:
            found = cases()
            for complaint_id, assignee, team, external_ref in holder_rows():
                holder = Holder(complaint_id, external_ref)
                holder.assignee = assignee
                holder.team = team
                holder.dirty = False
                self.holders[complaint_id] = holder
            for row in item_rows():
                if row[_END_US] is None:
                    segment = Segment.from_row(tuple(row))
                    self.holders[segment.complaint_id].open[segment.clock_key] = segment
            return found

        return loaded

    def committed(self, position: int) -> None:
        super().committed(position)
        if not self.cache:
            self.holders.clear()

    def discard(self) -> None:
        super().discard()
        self.holders.clear()

    def write(self, tx: Transaction) -> None:
        holders = [self.holders[complaint_id] for complaint_id in self.dirty]
        super().write(tx)
        holder_marks, holder_null = marks(tx, HOLDER_NULLABLE)
        item_marks, null = marks(tx, ITEM_NULLABLE)
        holder_rows: list[tuple[Any, ...]] = []
        item_rows: list[tuple[Any, ...]] = []
        updated_rows: list[tuple[Any, ...]] = []
        started: list[tuple[Any, ...]] = []
        for holder in holders:
            if holder.dirty:
                holder_rows.append(holder.row(holder_null))
                holder.dirty = False
            for segment in holder.pending.values():
                if segment.stored:
                    updated_rows.append(segment.update_row())
                else:
                    item_rows.append(segment.row(null))
                    started.append((segment.complaint_id, segment.clock_key, segment.from_us))
                    segment.stored = True
            holder.pending.clear()
        new = self.rows_are_new
        write_rows(tx, HOLDERS, HOLDER_COLUMNS, holder_marks, "complaint_id", holder_rows, new=new)
        if updated_rows:  # only ever standing segments: few, on a catch-up
            tx.executemany(_UPDATE_ITEM, updated_rows)
        if started and not new:
            # A segment ended where it began (a stretch of no length) by an earlier write
            # has the key of one started again at that moment: replaced, as a keyed upsert
            # would (a rebuild's pages hold whole histories and write each key once).
            tx.executemany(_DELETE_ITEM, started)
        if item_rows:
            tx.append(ITEMS, ", ".join(ITEM_COLUMNS), item_marks, item_rows)

    # -- the fold ---------------------------------------------------------------------------

    def handle(self, events: Sequence[LogEvent]) -> None:
        fold = super().handle
        cache = self.cache
        holders = self.holders
        for event in events:
            _, complaint_id, kind, at, data = event
            if not kind:
                continue
            fold((event,))
            if kind == "Received":
                holder = holders[complaint_id] = Holder(complaint_id, data["external_ref"])
            else:
                found = holders.get(complaint_id)
                if found is None:
                    continue  # a complaint this view never saw received
                holder = found
                if kind == "Assigned":
                    holder.assignee = data["assignee"]
                    holder.team = data["team"]
                    holder.dirty = True
            case = cache[complaint_id]
            self._sync(case, holder, at)
            if holder.dirty or holder.pending:
                self.dirty[complaint_id] = case  # an assignment changes no clock

    def _sync(self, case: _Case, holder: Holder, at: int) -> None:
        """End, move or start the item segments of the complaint's clocks as of ``at``."""
        standing = holder.open
        informational = self.rules_of(case).informational
        for clock in case.clocks:
            segment = standing.get(clock.clock_key)
            stands = (
                clock.met_us is None
                and clock.cancelled_us is None
                and clock.paused_since_us is None
                and clock.target not in informational
            )
            if not stands:
                if segment is not None:
                    self._end_segment(holder, segment, at)
                continue
            if segment is not None:
                if (
                    segment.due_us == clock.due_us
                    and segment.opens_us == clock.earliest_us
                    and segment.assignee == holder.assignee
                    and segment.team == holder.team
                ):
                    continue
                if segment.from_us == at:  # changed at the moment it began: no stretch
                    self._fill_segment(segment, clock, holder)
                    holder.pending[segment.clock_key, segment.from_us] = segment
                    continue
                self._end_segment(holder, segment, at)
            self._start_segment(holder, clock, at)

    @staticmethod
    def _end_segment(holder: Holder, segment: Segment, at: int) -> None:
        segment.end_us = at
        holder.pending[segment.clock_key, segment.from_us] = segment
        del holder.open[segment.clock_key]

    @staticmethod
    def _fill_segment(segment: Segment, clock: _Clock, holder: Holder) -> None:
        segment.due_us = clock.due_us
        segment.opens_us = clock.earliest_us
        segment.list_us = clock.earliest_us if clock.earliest_us is not None else clock.due_us
        segment.assignee = holder.assignee
        segment.team = holder.team

    def _start_segment(self, holder: Holder, clock: _Clock, at: int) -> None:
        segment = Segment()
        segment.complaint_id = holder.complaint_id
        segment.clock_key = clock.clock_key
        segment.cycle = clock.cycle
        segment.from_us = at
        segment.end_us = None
        segment.stored = False
        segment.external_ref = holder.external_ref
        self._fill_segment(segment, clock, holder)
        holder.open[clock.clock_key] = segment
        holder.pending[segment.clock_key, segment.from_us] = segment

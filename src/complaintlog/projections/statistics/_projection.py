"""The statistics projection: folds complaint events into fact rows, and keeps the day rows.

``StatisticsProjection`` handles the events (business times measured on the calendar of the
complaint's tenant's policy as they arrive), writes one fact row per complaint, and keeps
the per-day figures (``_days``, in the default calendar's zone) up to date beside them, or
derives them at the end of a rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.values import DEFAULT_TENANT
from complaintlog.projections._day_rows_note import DayRowsNote
from complaintlog.projections._day_starts import DayStarts
from complaintlog.projections._framework.projection import Projection, select_in_later
from complaintlog.projections._framework.reader import LogEvent
from complaintlog.projections._store import (
    TENANT_LINE,
    Later,
    Reads,
    Transaction,
    add_tenant_column,
    compose,
    config_tenants,
    write_rows,
)
from complaintlog.projections.current_state._rows import NOT_ACTIVITY
from complaintlog.projections.statistics._days import (
    DAYS_TABLE,
    Days,
    build,
    contribute,
    create_days_indexes,
    create_days_table,
    merge,
    update,
)
from complaintlog.projections.statistics._facts import (
    _ACCEPTED,
    _AMOUNT,
    _COLUMN_LIST,
    _COLUMNS,
    _CURRENCY,
    _FOLLOWED_UP,
    _REMEDY,
    _REOPENED,
    _RESOLVE_BUSINESS,
    _RESOLVED,
    _SCORE,
    _SOLVED,
    _STARTED,
    _SURVEYED,
    TABLE,
    _Facts,
    _new_cycle,
    _type,
)

STATISTICS_CONFIG = "statistics-3"
"""The version of the fold, before the default calendar in the configuration."""


class StatisticsProjection(DayRowsNote, Projection[_Facts]):
    """Keeps one fact row per complaint; business times on ``calendar``, or on the calendar
    of the complaint's tenant in ``tenant_calendars``; day rows in ``calendar``'s zone."""

    name = "statistics"
    tables = (TABLE, DAYS_TABLE)
    per_complaint = True
    tenant_table = TABLE

    def __init__(
        self,
        calendar: BusinessCalendar,
        tenant_calendars: Mapping[str, BusinessCalendar] | None = None,
    ) -> None:
        super().__init__()
        self.calendar = calendar
        self.tenant_calendars = dict(sorted((tenant_calendars or {}).items()))
        self._zone = calendar.time_zone.key
        self._day_of = DayStarts(calendar.time_zone)
        self._days_kept = False
        """Whether :meth:`write` keeps the day rows up to date: not while a rebuild writes
        the fact rows (the day rows are derived from them at its end, in
        :meth:`create_indexes`)."""
        self._days_committed = True
        """:attr:`_days_kept` as the committed tables say (:meth:`schema_ended`). Tables
        this runner did not manage to open (it gave way to a writer) exist and are
        followed: their day rows are kept. (:attr:`_days_kept` starts False: a process
        writing its share of a rebuild never opens the tables, and counts its rows.)"""
        self._counted: Days | None = None
        """The figures of the complaints a rebuild complaint by complaint has written so
        far, added up by day as it writes them: its day rows, without reading them back."""

    def config(self) -> str:
        """The default calendar's part as before tenants, then each tenant's own."""
        return f"{STATISTICS_CONFIG} {self.calendar!r}" + "".join(
            f"{TENANT_LINE}{tenant}: {calendar!r}"
            for tenant, calendar in self.tenant_calendars.items()
        )

    def same_version(self, stored: str) -> bool:
        """Every part of ``stored`` is a calendar of this version (the calendars may differ)."""
        return config_tenants(stored)["default"].startswith(f"{STATISTICS_CONFIG} ")

    def forget(self, tx: Transaction, complaint_ids: Sequence[str]) -> None:
        """Nothing to take away: each complaint's fact row is written again under its key,
        and :meth:`write` moves the day rows from its old figures to its new ones (all day
        rows are derived from the fact rows afterwards when they are in another time zone:
        the default calendar's changed)."""
        zone = tx.query(compose("SELECT zone FROM {table} LIMIT 1", table=DAYS_TABLE))
        self._days_kept = not zone or zone[0][0] == self._zone

    def refolded(self, tx: Transaction) -> None:
        if not self._days_kept:
            build(tx, TABLE, self._day_of, self._zone)
            self._days_kept = True

    def create_tables(self, tx: Transaction) -> None:
        columns = ", ".join(f"{name} {_type(name)}" for name in _COLUMNS)
        tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({columns}, PRIMARY KEY (complaint_id))")
        add_tenant_column(tx, TABLE)
        create_days_table(tx)
        self._days_kept = False
        self._counted = None

    def create_indexes(self, tx: Transaction) -> None:
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_received ON {TABLE} (received_us)")
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_activity ON {TABLE} (last_activity_us)")
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_open ON {TABLE} (received_us) "
            "WHERE closed_us IS NULL"
        )
        # for reports (StatisticsView.report): complaints by how long they have been active,
        # and the open ones by their last activity
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_span ON {TABLE} ((last_activity_us - received_us))"
        )
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_open_activity ON {TABLE} (last_activity_us) "
            "WHERE closed_us IS NULL"
        )
        # for the day rows' repeat complaints: a customer's other complaints
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_customer ON {TABLE} (customer_id)")
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_tenant ON {TABLE} (tenant, received_us)")
        create_days_indexes(tx)
        # The runner creates the indexes when the tables are new, when it opens existing
        # ones, and when a rebuild has written every fact row: day rows missing beside fact
        # rows are derived from them now, and kept up to date from here on.
        if not self._days_kept and (
            not tx.query(compose("SELECT 1 FROM {table} LIMIT 1", table=DAYS_TABLE))
            and tx.query(compose("SELECT 1 FROM {table} LIMIT 1", table=TABLE))
        ):
            build(tx, TABLE, self._day_of, self._zone, counted=self._counted)
        self._days_kept = True
        self._counted = None

    def tally(self) -> Days | None:
        return self._counted

    def add_tally(self, part: Days | None) -> None:
        if part is None:
            return
        counted = self._counted if self._counted is not None else {}
        for day, figures in part.items():
            merge(counted.setdefault(day, {}), figures, 1)
        self._counted = counted

    def load_later(self, reads: Reads, complaint_ids: Sequence[str]) -> Later[dict[str, _Facts]]:
        rows = select_in_later(
            reads,
            compose(
                "SELECT {column_list} FROM {table} WHERE complaint_id",
                column_list=_COLUMN_LIST,
                table=TABLE,
            ),
            complaint_ids,
        )

        def found() -> dict[str, _Facts]:
            loaded: dict[str, _Facts] = {}
            for row in rows():
                facts = _Facts()
                for name, value in zip(_COLUMNS[:-1], row, strict=False):
                    setattr(facts, name, value)
                facts.cycles = orjson.loads(row[-1])
                loaded[facts.complaint_id] = facts
            return loaded

        return found

    def write(self, tx: Transaction) -> None:
        if not self.dirty:
            return
        if self._days_kept:  # before the fact rows: the table still holds the committed ones
            update(tx, TABLE, self._day_of, self._zone, [_day_row(f) for f in self.dirty.values()])
        elif self.rows_are_new:  # a rebuild: counted as written, for its day rows at the end
            if self._counted is None:
                self._counted = {}
            for facts in self.dirty.values():
                contribute(self._counted, self._day_of, _day_row(facts))
        rows = [facts.row() for facts in self.dirty.values()]
        placeholders = ", ".join("?" * len(_COLUMNS))
        write_rows(tx, TABLE, _COLUMNS, placeholders, "complaint_id", rows, new=self.rows_are_new)

    def _business(self, facts: _Facts, start: int, end: int) -> int:
        calendar = self.tenant_calendars.get(facts.tenant, self.calendar)
        return calendar.between_us(start, end)

    def handle(self, events: Sequence[LogEvent]) -> None:
        cache = self.cache
        dirty = self.dirty
        for _, complaint_id, kind, at, data in events:
            if not kind or kind in NOT_ACTIVITY:
                continue  # another aggregate's event, or a record that is no handling step
            if kind == "Received":
                facts = cache[complaint_id] = _received(complaint_id, at, data)
                dirty[complaint_id] = facts
                continue
            found = cache.get(complaint_id)
            if found is None:
                continue
            facts = found
            cycle = facts.cycles[-1]
            match kind:
                case "Acknowledged":
                    facts.acknowledged_us = at
                    facts.ack_regret = _flag(data.get("regret"))
                    facts.ack_thanks = _flag(data.get("thanks"))
                    facts.ack_business_us = self._business(facts, facts.received_us, at)
                case "Assigned":
                    facts.team = data["team"]
                case "Escalated":
                    facts.escalations += 1
                    facts.escalation_level = data["level"]
                    if facts.escalated_us is None:
                        facts.escalated_us = at
                case "Reclassified":
                    category = data["category"]
                    if category is not None:
                        facts.dimension = category["dimension"]
                        facts.cause = category["cause"]
                        facts.product = category["product"]
                    if data["severity"] is not None:
                        facts.severity = data["severity"]
                case "Resolved":
                    cycle[_RESOLVED] = at
                    cycle[_RESOLVE_BUSINESS] = self._business(facts, cycle[_STARTED], at)
                    cycle[_REMEDY] = data["remedy"]
                    money = data["compensation"]
                    if money is not None:
                        cycle[_AMOUNT] = str(money["amount"])
                        cycle[_CURRENCY] = money["currency"]
                    cycle[_ACCEPTED] = data["accepted"]
                    facts.closed_us = at
                case "Reopened":
                    cycle[_REOPENED] = at
                    facts.cycles.append(_new_cycle(at))
                    facts.closed_us = None
                case "FollowedUp":
                    cycle[_FOLLOWED_UP] = at
                    cycle[_SOLVED] = bool(data["solved"])
                case "Surveyed":
                    cycle[_SURVEYED] = at
                    cycle[_SCORE] = int(data["score"])
                case "Withdrawn":
                    facts.withdrawn_us = at
                    facts.closed_us = at
                case _:
                    pass  # promises, updates, pauses: counted from the SLA clocks
            facts.last_activity_us = at
            dirty[complaint_id] = facts


def _day_row(facts: _Facts) -> tuple[Any, ...]:
    """What the day rows take of a complaint's facts (``_days.FACT_COLUMNS``)."""
    return (
        facts.complaint_id,
        facts.customer_id,
        facts.dimension,
        facts.cause,
        facts.product,
        facts.received_us,
        facts.acknowledged_us,
        facts.ack_business_us,
        facts.withdrawn_us,
        facts.escalated_us,
        facts.escalation_level,
        facts.cycles,
    )


def _received(complaint_id: str, at: int, data: dict[str, Any]) -> _Facts:
    category = data["category"] or {}
    facts = _Facts()
    facts.complaint_id = complaint_id
    facts.customer_id = data["customer"]["id"]
    facts.channel = data["channel"]
    facts.severity = data["severity"]
    facts.dimension = category.get("dimension")
    facts.cause = category.get("cause")
    facts.product = category.get("product")
    facts.team = None
    facts.received_us = at
    facts.acknowledged_us = facts.ack_business_us = facts.withdrawn_us = None
    facts.escalated_us = None
    facts.escalation_level = None
    facts.escalations = 0
    facts.closed_us = None
    facts.last_activity_us = at
    facts.ack_regret = facts.ack_thanks = None
    facts.tenant = data.get("tenant") or DEFAULT_TENANT
    facts.cycles = [_new_cycle(at)]
    return facts


def _flag(value: object) -> int | None:
    """A recorded yes/no as 1/0; ``None`` (not recorded, as before version 2) stays NULL."""
    return None if value is None else int(bool(value))

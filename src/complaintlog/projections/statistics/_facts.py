"""The statistics view's fact rows: one per complaint, and the cycles inside them.

The table name and columns, their SQL types, the columns a report reads (and their
positions), the positions inside a cycle (a list in the JSON ``cycles`` column), and the
slotted ``_Facts`` the fold works on, which turns itself into its table row. Shared by the
projection, which writes the rows, and the view, which reads them.
"""

from __future__ import annotations

from typing import Any

import orjson

TABLE = "complaintlog_statistics"

_COLUMNS = (
    "complaint_id",
    "customer_id",
    "channel",
    "severity",
    "dimension",
    "cause",
    "product",
    "team",
    "category",
    "received_us",
    "acknowledged_us",
    "ack_business_us",
    "withdrawn_us",
    "escalated_us",
    "escalation_level",
    "escalations",
    "closed_us",
    "last_activity_us",
    "ack_regret",
    "ack_thanks",
    "tenant",
    "cycles",
)
_COLUMN_LIST = ", ".join(_COLUMNS)
_INDEX = {name: index for index, name in enumerate(_COLUMNS)}
_REPORTED = (
    "received_us",
    "escalated_us",
    "escalation_level",
    "acknowledged_us",
    "ack_business_us",
    "withdrawn_us",
    "cycles",
)
"""What a report reads of a fact row (then the grouping column, or NULL)."""
_REPORTED_LIST = ", ".join(_REPORTED)
_RECEIVED_AT, _ESCALATED_AT, _LEVEL, _ACKNOWLEDGED_AT, _ACK_BUSINESS, _WITHDRAWN_AT, _CYCLES = (
    range(len(_REPORTED))
)
_GROUP = len(_REPORTED)

# A cycle, as a list inside the JSON column:
_STARTED, _RESOLVED, _RESOLVE_BUSINESS, _REMEDY, _AMOUNT, _CURRENCY = range(6)
_ACCEPTED, _REOPENED, _FOLLOWED_UP, _SOLVED, _SURVEYED, _SCORE = range(6, 12)


def _new_cycle(started: int) -> list[Any]:
    return [started, None, None, None, None, None, None, None, None, None, None, None]


def _type(name: str) -> str:
    if name in {"complaint_id", "channel", "severity", "tenant", "cycles"}:
        return "TEXT NOT NULL"
    if name in {"received_us", "last_activity_us", "escalations"}:
        return "BIGINT NOT NULL"
    return "BIGINT" if name.endswith("_us") or name.startswith("ack_") else "TEXT"


class _Facts:
    __slots__ = (*_COLUMNS[:-1], "cycles")

    complaint_id: str
    customer_id: str | None
    channel: str
    severity: str
    dimension: str | None
    cause: str | None
    product: str | None
    team: str | None
    category: str | None
    """The three parts as one key (``dimension/cause/product``, ``-`` for a missing part),
    so a report can group by the whole category; derived when the row is written."""
    received_us: int
    acknowledged_us: int | None
    ack_business_us: int | None
    withdrawn_us: int | None
    escalated_us: int | None
    escalation_level: str | None
    escalations: int
    closed_us: int | None
    last_activity_us: int
    ack_regret: int | None
    """1 when the acknowledgement expressed regret, 0 when it did not, NULL: not recorded."""
    ack_thanks: int | None
    """1 when the acknowledgement thanked the customer, 0 when not, NULL: not recorded."""
    tenant: str
    cycles: list[list[Any]]

    def row(self) -> tuple[Any, ...]:
        return (
            self.complaint_id,
            self.customer_id,
            self.channel,
            self.severity,
            self.dimension,
            self.cause,
            self.product,
            self.team,
            _category_key(self.dimension, self.cause, self.product),
            self.received_us,
            self.acknowledged_us,
            self.ack_business_us,
            self.withdrawn_us,
            self.escalated_us,
            self.escalation_level,
            self.escalations,
            self.closed_us,
            self.last_activity_us,
            self.ack_regret,
            self.ack_thanks,
            self.tenant,
            orjson.dumps(self.cycles).decode(),
        )


def _category_key(dimension: str | None, cause: str | None, product: str | None) -> str | None:
    """As ``Category.key``; ``None`` for a complaint with no category."""
    parts = (dimension, cause, product)
    if all(part is None for part in parts):
        return None
    return "/".join(part or "-" for part in parts)

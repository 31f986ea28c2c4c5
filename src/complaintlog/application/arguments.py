"""Argument types of the public commands: strict for pydantic, friendly for type checkers.

At run time pydantic validates against the precise types (``Channel``, ``Customer``, ...),
which accept their plain forms too (``"phone"``, a dict). Type checkers see those plain
forms as allowed, so CRM code can pass ``channel="phone"`` without a cast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from complaintlog.domain.values import (
    Category,
    Channel,
    Customer,
    EscalationLevel,
    Money,
    Remedy,
    RemedyCode,
    ReopenReason,
    Severity,
    Upheld,
)

if TYPE_CHECKING:
    ComplaintId = UUID | str
    ChannelArg = Channel | str
    SeverityArg = Severity | str
    LevelArg = EscalationLevel | str
    RemedyArg = Remedy | str
    ReopenReasonArg = ReopenReason | str
    UpheldArg = Upheld | str
    CustomerArg = Customer | Mapping[str, Any]
    CategoryArg = Category | Mapping[str, Any]
    MoneyArg = Money | Mapping[str, Any]
else:
    ComplaintId = UUID
    ChannelArg = Channel
    SeverityArg = Severity
    LevelArg = EscalationLevel
    RemedyArg = RemedyCode
    ReopenReasonArg = ReopenReason
    UpheldArg = Upheld
    CustomerArg = Customer
    CategoryArg = Category
    MoneyArg = Money

__all__ = [
    "CategoryArg",
    "ChannelArg",
    "ComplaintId",
    "CustomerArg",
    "LevelArg",
    "MoneyArg",
    "ReopenReasonArg",
    "RemedyArg",
    "SeverityArg",
    "UpheldArg",
]

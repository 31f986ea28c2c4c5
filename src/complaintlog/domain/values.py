"""Value types carried by complaint events: codes, the customer, the category, money.

Codes are ``StrEnum`` so they read as plain strings in JSON, exports and SQL, and CRM code
may pass either ``Channel.PHONE`` or ``"phone"``. Composite values are frozen pydantic
models: they validate on construction and serialise to JSON without custom code.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Annotated, Any

from babel.numbers import get_currency_precision, is_currency
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from complaintlog.errors import InvalidValueError

__all__ = [
    "DEFAULT_TENANT",
    "TENANT_RULE",
    "Category",
    "Cause",
    "Channel",
    "Customer",
    "EscalationLevel",
    "Money",
    "Remedy",
    "RemedyCode",
    "ReopenReason",
    "ServqualDimension",
    "Severity",
    "Tenant",
    "Upheld",
    "WaitingFor",
    "check_tenant",
    "standard_remedy",
]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Unicode categories Cc (except tab, line feed, carriage return) and Cs (surrogates)."""


def _reject_control_characters(value: str) -> str:
    """Control characters (other than line breaks and tabs) corrupt exports and terminals."""
    found = _CONTROL.search(value)
    if found is not None:
        msg = f"must not contain the control character U+{ord(found.group()):04X}"
        raise ValueError(msg)
    return value


def _single_line(value: str) -> str:
    """No control characters and no line breaks (one validator: labels are everywhere)."""
    _reject_control_characters(value)
    if "\n" in value or "\r" in value:
        msg = "must be a single line"
        raise ValueError(msg)
    return value


Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, strict=True),
    AfterValidator(_single_line),
]
"""A short single-line name: a person, a team, a product, a reference."""

DEFAULT_TENANT = "default"
"""The tenant (brand, legal entity) of a complaint received without one, and of every
complaint recorded before complaints had tenants."""

TENANT_RULE = (
    "a tenant is 1 to 64 lowercase letters, digits, '.', '_' or '-', "
    "starting with a letter or a digit"
)
_TENANT = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def check_tenant(value: str) -> str:
    """A tenant names a brand or legal entity in URLs, filters and policy settings: a
    short lowercase slug, so that ``Brand-A`` and ``brand-a`` are never two tenants."""
    if _TENANT.fullmatch(value) is None:
        raise ValueError(TENANT_RULE)
    return value


Tenant = Annotated[str, StringConstraints(strict=True), AfterValidator(check_tenant)]
"""The tenant of a complaint: :data:`TENANT_RULE`."""


LONGEST_TEXT = 1_000_000
"""Characters in one free text or attribute value: real narratives run past 20,000; a
megabyte of text is no complaint but a mistake, refused with a clear error."""

Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=LONGEST_TEXT, strict=True),
    AfterValidator(_reject_control_characters),
]
"""Free text written by people: descriptions, reasons, messages (non-empty)."""

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _taxonomy_code(value: str) -> str:
    if not _CODE.match(value):
        msg = "must be a lowercase code of letters, digits and underscores (e.g. 'billing')"
        raise ValueError(msg)
    return value


TaxonomyCode = Annotated[str, AfterValidator(_taxonomy_code)]


class Channel(StrEnum):
    """How the complaint reached the company. Every channel is accepted, none refused."""

    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    LETTER = "letter"
    SOCIAL = "social"
    IN_PERSON = "in_person"
    OTHER = "other"


class Severity(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class WaitingFor(StrEnum):
    """Whom a paused complaint waits on. Regulators stop the clock for the customer only."""

    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"
    INTERNAL = "internal"


class ServqualDimension(StrEnum):
    """The five service-quality dimensions of SERVQUAL."""

    TANGIBLES = "tangibles"
    RELIABILITY = "reliability"
    RESPONSIVENESS = "responsiveness"
    ASSURANCE = "assurance"
    EMPATHY = "empathy"


class Cause(StrEnum):
    """The standard causes; a category may also carry a company's own cause code."""

    PRODUCT_QUALITY = "product_quality"
    REPAIR_QUALITY = "repair_quality"
    STAFF_ERROR = "staff_error"
    STAFF_ATTITUDE = "staff_attitude"
    POLICY = "policy"
    EXPECTATIONS = "expectations"
    DELAY = "delay"
    BILLING = "billing"
    OTHER = "other"


class EscalationLevel(StrEnum):
    """Escalation levels in rising order: inside the company, then outside routes."""

    SUPERVISOR = "supervisor"
    SPECIALIST = "specialist"
    MANAGEMENT = "management"
    EXECUTIVE = "executive"
    OMBUDSMAN = "ombudsman"
    REGULATOR = "regulator"
    ARBITRATION = "arbitration"
    COURT = "court"

    @property
    def rank(self) -> int:
        """Position in the order; escalation may stay or rise, never fall."""
        return _ESCALATION_ORDER.index(self) + 1

    @property
    def is_external(self) -> bool:
        return self.rank > EscalationLevel.EXECUTIVE.rank


_ESCALATION_ORDER = tuple(EscalationLevel)


class Remedy(StrEnum):
    APOLOGY = "apology"
    EXPLANATION = "explanation"
    REPAIR = "repair"
    REPLACEMENT = "replacement"
    EXCHANGE = "exchange"
    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    DISCOUNT = "discount"
    COMPENSATION = "compensation"
    NON_MONETARY_RELIEF = "non_monetary_relief"
    """Something set right without money: a record corrected, collection stopped."""
    NO_ACTION = "no_action"


class Upheld(StrEnum):
    """Whether a resolution found for the customer, as the FCA and ombudsmen count it."""

    FULLY = "fully"
    PARTLY = "partly"
    NOT = "not"


def standard_remedy(value: Any) -> Any:
    """A standard code as the :class:`Remedy` it is; any other value as given."""
    if isinstance(value, str) and not isinstance(value, Remedy):
        try:
            return Remedy(value)
        except ValueError:
            return value
    return value


RemedyCode = Annotated[Remedy | TaxonomyCode, BeforeValidator(standard_remedy)]
"""A standard :class:`Remedy`, or a company's own lowercase code (``"voucher"``), as a
category's cause may be."""


class ReopenReason(StrEnum):
    FOLLOW_UP_UNSOLVED = "follow_up_unsolved"
    CUSTOMER_RETURNED = "customer_returned"
    DISPUTE = "dispute"
    OTHER = "other"


class SurveyScore(IntEnum):
    """Satisfaction on a five-point scale."""

    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    NEUTRAL = 3
    SATISFIED = 4
    VERY_SATISFIED = 5


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    def __init__(self, **data: Any) -> None:
        """Built by hand (``Money(amount="abc", ...)``), a bad value is our error, not
        pydantic's; values validated inside a command never pass through here."""
        try:
            super().__init__(**data)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            field = f"{type(self).__name__}.{where}" if where else type(self).__name__
            rule = first["msg"].removeprefix("Value error, ")
            raise InvalidValueError(field, first.get("input"), rule) from None

    # Validation inside a command (a dict for a field) must not run this __init__: its
    # errors would lose their field path. Pydantic skips an __init__ marked as its own.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class Customer(_Value):
    """Who complained. Personal data is kept together so it can be encrypted and erased.

    ``id`` is the CRM's customer number and is stored in plain (projections group by it):
    use a pseudonymous number, not an e-mail address. ``name``, ``email``, ``phone`` and
    ``address`` are personal: they are stored encrypted with the customer's key, and after
    :meth:`~complaintlog.ComplaintLog.erase_personal_data` they read as ``None`` with
    ``erased=True``.
    """

    id: Label
    name: Label | None = None
    email: Label | None = None
    phone: Label | None = None
    address: Text | None = None
    erased: bool = Field(default=False, exclude=True)
    """True when the personal fields were erased; never stored, set when read back."""

    @property
    def personal_fields(self) -> dict[str, str]:
        """The personal fields that are set, by name."""
        fields = {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "address": self.address,
        }
        return {name: value for name, value in fields.items() if value is not None}

    def without_personal_data(self, *, erased: bool = False) -> Customer:
        """The customer with only its id: what is stored in plain, or shown once erased."""
        return _id_only(self.id, erased)


PERSONAL_CUSTOMER_FIELDS = ("name", "email", "phone", "address")
"""The customer's fields that are personal data."""


@functools.lru_cache(maxsize=4096)
def _id_only(customer_id: str, erased: bool) -> Customer:
    """Shared, since customers are immutable: imports meet the same customers again."""
    return Customer(id=customer_id, erased=erased)


class Category(_Value):
    """What the complaint is about: SERVQUAL dimension, cause and product or service.

    ``cause`` takes the standard codes of :class:`Cause` or a company's own lowercase code.
    """

    dimension: ServqualDimension | None = None
    cause: TaxonomyCode | None = None
    product: Label | None = None

    @property
    def key(self) -> str:
        """A stable grouping key, e.g. ``reliability/billing/Mortgage``."""
        return "/".join(part or "-" for part in (self.dimension, self.cause, self.product))


NOT_MONEY = frozenset(
    {"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA"}
)
"""ISO 4217 codes that are no currency a customer is paid in: "no currency" (XXX), the
testing code (XTS), precious metals, bond-market units and drawing rights."""


def _iso_4217(code: str) -> str:
    if not is_currency(code):
        msg = "must be an ISO 4217 currency code such as 'EUR'"
        raise ValueError(msg)
    if code in NOT_MONEY:
        msg = "must be a currency customers are paid in, not a metal, fund or test code"
        raise ValueError(msg)
    return code


class Money(_Value):
    """An amount in a currency, never a float."""

    amount: Annotated[Decimal, Field(gt=0, max_digits=18, allow_inf_nan=False)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_iso_4217)]

    @model_validator(mode="after")
    def _fits_minor_units(self) -> Money:
        places = get_currency_precision(self.currency)
        if self.amount != round(self.amount, places):
            msg = f"{self.currency} amounts have at most {places} decimal places"
            raise ValueError(msg)
        return self

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

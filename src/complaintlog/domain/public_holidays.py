"""Public holidays from the ``holidays`` package: a country's (and a subdivision's) days
off, never a hand-written table. US federal holidays for the CFPB, a member state's for
PSD2, the Russian production calendar's days off, England and Wales bank holidays for the
FCA: a policy's calendar names its country (``holidays_country`` in TOML).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

from complaintlog.errors import InvalidValueError

__all__ = ["FIRST_YEAR", "LAST_YEAR", "public_holidays"]

FIRST_YEAR = 1995
LAST_YEAR = 2050
"""The years whose holidays a calendar is given: older public data sets and the years
ahead a deadline can fall in."""


@lru_cache(maxsize=32)
def public_holidays(country: str, subdivision: str | None = None) -> frozenset[date]:
    """The public holidays of ``country`` (ISO 3166 code) and ``subdivision``, 1995-2050."""
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise InvalidValueError(
            "holidays_country", country, "an ISO 3166 country code the holidays package knows"
        )
    if subdivision is not None and subdivision not in supported[country]:
        shown = ", ".join(supported[country][:12]) or "none"
        raise InvalidValueError(
            "holidays_subdivision", subdivision, f"subdivisions of {country}: {shown}"
        )
    found = holidays.country_holidays(
        country, subdiv=subdivision, years=range(FIRST_YEAR, LAST_YEAR + 1)
    )
    return frozenset(found)

"""One demo store per test session, built through the command line itself."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import pytest
from typer.testing import CliRunner

from complaintlog.cli import app

# England and Wales bank holidays on weekdays, 2012-2027, as the UK Government publishes them
# (gov.uk/bank-holidays), checked by hand: New Year's Day, Good Friday, Easter Monday, the
# early May, spring and summer bank holidays, Christmas Day and Boxing Day, each moved to the
# next weekday when it falls on a weekend; and the one-off days: the Diamond Jubilee (spring
# bank holiday moved to 4 June 2012, 5 June added), VE Day (early May moved to Fri 8 May
# 2020), the Platinum Jubilee (spring moved to 2 June 2022, 3 June added), the Queen's
# funeral (19 September 2022) and the Coronation (8 May 2023). The FCA preset's calendar
# must agree with it; the CFPB sample in the demo store falls in these years.
_BANK_HOLIDAYS = {
    2012: "01-02 04-06 04-09 05-07 06-04 06-05 08-27 12-25 12-26",
    2013: "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26",
    2014: "01-01 04-18 04-21 05-05 05-26 08-25 12-25 12-26",
    2015: "01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28",
    2016: "01-01 03-25 03-28 05-02 05-30 08-29 12-26 12-27",
    2017: "01-02 04-14 04-17 05-01 05-29 08-28 12-25 12-26",
    2018: "01-01 03-30 04-02 05-07 05-28 08-27 12-25 12-26",
    2019: "01-01 04-19 04-22 05-06 05-27 08-26 12-25 12-26",
    2020: "01-01 04-10 04-13 05-08 05-25 08-31 12-25 12-28",
    2021: "01-01 04-02 04-05 05-03 05-31 08-30 12-27 12-28",
    2022: "01-03 04-15 04-18 05-02 06-02 06-03 08-29 09-19 12-26 12-27",
    2023: "01-02 04-07 04-10 05-01 05-08 05-29 08-28 12-25 12-26",
    2024: "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26",
    2025: "01-01 04-18 04-21 05-05 05-26 08-25 12-25 12-26",
    2026: "01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28",
    2027: "01-01 03-26 03-29 05-03 05-31 08-30 12-27 12-28",
}
ENGLAND_AND_WALES_BANK_HOLIDAYS = frozenset(
    date.fromisoformat(f"{year}-{day}")
    for year, days in _BANK_HOLIDAYS.items()
    for day in days.split()
)
"""Weekday bank holidays in England and Wales, 2012-2027 (the table above)."""


class Demo(NamedTuple):
    store: str
    html: str


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """`complaintlog demo` into a temporary folder: its store URL and report page."""
    folder = tmp_path_factory.mktemp("demo")
    store = f"sqlite:///{folder / 'demo.db'}"
    html = folder / "report.html"
    result = CliRunner().invoke(app, ["--store", store, "--quiet", "demo", "--html", str(html)])
    assert result.exit_code == 0, result.output
    return Demo(store, str(html))

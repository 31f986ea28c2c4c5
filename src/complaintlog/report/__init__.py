"""The complaint-handling report: figures (:class:`ReportData`) and their renderings.

The figures come from the three projections (current state, SLA clocks, statistics); see
:mod:`complaintlog.report.source`.

>>> data = report_data(log, policy=load_policy("fca"))      # doctest: +SKIP
>>> Path("report.html").write_text(render_html(data))       # doctest: +SKIP
"""

from complaintlog.report.data import (
    BreachRow,
    GroupRow,
    InformationalRow,
    MetricRow,
    PeriodRow,
    PromiseRow,
    ReportData,
)
from complaintlog.report.html import render_chart, render_html
from complaintlog.report.render import as_dict, to_csv, to_json, to_markdown, to_rich
from complaintlog.report.source import (
    GROUPINGS,
    PERIODS,
    WhatIf,
    load_policy,
    report_data,
    report_policy,
    store_time_zone,
    what_if,
)

__all__ = [
    # figures
    "GROUPINGS",
    "PERIODS",
    "BreachRow",
    "GroupRow",
    "InformationalRow",
    "MetricRow",
    "PeriodRow",
    "PromiseRow",
    "ReportData",
    "WhatIf",
    "load_policy",
    "report_policy",
    "store_time_zone",
    "report_data",
    "what_if",
    # renderings
    "as_dict",
    "render_chart",
    "render_html",
    "to_csv",
    "to_json",
    "to_markdown",
    "to_rich",
]

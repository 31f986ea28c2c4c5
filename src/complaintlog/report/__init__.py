"""The complaint-handling report: figures (:class:`ReportData`) and their renderings.

>>> data = report_data(log, policy=load_policy("fca"))      # doctest: +SKIP
>>> Path("report.html").write_text(render_html(data))       # doctest: +SKIP
"""

from complaintlog.report.data import BreachRow, PromiseRow, RepeatRow, ReportData
from complaintlog.report.html import render_html
from complaintlog.report.render import as_dict, to_csv, to_json, to_markdown, to_rich
from complaintlog.report.source import WhatIf, load_policy, report_data, what_if

__all__ = [
    # figures
    "BreachRow",
    "PromiseRow",
    "RepeatRow",
    "ReportData",
    "WhatIf",
    "load_policy",
    "report_data",
    "what_if",
    # renderings
    "as_dict",
    "render_html",
    "to_csv",
    "to_json",
    "to_markdown",
    "to_rich",
]

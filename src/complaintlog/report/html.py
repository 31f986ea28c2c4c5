"""The report as one self-contained HTML page: inline SVG charts (matplotlib), inline CSS.

The page fetches nothing: no scripts, fonts or images from anywhere. A few lines of inline
script mark each chart as drawn once the browser has laid it out (``data-drawn``), which is
what the browser test checks. Charts are drawn with matplotlib's object API (no pyplot, no
change to the caller's backend or settings).
"""

from __future__ import annotations

import html
import io
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from complaintlog.errors import InvalidValueError
from complaintlog.report.data import Rate, ReportData
from complaintlog.report.render import PERIOD_LIMIT, Section, headline_rows, sections, title

__all__ = ["CHARTS", "render_chart", "render_html"]

CHARTS = (
    "received",
    "compliance",
    "time-to-resolve",
    "sla-now",
    "promises",
    "remedies",
    "repeats",
)
"""The charts of the page, in order (``data-chart`` names)."""

_MAX_PERIODS = 48
_TOP_GROUPS = 6
_PALETTE = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#999999")


def _svg(draw: Callable[[Any], None], size: tuple[float, float] = (7.5, 3.2)) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "complaintlog",  # stable ids: the same data gives the same page
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        figure = Figure(figsize=size, layout="constrained")
        draw(figure.subplots())
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(name: str, caption: str, svg: str) -> str:
    return (
        f'<figure class="chart" data-chart="{html.escape(name)}">'
        f"<figcaption>{html.escape(caption)}</figcaption>{svg}</figure>"
    )


def _tick_labels(axes: Any, labels: Sequence[str]) -> None:
    step = max(1, len(labels) // 16)
    ticks = range(0, len(labels), step)
    axes.set_xticks(list(ticks), [labels[i] for i in ticks])
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)


def _no_data(axes: Any, shown: bool) -> None:
    if not shown:
        axes.text(0.5, 0.5, "nothing yet", ha="center", va="center", transform=axes.transAxes)


def _fold(counts: dict[str, dict[str, int]]) -> tuple[dict[str, dict[str, int]], str]:
    """Counts per period, folded into years when there are too many periods to read."""
    if len(counts) <= _MAX_PERIODS:
        return counts, ""
    years: dict[str, Counter[str]] = {}
    for period, groups in counts.items():
        years.setdefault(period[:4], Counter()).update(groups)
    return {year: dict(groups) for year, groups in years.items()}, " (folded into years)"


def _received_chart(data: ReportData) -> str:
    periods, note = _fold(data.received_by_period)
    totals: Counter[str] = Counter()
    for groups in periods.values():
        totals.update(groups)
    top = [group for group, _ in totals.most_common(_TOP_GROUPS)]
    series = [*top, "other"] if len(totals) > len(top) else top
    labels = list(periods)

    def draw(axes: Any) -> None:
        bottom = [0] * len(labels)
        for index, group in enumerate(series):
            values = [
                sum(n for g, n in periods[p].items() if g not in top)
                if group == "other"
                else periods[p].get(group, 0)
                for p in labels
            ]
            axes.bar(labels, values, bottom=bottom, label=group[:38], color=_PALETTE[index % 7])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_ylabel("complaints received")
        if series:
            axes.legend(fontsize=7, frameon=False, loc="upper left")
        _no_data(axes, bool(totals))
        _tick_labels(axes, labels)

    caption = f"Complaints received per {data.period} by {data.by}{note}"
    return _figure("received", caption, _svg(draw))


def _intake_chart(data: ReportData) -> str:
    """Received and resolved per period side by side: is the team keeping up?"""
    rows = _latest(data)
    labels = [row.period for row in rows]

    def draw(axes: Any) -> None:
        places = range(len(rows))
        axes.bar(
            [i - 0.2 for i in places],
            [r.received for r in rows],
            width=0.4,
            color=_PALETTE[0],
            label="received",
        )
        axes.bar(
            [i + 0.2 for i in places],
            [r.resolved for r in rows],
            width=0.4,
            color=_PALETTE[3],
            label="resolved",
        )
        axes.set_ylabel("complaints")
        axes.legend(fontsize=7, frameon=False, loc="upper left")
        _no_data(axes, any(r.received or r.resolved for r in rows))
        _tick_labels(axes, labels)

    caption = f"Complaints received and resolved per {data.period}"
    return _figure("intake", caption, _svg(draw))


def _latest(data: ReportData) -> list[Any]:
    return data.periods[-_MAX_PERIODS:]


def _compliance_chart(data: ReportData) -> str:
    rows = _latest(data)
    labels = [row.period for row in rows]
    metrics = [metric.metric for metric in data.metrics]

    def draw(axes: Any) -> None:
        drawn = False
        for index, metric in enumerate(metrics):
            # a period with no clock decided is a gap in the line, not a zero
            rates = [row.sla.get(metric, Rate(0, 0)).value for row in rows]
            if any(rate is not None for rate in rates):
                ys = [math.nan if rate is None else rate * 100 for rate in rates]
                axes.plot(
                    range(len(rows)),
                    ys,
                    marker="o",
                    markersize=3,
                    label=metric,
                    color=_PALETTE[index % 7],
                )
                drawn = True
        axes.set_ylim(0, 105)
        axes.set_ylabel("% of clocks met on time")
        if drawn:
            axes.legend(fontsize=7, frameon=False, loc="lower left")
        _no_data(axes, drawn)
        _tick_labels(axes, labels)

    shown = f" (latest {_MAX_PERIODS})" if len(data.periods) > _MAX_PERIODS else ""
    caption = f"SLA compliance per metric, per {data.period}{shown}: clocks decided in the period"
    return _figure("compliance", caption, _svg(draw))


def _resolve_chart(data: ReportData) -> str:
    rows = _latest(data)
    labels = [row.period for row in rows]

    def days(hours: float | None) -> float:
        value = data.business_days(hours)
        return 0.0 if value is None else value

    def draw(axes: Any) -> None:
        medians = [days(row.resolve_median_hours) for row in rows]
        p90 = [days(row.resolve_p90_hours) for row in rows]
        axes.bar(range(len(rows)), p90, color="#c6d4f0", label="90th percentile")
        axes.bar(range(len(rows)), medians, width=0.5, color=_PALETTE[0], label="median")
        axes.set_ylabel("business days")
        axes.legend(fontsize=7, frameon=False, loc="upper left")
        _no_data(axes, any(p90))
        _tick_labels(axes, labels)

    caption = (
        f"Time to resolve per {data.period}: median and 90th percentile of the period's "
        f"resolutions (business days of {data.business_day_hours:g} h)"
    )
    return _figure("time-to-resolve", caption, _svg(draw))


def _sla_now_chart(data: ReportData) -> str:
    breaching = Counter(row.target for row in data.breaches)
    at_risk = Counter(row.target for row in data.at_risk)
    targets = sorted(set(breaching) | set(at_risk), key=lambda t: breaching[t] + at_risk[t])

    def draw(axes: Any) -> None:
        places = range(len(targets))
        axes.barh(
            [p + 0.2 for p in places],
            [breaching[t] for t in targets],
            height=0.4,
            color=_PALETTE[1],
            label=f"breaching {data.now}",
        )
        axes.barh(
            [p - 0.2 for p in places],
            [at_risk[t] for t in targets],
            height=0.4,
            color=_PALETTE[2],
            label="at risk",
        )
        axes.set_yticks(list(places), [t[:32] for t in targets])
        axes.set_xlabel("clocks")
        if targets:
            axes.legend(fontsize=7, frameon=False, loc="lower right")
        _no_data(axes, bool(targets))

    height = 1.2 + 0.45 * max(len(targets), 1)
    caption = f"Breaching {data.now} and at risk, by SLA target (informational targets apart)"
    return _figure("sla-now", caption, _svg(draw, (7.5, height)))


def _promises_chart(data: ReportData) -> str:
    rows = _latest(data)
    labels = [row.period for row in rows]

    def draw(axes: Any) -> None:
        rates = [row.sla.get("promise", Rate(0, 0)) for row in rows]
        kept = [rate.part for rate in rates]
        broken = [rate.whole - rate.part for rate in rates]
        axes.bar(range(len(rows)), kept, color=_PALETTE[3], label="kept on time")
        axes.bar(range(len(rows)), broken, bottom=kept, color=_PALETTE[1], label="broken")
        axes.set_ylabel("promises falling due")
        axes.legend(fontsize=7, frameon=False, loc="upper left")
        _no_data(axes, any(kept) or any(broken))
        _tick_labels(axes, labels)

    caption = f"Promises to customers per {data.period}: kept on time and broken"
    return _figure("promises", caption, _svg(draw))


def _remedies_chart(data: ReportData) -> str:
    items = sorted(data.remedies.items(), key=lambda item: item[1])

    def draw(axes: Any) -> None:
        axes.barh(
            [name[:32] for name, _ in items] or ["(none)"],
            [n for _, n in items] or [0],
            color=_PALETTE[3],
        )
        axes.set_xlabel("resolutions")
        _no_data(axes, bool(items))

    height = 0.9 + 0.3 * max(len(items), 1)
    return _figure("remedies", "Remedy mix, all resolutions", _svg(draw, (7.5, height)))


def _repeats_chart(data: ReportData) -> str:
    periods, note = _fold({row.period: {"": row.repeat_complaints} for row in data.periods})
    labels = list(periods)
    values = [sum(groups.values()) for groups in periods.values()]

    def draw(axes: Any) -> None:
        axes.bar(labels, values, color=_PALETTE[4])
        axes.set_ylabel("repeat complaints")
        _no_data(axes, any(values))
        _tick_labels(axes, labels)

    caption = (
        f"Repeat complaints per {data.period}: the same customer again in the same category "
        f"within 30 days{note}"
    )
    return _figure("repeats", caption, _svg(draw))


def _table(section: Section) -> str:
    right = [c.startswith(">") for c in section.columns]
    names = [" ".join(c.removeprefix(">").split()) for c in section.columns]
    head = "".join(
        f'<th class="{"num" if right[i] else ""}">{html.escape(name)}</th>'
        for i, name in enumerate(names)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if right[i] else ""}">{html.escape(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in section.rows
    )
    note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
    return (
        f'<table data-table="{html.escape(section.key)}"><caption>{html.escape(section.title)}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"
    )


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;
padding:1.5rem;color:#222;background:#fafafa}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.meta,.note{color:#555;font-size:.85rem}
.cards{display:grid;gap:.8rem;margin:1rem 0;
grid-template-columns:repeat(auto-fit,minmax(170px,1fr))}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.7rem}
.card b{display:block;font-size:1.4rem}.card span{color:#555;font-size:.85rem}
.grid{display:grid;gap:1rem;
grid-template-columns:repeat(auto-fit,minmax(480px,1fr))}
figure.chart{background:#fff;border:1px solid #ddd;border-radius:8px;margin:0;padding:.5rem}
figure.chart svg{width:100%;height:auto}
figcaption{font-weight:600;margin:.2rem .3rem .4rem}
table{border-collapse:collapse;background:#fff;margin:.8rem 0 .2rem;font-size:.85rem;width:100%}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
th{background:#f0f0f0}.num{text-align:right}
"""

_SCRIPT = """
window.addEventListener('load', function () {
  var charts = document.querySelectorAll('figure.chart');
  var drawn = 0;
  charts.forEach(function (figure) {
    var svg = figure.querySelector('svg');
    var box = svg ? svg.getBoundingClientRect() : null;
    var marks = svg ? svg.querySelectorAll('path').length : 0;
    var ok = !!(box && box.width > 50 && box.height > 50 && marks > 0);
    figure.setAttribute('data-drawn', ok ? 'yes' : 'no');
    if (ok) { drawn += 1; }
  });
  document.body.setAttribute('data-charts', charts.length);
  document.body.setAttribute('data-charts-drawn', drawn);
});
"""


def _agenda(data: ReportData) -> str:
    """The agenda of the report's date: overdue first, then by due time."""
    rows = [
        (
            f"{row.due:%Y-%m-%d %H:%M}",
            row.action,
            row.complaint[:26],
            row.assignee or "-",
            row.team or "-",
            "overdue" if row.overdue else "",
        )
        for row in data.agenda
    ]
    return _table(
        Section(
            "agenda",
            f"Agenda of {data.as_of:%Y-%m-%d}: due by the end of the day, {len(rows):,} items",
            ("due (UTC)", "action", "complaint", "assignee", "team", ""),
            rows,
            "Acknowledge, respond, inform (promises), resolve, send the survey, follow up: "
            "see complaintlog agenda for one person's or team's list.",
        )
    )


def render_chart(data: ReportData, name: str) -> str:
    """One chart as a ``<figure>`` with inline SVG: a name of :data:`CHARTS`, or ``intake``
    (received and resolved per period, which the dashboard shows)."""
    drawers: dict[str, Callable[[ReportData], str]] = {
        "received": _received_chart,
        "compliance": _compliance_chart,
        "time-to-resolve": _resolve_chart,
        "sla-now": _sla_now_chart,
        "promises": _promises_chart,
        "remedies": _remedies_chart,
        "repeats": _repeats_chart,
        "intake": _intake_chart,
    }
    if name not in drawers:
        msg = f"one of {', '.join(drawers)}"
        raise InvalidValueError("chart", name, msg)
    return drawers[name](data)


def render_html(data: ReportData) -> str:
    """One self-contained page: headline figures, charts, the lists to act on, tables."""
    cards = "".join(
        f'<div class="card"><b>{html.escape(value)}</b><span>{html.escape(name)}</span></div>'
        for name, value in headline_rows(data)
    )
    charts = [
        _received_chart(data),
        _compliance_chart(data),
        _resolve_chart(data),
        _sla_now_chart(data),
        _promises_chart(data),
        _remedies_chart(data),
        _repeats_chart(data),
    ]
    tables = {
        section.key: _table(section)
        for section in sections(data, periods=2 * PERIOD_LIMIT, limit=None)
    }
    lists = "".join(
        tables[key]
        for key in ("breaches", "at-risk", "broken-promises", "informational", "informational-open")
        if key in tables
    )
    body = f"""
<h1>Complaint handling at a glance</h1>
<p class="meta">{html.escape(title(data))}; {data.complaints:,} complaints, per
{html.escape(data.period)} since {data.since:%Y-%m-%d}. Figures: {html.escape(data.source)}.</p>
<div class="cards">{cards}</div>
<h2>Volume and service level</h2>
<div class="grid">{"".join(charts[:4])}</div>
<h2>Lists to act on</h2>
{_agenda(data)}{lists}
<h2>Outcomes, promises and repeat complaints</h2>
<div class="grid">{"".join(charts[4:])}</div>
<h2>Current state and SLA clocks</h2>
{tables["status"]}{tables["sla"]}
<h2>Statistics</h2>
{tables["periods"]}{tables["groups"]}{tables["remedies"]}
"""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>complaintlog report {html.escape(f'{data.as_of:%Y-%m-%d}')}</title>"
        f"<style>{_STYLE}</style></head><body>{body}<script>{_SCRIPT}</script></body></html>"
    )

"""The report as one self-contained HTML page: inline SVG charts (matplotlib), inline CSS.

The page fetches nothing: no scripts, fonts or images from anywhere. A few lines of inline
script mark each chart as drawn once the browser has laid it out (``data-drawn``), which is
what the browser test checks.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from complaintlog.report.data import BreachRow, ReportData
from complaintlog.report.render import _breach_rows, _compliance_rows, _group_rows, _headline_rows

__all__ = ["render_html"]

_MAX_PERIODS = 48
_TOP_GROUPS = 6
_PALETTE = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#999999")
_RESOLVE_BINS = ((0, 1), (1, 2), (2, 5), (5, 10), (10, 15), (15, 30), (30, 60), (60, None))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("svg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "complaintlog",  # stable ids: the same data gives the same page
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    import matplotlib.pyplot as plt

    return plt


def _svg(draw: Callable[[Any], None], size: tuple[float, float] = (7.5, 3.2)) -> str:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=size, layout="constrained")
    try:
        draw(axes)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _received_chart(data: ReportData) -> str:
    periods = data.received_by_period
    note = ""
    if len(periods) > _MAX_PERIODS:
        folded: dict[str, Counter[str]] = {}
        for period, groups in periods.items():
            folded.setdefault(period[:4], Counter()).update(groups)
        periods = {year: dict(groups) for year, groups in folded.items()}
        note = " (folded into years)"
    totals: Counter[str] = Counter()
    for groups in periods.values():
        totals.update(groups)
    top = [group for group, _ in totals.most_common(_TOP_GROUPS)]
    labels = list(periods)

    def draw(axes: Any) -> None:
        bottom = [0] * len(labels)
        series = [*top, "other"] if len(totals) > len(top) else top
        for index, group in enumerate(series):
            values = [
                (
                    sum(n for g, n in periods[p].items() if g not in top)
                    if group == "other"
                    else periods[p].get(group, 0)
                )
                for p in labels
            ]
            axes.bar(labels, values, bottom=bottom, label=group[:38], color=_PALETTE[index % 7])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_ylabel("complaints received")
        axes.legend(fontsize=7, frameon=False, loc="upper left")
        _tick_labels(axes, labels)

    return _figure(
        "received", f"Complaints received per {data.period} by {data.by}{note}", _svg(draw)
    )


def _tick_labels(axes: Any, labels: list[str]) -> None:
    step = max(1, len(labels) // 16)
    axes.set_xticks(range(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)])
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)


def _compliance_chart(data: ReportData) -> str:
    periods = dict(list(data.compliance_by_period.items())[-_MAX_PERIODS:])
    labels = list(periods)
    metrics = sorted({metric for rates in periods.values() for metric in rates})

    def draw(axes: Any) -> None:
        for index, metric in enumerate(metrics):
            points = [
                (i, rate * 100)
                for i, period in enumerate(labels)
                if (rate := periods[period].get(metric)) is not None
            ]
            if points:
                xs, ys = zip(*points, strict=True)
                axes.plot(xs, ys, marker="o", markersize=3, label=metric, color=_PALETTE[index % 7])
        axes.set_ylim(0, 105)
        axes.set_ylabel("% of clocks met on time")
        axes.legend(fontsize=7, frameon=False, loc="lower left")
        _tick_labels(axes, labels)

    shown = f" (last {_MAX_PERIODS})" if len(data.compliance_by_period) > _MAX_PERIODS else ""
    return _figure("compliance", f"SLA compliance per metric, per {data.period}{shown}", _svg(draw))


def _resolve_chart(data: ReportData) -> str:
    counts = [0] * len(_RESOLVE_BINS)
    for days in data.resolve_days:
        for index, (low, high) in enumerate(_RESOLVE_BINS):
            if days >= low and (high is None or days < high):
                counts[index] += 1
                break
    labels = [f"{low}-{high}" if high is not None else f"{low}+" for low, high in _RESOLVE_BINS]

    def draw(axes: Any) -> None:
        axes.bar(labels, counts, color=_PALETTE[0])
        axes.set_xlabel("days from received to first resolution")
        axes.set_ylabel("complaints")

    return _figure("time-to-resolve", "Time to resolve", _svg(draw, (7.5, 2.8)))


def _barh(name: str, title: str, values: dict[str, int], color: str) -> str:
    items = sorted(values.items(), key=lambda item: item[1])

    def draw(axes: Any) -> None:
        labels = [label[:32] for label, _ in items] or ["(none)"]
        axes.barh(labels, [count for _, count in items] or [0], color=color)
        axes.set_xlabel("count")

    height = 0.9 + 0.25 * max(len(items), 1)
    return _figure(name, title, _svg(draw, (7.5, height)))


def _figure(name: str, title: str, svg: str) -> str:
    return (
        f'<figure class="chart" data-chart="{html.escape(name)}">'
        f"<figcaption>{html.escape(title)}</figcaption>{svg}</figure>"
    )


def _table(headers: tuple[str, ...], rows: Sequence[Sequence[str]], caption: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _breach_table(caption: str, rows: list[BreachRow], hours: str) -> str:
    return _table(
        ("complaint", "target", "due", hours, "assignee"),
        _breach_rows(rows),
        f"{caption}: {len(rows)} (first 15 shown)" if len(rows) > 15 else f"{caption}: {len(rows)}",
    )


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;
padding:1.5rem;color:#222;background:#fafafa}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.meta{color:#555;font-size:.9rem}
.cards{display:grid;gap:.8rem;margin:1rem 0;
grid-template-columns:repeat(auto-fit,minmax(160px,1fr))}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.7rem}
.card b{display:block;font-size:1.4rem}.card span{color:#555;font-size:.85rem}
.grid{display:grid;gap:1rem;
grid-template-columns:repeat(auto-fit,minmax(480px,1fr))}
figure.chart{background:#fff;border:1px solid #ddd;border-radius:8px;margin:0;padding:.5rem}
figure.chart svg{width:100%;height:auto}
figcaption{font-weight:600;margin:.2rem .3rem .4rem}
table{border-collapse:collapse;background:#fff;margin:.5rem 0;font-size:.85rem;width:100%}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
th{background:#f0f0f0}
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


def render_html(data: ReportData) -> str:
    """One self-contained page: headline figures, charts, breach and promise lists."""
    cards = "".join(
        f'<div class="card"><b>{html.escape(value)}</b><span>{html.escape(name)}</span></div>'
        for name, value in _headline_rows(data)
    )
    charts = [
        _received_chart(data),
        _compliance_chart(data),
        _resolve_chart(data),
        _barh("remedies", "Remedy mix (all resolutions)", data.remedies, _PALETTE[3]),
        _barh("promises", "Promises: kept, broken, open, superseded", data.promises, _PALETTE[2]),
        _barh(
            "breaches",
            "Breaching now, by SLA target",
            dict(Counter(row.target for row in data.breaches)),
            _PALETTE[1],
        ),
        _barh(
            "repeats",
            "Repeat complaints: customers by number of complaints in one category",
            {
                f"{n} complaints": count
                for n, count in sorted(Counter(r.complaints for r in data.repeats).items())
            },
            _PALETTE[4],
        ),
    ]
    promise_rows = [
        (
            p.complaint[:28],
            p.promise[:40],
            p.due.strftime("%Y-%m-%d %H:%M"),
            f"{p.late_by_hours:,.1f}",
        )
        for p in data.broken_promises[:15]
    ]
    repeat_rows = [
        (
            r.customer[:30],
            r.category[:40],
            str(r.complaints),
            f"{r.first:%Y-%m-%d}",
            f"{r.last:%Y-%m-%d}",
        )
        for r in data.repeats[:15]
    ]
    body = f"""
<h1>Complaint handling at a glance</h1>
<p class="meta">As of {html.escape(f"{data.as_of:%Y-%m-%d %H:%M %Z}")} under the SLA policy
<b>{html.escape(data.policy)}</b>; {data.complaints:,} complaints, {data.events:,} events.
Figures: {html.escape(data.source)}.</p>
<div class="cards">{cards}</div>
<h2>Volume and service level</h2>
<div class="grid">{"".join(charts[:3])}</div>
<h2>Outcomes and promises</h2>
<div class="grid">{"".join(charts[3:])}</div>
<h2>SLA targets</h2>
{_table(("metric", "met", "missed", "breaching", "running", "on time"), _compliance_rows(data))}
<h2>Lists to act on</h2>
{_breach_table("Breaching now, most recently due first", data.breaches, "hours late")}
{_breach_table("At risk, due soonest first", data.at_risk, "hours left")}
{
        _table(
            ("complaint", "promise", "was due", "hours late"),
            promise_rows,
            f"Broken promises: {len(data.broken_promises)}",
        )
    }
{
        _table(
            ("customer", "category", "complaints", "first", "last"),
            repeat_rows,
            f"Repeat complaints (same customer and category within 30 days): {len(data.repeats)}",
        )
    }
<h2>By {html.escape(data.by)}</h2>
{
        _table(
            ("group", "received", "open", "median days", "reopened", "broken promises"),
            _group_rows(data),
        )
    }
"""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>complaintlog report {html.escape(f'{data.as_of:%Y-%m-%d}')}</title>"
        f"<style>{_STYLE}</style></head><body>{body}<script>{_SCRIPT}</script></body></html>"
    )

"""The results section of docs/performance.md, from the JSON files of the benchmarks.

    python bench/report.py bench/results/sqlite-100k.json bench/results/sqlite-1m.json \
        bench/results/postgres-100k.json bench/results/partitions-sqlite-50k.json \
        bench/results/partitions-postgres-50k.json \
        bench/results/rebuild-parts-sqlite-100k.json \
        bench/results/rebuild-parts-postgres-100k.json > results.md

Prints, in Markdown, one table of every figure of ``bench/run.py`` side by side (one column
per run), one of ``bench/partitions.py`` (one process against N), one of
``bench/rebuild_parts.py`` (a rebuild taken apart beside its floor), and the performance
issue's targets, each checked against the figures: met or missed, with the figure it was
judged by. The numbers are copied from the JSON, never typed by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from rebuild_parts import LABELS as PARTS  # noqa: E402
from run import LABELS  # noqa: E402

Report = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """One target of the performance issue, judged on one kind of run."""

    text: str
    applies: Callable[[Report], bool]
    figure: str
    met: Callable[[float], bool]
    unit: str


def _sqlite(size: int) -> Callable[[Report], bool]:
    return lambda report: report["store"] == "sqlite" and report["complaints"] == size


def _postgres(report: Report) -> bool:
    return bool(report["store"] == "postgres")


def _any_sqlite(report: Report) -> bool:
    return bool(report["store"] == "sqlite")


def _any_store(report: Report) -> bool:
    return "figures" in report and "workers" not in report  # a run of bench/run.py


def _partitions(report: Report) -> bool:
    return "figures" in report and "workers" in report  # of bench/partitions.py


def _rebuild_parts(report: Report) -> bool:
    return "events_per_second" in report  # of bench/rebuild_parts.py


def _two_processes(report: Report) -> bool:
    return bool(report.get("workers") == 2)


TARGETS = [
    Target(
        "import >= 0.9 x eventsourcing batched save",
        _any_store,
        "import_vs_es_save",
        lambda v: v >= 0.9,
        "x",
    ),
    Target(
        "rebuild >= 1.0 x eventsourcing read + decode",
        _any_store,
        "rebuild_vs_es_read",
        lambda v: v >= 1.0,
        "x",
    ),
    Target(
        "1M: rebuild of every view < 60 s",
        _sqlite(1_000_000),
        "rebuild_s",
        lambda v: v < 60,
        "s",
    ),
    Target(
        "store with the views <= 600 MB per million events",
        _any_store,
        "store_with_views_mb_per_million_events",
        lambda v: v <= 600,
        "MB",
    ),
    Target(
        "2 processes rebuild >= 1.6 x as fast as 1",
        _two_processes,
        "rebuild_speedup",
        lambda v: v >= 1.6,
        "x",
    ),
    Target(
        "2 processes follow a backlog >= 1.6 x as fast as 1",
        _two_processes,
        "follow_speedup",
        lambda v: v >= 1.6,
        "x",
    ),
    Target(
        "after one new event every view is current within 10 ms (median)",
        _any_sqlite,
        "catch_up_1_ms",
        lambda v: v <= 10,
        "ms",
    ),
    Target(
        "after one new event every view is current within 10 ms (worst of 100)",
        _any_sqlite,
        "catch_up_1_max_ms",
        lambda v: v <= 10,
        "ms",
    ),
    Target(
        "1M: rebuild peak RSS < 512 MB",
        _sqlite(1_000_000),
        "rebuild_peak_rss_mb",
        lambda v: v < 512,
        "MB",
    ),
    Target(
        "1M: open complaints page < 20 ms",
        _sqlite(1_000_000),
        "open_page_ms",
        lambda v: v < 20,
        "ms",
    ),
    Target(
        "1M: breach list as of now < 20 ms",
        _sqlite(1_000_000),
        "breaches_ms",
        lambda v: v < 20,
        "ms",
    ),
    Target(
        "1M: one month's statistics < 20 ms",
        _sqlite(1_000_000),
        "monthly_stats_ms",
        lambda v: v < 20,
        "ms",
    ),
    Target(
        "one assignee's agenda, first 50 items < 20 ms",
        _any_sqlite,
        "agenda_one_assignee_first_50_ms",
        lambda v: v < 20,
        "ms",
    ),
    Target(
        "1M: one assignee's whole agenda, now to tomorrow < 1,000 ms",
        _sqlite(1_000_000),
        "agenda_one_assignee_ms",
        lambda v: v < 1000,
        "ms",
    ),
    Target(
        "PostgreSQL: 4 writers lose no event",
        _postgres,
        "writers_lost",
        lambda v: v == 0,
        "events",
    ),
    Target(
        "PostgreSQL: 4 writers double no event",
        _postgres,
        "writers_doubled",
        lambda v: v == 0,
        "events",
    ),
    Target(
        "PostgreSQL: throughput grows with the writers (4 / 1 > 1)",
        _postgres,
        "writers_scaling",
        lambda v: v > 1,
        "x",
    ),
]


def title(report: Report) -> str:
    store = {"sqlite": "SQLite", "postgres": "PostgreSQL", "memory": "memory"}[report["store"]]
    runs = report["repeat"]
    shared = f", 1 and {report['workers']} processes" if _partitions(report) else ""
    return f"{store}, {report['complaints']:,} complaints{shared} ({runs} run{'s' * (runs > 1)})"


def provenance(reports: list[Report]) -> str:
    """Which code and Python each run measured."""
    return "; ".join(
        f"{title(r)}: commit {r.get('commit', 'unknown')}, Python {r.get('python', '?')}"
        for r in reports
    )


def shown(value: float, unit: str) -> str:
    if unit in {"ms", "x", "MB", "s"}:
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def figures_table(reports: list[Report]) -> list[str]:
    reports = [r for r in reports if _any_store(r)]
    if not reports:
        return []
    lines = [
        "| measure | unit | " + " | ".join(title(r) for r in reports) + " |",
        "|---|---|" + "---:|" * len(reports),
    ]
    keys = [key for key in LABELS if any(key in r["figures"] for r in reports)]
    for key in keys:
        label, unit = LABELS[key]
        label = label.replace("N writer", "4 writer")
        if label.startswith(" "):  # a detail of the row above
            label = "↳ " + label.strip()
        cells = [shown(r["figures"][key], unit) if key in r["figures"] else "" for r in reports]
        lines.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    return lines


def partitions_table(reports: list[Report]) -> list[str]:
    """One process against N on the same store, rebuild and backlog follow, in events/s."""
    shared = [r for r in reports if _partitions(r)]
    if not shared:
        return []
    lines = [
        "| run | work | 1 process | N processes | N / 1 | load average (1, 5, 15 min) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for report in shared:
        figures, n = report["figures"], report["workers"]
        load = ", ".join(f"{value:.1f}" for value in report.get("load_average", []))
        for work in ("rebuild", "follow"):
            lines.append(
                f"| {title(report)} | {work} | {figures[f'{work}_1']:,.0f} /s "
                f"| {figures[f'{work}_{n}']:,.0f} /s | {figures[f'{work}_speedup']:,.2f} x "
                f"| {load} |"
            )
    return lines


def rebuild_parts_table(reports: list[Report]) -> list[str]:
    """A rebuild taken apart, beside the floor of its target: events/s, µs per event and
    the share of the floor's rate, one group of columns per run."""
    runs = [r for r in reports if _rebuild_parts(r)]
    if not runs:
        return []
    lines = [
        "| part | "
        + " | ".join(f"{title(r)}: events/s | µs per event | of the floor" for r in runs)
        + " |",
        "|---|" + "---:|---:|---:|" * len(runs),
    ]
    for part, label in PARTS.items():
        cells = [
            f"{r['events_per_second'][part]:,.0f} | {r['microseconds_per_event'][part]:,.1f} "
            f"| {r['of_floor'][part]:,.2f}"
            for r in runs
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def targets_table(reports: list[Report]) -> list[str]:
    lines = ["| target | run | figure | verdict |", "|---|---|---:|---|"]
    for target in TARGETS:
        for report in reports:
            if "figures" not in report:
                continue
            if not target.applies(report) or target.figure not in report["figures"]:
                continue
            value = report["figures"][target.figure]
            verdict = "met" if target.met(value) else "**missed**"
            lines.append(
                f"| {target.text} | {title(report)} | {shown(value, target.unit)} {target.unit} "
                f"| {verdict} |"
            )
    return lines


def growth_table(reports: list[Report]) -> list[str]:
    """Catch-up cost grows with the new events, not the history: the same 1,000 new events
    caught up after the largest SQLite history against the smallest."""
    sqlite = sorted(
        (
            r
            for r in reports
            if r["store"] == "sqlite" and "catch_up_1000_ms" in r.get("figures", {})
        ),
        key=lambda r: r["complaints"],
    )
    if len(sqlite) < 2 or sqlite[0]["complaints"] == sqlite[-1]["complaints"]:
        return []
    small, large = sqlite[0], sqlite[-1]
    growth = large["figures"]["catch_up_1000_ms"] / small["figures"]["catch_up_1000_ms"]
    history = large["complaints"] / small["complaints"]
    verdict = "met" if growth < history / 2 else "**missed**"
    return [
        "| catch-up after 1,000 new events | history | ms |",
        "|---|---:|---:|",
        f"| {title(small)} | {small['events']:,} events | "
        f"{small['figures']['catch_up_1000_ms']:,.2f} |",
        f"| {title(large)} | {large['events']:,} events | "
        f"{large['figures']['catch_up_1000_ms']:,.2f} |",
        "",
        f"The history grew {history:,.0f}-fold and the catch-up of the same 1,000 events "
        f"{growth:,.2f}-fold: it grows with the new events, not the history ({verdict}: "
        f"judged against half the history's growth).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "json",
        nargs="+",
        type=Path,
        help="files written by run.py, partitions.py or rebuild_parts.py --json",
    )
    args = parser.parse_args()
    reports = [json.loads(path.read_text()) for path in args.json]
    print(f"Measured code: {provenance(reports)}.")
    print()
    for table in (figures_table(reports), partitions_table(reports), rebuild_parts_table(reports)):
        if table:
            print("\n".join(table))
            print()
    print("\n".join(targets_table(reports)))
    growth = growth_table(reports)
    if growth:
        print()
        print("\n".join(growth))


if __name__ == "__main__":
    main()

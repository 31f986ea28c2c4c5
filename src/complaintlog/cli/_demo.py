"""``complaintlog demo``: a fresh store from real CFPB data plus a seeded simulation."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from complaintlog.application import ComplaintLog
from complaintlog.cli._common import Options, fail, options, print_json, user_errors
from complaintlog.cli._import import progress_bar, rows_advance, show_summary
from complaintlog.data import CFPB_SAMPLE, bundled_csv
from complaintlog.importing import PlanWriter, import_csv
from complaintlog.importing.simulation import Simulation
from complaintlog.persistence.settings import parse_store_url
from complaintlog.report import load_policy, render_html, report_data, to_rich

__all__ = ["DEMO_STORE", "demo", "demo_command", "run_demo"]

DEMO_STORE = "sqlite:///complaintlog-demo.db"
RECENT_COMPLAINTS = 300
RECENT_DAYS = 60


def _fresh_store(url: str, force: bool) -> None:
    settings = parse_store_url(url)
    if settings.sqlite_path is None:
        if settings.kind != "memory":
            raise fail(f"the demo builds a fresh SQLite store; {settings.redacted_url} is not one")
        return
    path = settings.sqlite_path
    if path.exists() and not force and url != DEMO_STORE:
        raise fail(f"{path} exists: pass --force to replace it with the demo store")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_demo(
    opts: Options,
    *,
    store: str,
    seed: int = 7,
    html: Path = Path("report.html"),
    force: bool = False,
) -> dict[str, Any]:
    """Build the demo store, print the report, write the HTML page; returns the figures."""
    started = time.perf_counter()
    _fresh_store(store, force)
    with ComplaintLog(store) as log:
        now = log.clock()
        simulation = Simulation(seed, now=now)
        opts.say(f"building {store} from the bundled CFPB sample (seed {seed})")
        with progress_bar(opts, "demo") as bar:
            task = bar.add_task("CFPB complaints + simulated handling", total=None)
            advance = rows_advance(bar, task)
            summary = import_csv(
                log, bundled_csv(CFPB_SAMPLE), progress=advance, enrich=simulation.enrich
            )
            recent = bar.add_task("recent simulated complaints", total=RECENT_COMPLAINTS)
            writer = PlanWriter(log)
            for done, plan in enumerate(
                simulation.generate(RECENT_COMPLAINTS, start=now - timedelta(days=RECENT_DAYS)), 1
            ):
                writer.add(plan.checked(now))
                bar.update(recent, completed=done)
            writer.flush()
        if not opts.json:
            show_summary(opts, summary)
        opts.say("computing the report")
        data = report_data(log, policy=load_policy("default"))
    html.write_text(render_html(data), encoding="utf-8")
    if not (opts.json or opts.quiet):
        opts.out.print(to_rich(data))
    seconds = time.perf_counter() - started
    opts.say(
        f"done in {seconds:.1f} s: open {html} in a browser; explore with "
        f"`complaintlog --store {store} show cfpb:3790251` or `... report --policy fca`"
    )
    return {"store": store, "html": str(html), "seconds": round(seconds, 2), **data.headline()}


@user_errors
def demo_command(
    ctx: typer.Context,
    seed: Annotated[
        int, typer.Option(help="Seed of the simulation: the same seed, the same demo.")
    ] = 7,
    html: Annotated[Path, typer.Option("--html", help="Where to write the HTML report.")] = Path(
        "report.html"
    ),
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --store file.")
    ] = False,
) -> None:
    """Build a demo store from 1,000 real CFPB complaints plus simulated handling.

    The CFPB data (public domain) gives the received and sent-to-company dates and the
    company's response; a seeded simulation adds what it lacks (acknowledgements,
    promises kept and broken, escalations, pauses, follow-ups, surveys) with the actor
    'simulation', plus recent complaints still in progress. Prints the report and writes
    report.html. The store is complaintlog-demo.db unless --store names another.

    Example: complaintlog demo --seed 7 --html report.html
    """
    opts = options(ctx)
    store = opts.store or DEMO_STORE
    figures = run_demo(opts, store=store, seed=seed, html=html, force=force)
    if opts.json:
        print_json(opts, figures)


def demo(
    *,
    store: str = DEMO_STORE,
    seed: int = 7,
    html: Path = Path("report.html"),
    quiet: bool = True,
) -> dict[str, Any]:
    """Build the demo store and report from Python; returns the headline figures."""
    return run_demo(Options(quiet=quiet), store=store, seed=seed, html=html)

"""A week of a small complaints team, served with complaintlog's HTTP API and dashboard.

    python examples/http_dashboard.py                      # what is due, through the API
    python examples/http_dashboard.py --serve              # http://127.0.0.1:8765/
    python examples/http_dashboard.py --screenshot docs/img/dashboard.png

The week is made up (seeded, so the same every time): four handlers, a few complaints a
day by phone, e-mail and the web form, most acknowledged within the hour, promises made and
some broken, about two in three resolved. ``--screenshot`` opens the dashboard in headless
Chromium (Playwright driving /usr/bin/chromium) and saves a picture of it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from complaintlog import ComplaintLog
from complaintlog.http import create_app

START = datetime(2026, 6, 1, 6, 30, tzinfo=UTC)  # Monday 08:30 in Zagreb (the policy's zone)
HANDLERS = {"ana": "billing", "ivo": "network", "eva": "network", "marko": "billing"}
SUBJECTS = ["Router drops", "Double charge", "Slow line", "Wrong tariff", "Missed visit"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def a_week(log: ComplaintLog, clock: Clock, rng: random.Random) -> None:
    """Five working days of complaints, each step recorded when it happens."""
    steps: list[tuple[datetime, int, Callable[[], object]]] = []
    ids: dict[str, UUID] = {}

    def plan(moment: datetime, step: Callable[[], object]) -> None:
        steps.append((moment, len(steps), step))

    for day in range(5):
        for number in range(rng.randint(6, 10)):
            received = START + timedelta(days=day, minutes=20 + 50 * number)
            ref = f"CRM-{1000 + 20 * day + number}"
            handler = rng.choice(list(HANDLERS))

            def receive(ref: str = ref, handler: str = handler, day: int = day) -> None:
                ids[ref] = log.receive(
                    customer={"id": f"C-{ref}", "name": f"Customer {ref}"},
                    channel=rng.choice(["phone", "email", "web"]),
                    subject=rng.choice(SUBJECTS),
                    description="Described on the phone",
                    category={"dimension": "reliability", "product": "Broadband"},
                    external_ref=ref,
                )
                log.assign(ids[ref], assignee=handler, team=HANDLERS[handler])

            plan(received, receive)
            if rng.random() > 0.85:
                continue
            acknowledged = received + timedelta(minutes=rng.randint(5, 70))
            plan(acknowledged, lambda ref=ref: log.acknowledge(ids[ref]))
            if rng.random() < 0.5:
                due = acknowledged + timedelta(hours=rng.choice([4, 24, 48]))
                plan(
                    acknowledged,
                    lambda ref=ref, due=due: log.make_promise(
                        ids[ref], promise="Call back", due=due
                    ),
                )
            if day < 4 and rng.random() < 0.7:
                resolved = acknowledged + timedelta(hours=rng.randint(2, 30))
                plan(
                    resolved,
                    lambda ref=ref: log.resolve(ids[ref], remedy="repair", summary="Fixed"),
                )
    end = START + timedelta(days=4, hours=9)  # Friday 17:30 in Zagreb
    for moment, _, step in sorted(steps, key=lambda s: (s[0], s[1])):
        if moment <= end:
            clock.now = moment
            step()
    clock.now = end


def screenshot(url: str, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        sys.exit("chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.screenshot(path=str(path), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="serve until interrupted")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--screenshot", type=Path)
    options = parser.parse_args()
    clock = Clock(START)
    with ComplaintLog("memory://", clock=clock) as log:
        a_week(log, clock, random.Random(19))
        app = create_app(log)
        if options.serve:
            import uvicorn

            uvicorn.run(app, host="127.0.0.1", port=options.port)
            return
        if options.screenshot is None:
            from fastapi.testclient import TestClient

            with TestClient(app) as client:
                items = client.get("/agenda", params={"limit": 1000}).json()["items"]
            overdue = sum(item["overdue"] for item in items)
            print(f"Friday 17:30: {len(items)} items due, {overdue} overdue")
            return
        import threading
        import time

        import uvicorn

        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=options.port))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            screenshot(f"http://127.0.0.1:{options.port}/", options.screenshot)
        finally:
            server.should_exit = True
            thread.join()
        print(f"wrote {options.screenshot}")


if __name__ == "__main__":
    main()

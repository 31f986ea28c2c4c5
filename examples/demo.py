"""The main job: `make demo` runs this, the same as `complaintlog demo`.

Builds complaintlog-demo.db from 1,000 real CFPB complaints (bundled, public domain) plus a
seeded simulation of the handling steps the public data lacks, prints a short summary and
writes report.html. Run it from the repository root: python examples/demo.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from complaintlog.cli import DEMO_STORE, demo


def main(argv: list[str]) -> int:
    html = Path(argv[0]) if argv else Path("report.html")
    figures = demo(store=DEMO_STORE, seed=7, html=html, quiet=True)
    print(f"complaintlog demo: {figures['complaints']:,} complaints in {DEMO_STORE}")
    print(f"  open now:              {figures['open']:,}")
    print(f"  breaching an SLA:      {figures['breaching_now']:,}")
    print(f"  at risk:               {figures['at_risk']:,}")
    print(f"  broken promises:       {figures['broken_promises']:,}")
    on_time = figures["resolved_on_time"]
    print(f"  resolved on time:      {on_time:.0%}" if on_time is not None else "")
    print(f"  report:                {figures['html']} ({figures['seconds']} s)")
    print(f"  next: complaintlog --store {DEMO_STORE} show cfpb:3790251")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The benchmark's bulk import alone, for a profiler: ``size`` complaints into a fresh store.

    py-spy record --nonblocking --rate 200 --format raw -o import.raw -- \\
        .venv/bin/python bench/import_profile.py 20000 sqlite|postgres

The same workload, batches and recording clock as ``bench/run.py``'s "complaintlog bulk
import"; prints the import's events per second (commands and commits only, as there).
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from workload import EVENTS_PER_COMPLAINT, import_complaints, workload_end  # noqa: E402

from complaintlog import ComplaintLog  # noqa: E402


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    kind = sys.argv[2] if len(sys.argv) > 2 else "sqlite"
    pg_url = os.environ.get(
        "COMPLAINTLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )
    with tempfile.TemporaryDirectory() as folder:
        url = run.store_url(kind, Path(folder), f"cl-{uuid.uuid4().hex[:6]}", pg_url)
        end = workload_end(size)
        log = ComplaintLog(url, clock=lambda: end)
        timing: list[float] = []
        gc.collect()
        gc.freeze()
        import_complaints(log, size, batch_size=run.BATCH, timing=timing)
        gc.unfreeze()
        log.close()
        if kind == "postgres":
            run.drop_schemas(pg_url)
    print(f"{size * EVENTS_PER_COMPLAINT / sum(timing):,.0f} events/s")


if __name__ == "__main__":
    main()

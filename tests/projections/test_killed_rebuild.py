"""A rebuild killed -9 half way never shows readers half a view.

The rebuild replays the log complaint by complaint, so the rows written before the kill are
some complaints' whole histories and nothing of the others: not the views as of any moment.
Until the views are caught up again, every query says they are being rebuilt instead of
counting what happens to be there; a catch-up starts the interrupted rebuild again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaintlog import ComplaintLog
from complaintlog.errors import ComplaintLogError, ViewBeingRebuiltError
from complaintlog.projections import Projections

COMPLAINTS = 60
START = datetime(2026, 2, 2, 8, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from complaintlog import ComplaintLog
    from complaintlog.projections import Projections
    from complaintlog.projections._framework.reader import LogReader

    pages = 0
    read = LogReader.read_by_complaint

    def read_then_die(self, *args, **kwargs):
        global pages
        pages += 1
        if pages == 3:  # two pages of complaints are written and committed
            os.kill(os.getpid(), signal.SIGKILL)
        return read(self, *args, **kwargs)

    LogReader.read_by_complaint = read_then_die
    with ComplaintLog(sys.argv[1]) as log, Projections(log, batch_size=10) as views:
        views.rebuild()
    """
)


def record(url: str) -> None:
    with ComplaintLog(url) as log, log.batch() as batch:
        for n in range(COMPLAINTS):
            at = START + timedelta(hours=n)
            cid = batch.receive(
                customer={"id": f"C-{n}"}, channel="email", subject="s", description="d", at=at
            )
            if n % 2:
                batch.acknowledge(cid, at=at + timedelta(minutes=5))


def kill_a_rebuild(url: str, tmp_path: Path) -> None:
    script = tmp_path / "rebuild.py"
    script.write_text(KILLER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, str(script), url], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == -9, done.stderr.decode()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'complaints.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


def test_readers_are_told_the_views_are_being_rebuilt_after_a_killed_rebuild(
    store_url: str, tmp_path: Path
) -> None:
    record(store_url)
    with ComplaintLog(store_url) as log, Projections(log) as views:
        views.catch_up()
        assert views.current_state.count(as_of=AS_OF) == COMPLAINTS
    kill_a_rebuild(store_url, tmp_path)
    with ComplaintLog(store_url) as log, Projections(log) as views:
        with pytest.raises(ViewBeingRebuiltError, match="being rebuilt") as raised:
            views.current_state.count(as_of=AS_OF)
        assert isinstance(raised.value, ComplaintLogError)
        with pytest.raises(ViewBeingRebuiltError):
            views.sla.breaches(AS_OF)
        with pytest.raises(ViewBeingRebuiltError):
            views.statistics.monthly(START, AS_OF)
        views.catch_up()  # starts the interrupted rebuild again
        assert views.current_state.count(as_of=AS_OF) == COMPLAINTS
        month = views.statistics.monthly(START, START + timedelta(days=27))
        assert sum(row.received for row in month) == COMPLAINTS


def test_views_never_rebuilt_are_read_as_empty_not_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'complaints.db'}"
    record(url)
    with ComplaintLog(url) as log, Projections(log) as views:
        views.catch_up()
        assert views.current_state.count(as_of=AS_OF) == COMPLAINTS

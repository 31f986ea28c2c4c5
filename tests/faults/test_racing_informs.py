"""Racing writers whose commands do not conflict are retried, not refused: two threads
informing the customer of one complaint at the same time, on SQLite and PostgreSQL. A
command without ``at=`` happens when it is recorded, so a retry after a lost race is
stamped anew (the other writer's step, recorded meanwhile, is not "later" than it)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from complaintlog import ComplaintLog
from complaintlog.errors import ConcurrencyError

INFORMS = 60


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/race.db"
    return str(request.getfixturevalue("postgres_schema_url"))


def test_racing_informs_are_all_recorded(url: str) -> None:
    with ComplaintLog(url) as setup:
        complaint_id = setup.receive(
            customer={"id": "C-1"}, channel="web", subject="s", description="d"
        )
        setup.acknowledge(complaint_id)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        with ComplaintLog(url) as log:  # its own connections, as another process would
            start.wait()
            for n in range(INFORMS):
                try:
                    log.inform(complaint_id, message=f"{name} update {n}", actor=name)
                except ConcurrencyError as error:
                    errors.append(error)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("ana", "bruno")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with ComplaintLog(url) as log:
        informed = [e for e in log.history(complaint_id) if e.event == "CustomerInformed"]
        assert len(informed) == 2 * INFORMS

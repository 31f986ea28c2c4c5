"""``complaintlog.aio.AsyncComplaintLog`` under real concurrency: 200 coroutines at once on
PostgreSQL and SQLite, every command recorded once, the event loop free meanwhile, the
log's errors raised as they are."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import anyio
import pytest

from complaintlog import ComplaintNotFoundError, InvalidValueError, NotAcknowledgedError
from complaintlog.aio import AsyncComplaintLog
from complaintlog.audit import verify
from complaintlog.persistence.pools import close_shared_pools

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def async_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'async.db'}"
    close_shared_pools()
    return str(request.getfixturevalue("postgres_schema_url"))


async def test_200_concurrent_requests(async_store: str) -> None:
    ticks = 0
    finished = anyio.Event()

    async def ticker() -> None:  # runs between the commands if the loop is never blocked
        nonlocal ticks
        while not finished.is_set():
            ticks += 1
            await anyio.sleep(0)

    made: dict[int, UUID] = {}
    async with AsyncComplaintLog(async_store) as alog:

        async def request(n: int) -> None:
            complaint_id = await alog.receive(
                customer={"id": f"C-{n % 17}", "email": f"c{n}@example.org"},
                channel="web",
                subject=f"Order {n}",
                description="Never arrived",
                idempotency_key=f"order-{n}",
            )
            await alog.acknowledge(complaint_id)
            view = await alog.get(complaint_id)
            assert view.subject == f"Order {n}"
            made[n] = complaint_id

        async with anyio.create_task_group() as group:
            group.start_soon(ticker)
            async with anyio.create_task_group() as requests:
                for n in range(200):
                    requests.start_soon(request, n)
            finished.set()
        assert ticks > 1
        assert made == {n: AsyncComplaintLog.complaint_id_for(f"order-{n}") for n in range(200)}
        assert await alog.max_position() == 400
        assert verify(alog.log).ok


async def test_errors_are_the_logs(tmp_path: Path) -> None:
    async with AsyncComplaintLog(f"sqlite:///{tmp_path / 'e.db'}") as alog:
        with pytest.raises(InvalidValueError, match="channel"):
            await alog.receive(customer={"id": "C"}, channel="fax?", subject="s", description="d")
        complaint_id = await alog.receive(
            customer={"id": "C"}, channel="web", subject="s", description="d"
        )
        with pytest.raises(NotAcknowledgedError):
            await alog.validate("resolve", complaint_id, remedy="refund", summary="x")
        with pytest.raises(ComplaintNotFoundError):
            await alog.get(UUID(int=7))
        history = await alog.history(complaint_id)
        assert [entry.event for entry in history] == ["Received"]


async def test_run_gives_a_thread_for_a_transaction_of_ones_own(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "crm.db"
    async with AsyncComplaintLog(f"sqlite:///{path}") as alog:

        def dispute(log: object, order: str) -> UUID:
            conn = sqlite3.connect(path)
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY)")
                conn.execute("INSERT INTO orders VALUES (?)", (order,))
                complaint_id = alog.log.using(conn).receive(
                    customer={"id": "C"}, channel="web", subject=order, description="d"
                )
                conn.commit()
                return complaint_id
            finally:
                conn.close()

        complaint_id = await alog.run_with(dispute, "o-1")
        assert (await alog.get(complaint_id)).subject == "o-1"

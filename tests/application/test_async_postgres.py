"""``AsyncComplaintLog`` on psycopg's async connections, under real concurrency on the real
PostgreSQL: 200 coroutines receiving and acting on complaints (nothing lost or doubled, the
same results as the synchronous log, no worker thread), racing writers on one complaint
(every step recorded once, in one unbroken chain), racing retries of one new complaint
(one complaint), refusals recorded, and an application's own ``AsyncConnectionPool``.

Expected values come from the script itself (which steps each complaint was given), not
from the code under test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import anyio
import anyio.to_thread
import pytest

from complaintlog import ComplaintLog, IdempotencyKeyReusedError, NotAuthorizedError, Policy
from complaintlog.aio import AsyncComplaintLog
from complaintlog.audit import verify
from complaintlog.persistence.pools import close_shared_pools

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

COMPLAINTS = 200


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def second_schema_url(postgres_url: str) -> Iterator[str]:
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{postgres_url}?schema={schema}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def expected_steps(n: int) -> list[str]:
    """The script below, by hand: every complaint is received and acknowledged (the
    acknowledgement retried once), every third assigned, every fourth resolved."""
    steps = ["Received", "Acknowledged"]
    if n % 3 == 0:
        steps.append("Assigned")
    if n % 4 == 0:
        steps.append("Resolved")
    return steps


def expected_status(n: int) -> str:
    if n % 4 == 0:
        return "resolved"
    return "in_progress" if n % 3 == 0 else "acknowledged"


def act(log: Any, n: int) -> Any:
    """One request of the script, as a generator of (method, args, kwargs) calls."""
    complaint_id = yield (
        "receive",
        (),
        {
            "customer": {"id": f"C-{n % 17}", "email": f"c{n}@example.org"},
            "channel": "web",
            "subject": f"Order {n}",
            "description": "Never arrived",
            "idempotency_key": f"order-{n}",
        },
    )
    for _ in range(2):  # a retried acknowledgement records once
        yield "acknowledge", (complaint_id,), {"message": "Sorry", "idempotency_key": f"a{n}"}
    if n % 3 == 0:
        yield "assign", (complaint_id,), {"assignee": f"agent-{n % 5}", "team": "billing"}
    if n % 4 == 0:
        yield "resolve", (complaint_id,), {"remedy": "refund", "summary": "Refunded"}
    return complaint_id


def summary(view: Any) -> tuple[Any, ...]:
    return (view.status.value, view.subject, view.customer.email, view.assignee, view.team)


async def run_async(alog: AsyncComplaintLog, n: int) -> UUID:
    script = act(alog, n)
    call = next(script)
    try:
        while True:
            name, args, kwargs = call
            result = await getattr(alog, name)(*args, **kwargs)
            call = script.send(result)
    except StopIteration as done:
        return UUID(str(done.value))


def run_sync(log: ComplaintLog, n: int) -> UUID:
    script = act(log, n)
    call = next(script)
    try:
        while True:
            name, args, kwargs = call
            call = script.send(getattr(log, name)(*args, **kwargs))
    except StopIteration as done:
        return UUID(str(done.value))


async def test_200_concurrent_requests_on_async_connections(
    postgres_schema_url: str, second_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    close_shared_pools()
    threads = 0
    real = anyio.to_thread.run_sync

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal threads
        threads += 1
        return await real(*args, **kwargs)

    made: dict[int, UUID] = {}
    async with AsyncComplaintLog(postgres_schema_url) as alog:
        assert alog.is_async_on_the_wire
        await alog.max_position()
        await alog.validate("receive", customer={"id": "x"}, channel="web", subject="s",
                            description="d")  # fmt: skip
        monkeypatch.setattr(anyio.to_thread, "run_sync", counted)

        async def request(n: int) -> None:
            made[n] = await run_async(alog, n)

        async with anyio.create_task_group() as group:
            for n in range(COMPLAINTS):
                group.start_soon(request, n)
        monkeypatch.setattr(anyio.to_thread, "run_sync", real)
        assert threads == 0  # every read and write was awaited on an async connection
        assert made == {n: ComplaintLog.complaint_id_for(f"order-{n}") for n in range(COMPLAINTS)}
        assert await alog.max_position() == sum(len(expected_steps(n)) for n in range(COMPLAINTS))
        for n in range(COMPLAINTS):
            history = await alog.history(made[n])
            assert [entry.event for entry in history] == expected_steps(n)
            view = await alog.get(made[n])
            assert summary(view) == (
                expected_status(n),
                f"Order {n}",
                f"c{n}@example.org",  # sealed in the event, opened with its key
                f"agent-{n % 5}" if n % 3 == 0 else None,
                "billing" if n % 3 == 0 else None,
            )
        assert verify(alog.log).ok  # one unbroken chain per complaint, seals and all
    # the synchronous log, given the same script, records the same
    with ComplaintLog(second_schema_url) as log:
        for n in range(COMPLAINTS):
            assert run_sync(log, n) == made[n]
        with ComplaintLog(postgres_schema_url) as async_written:
            for n in range(COMPLAINTS):
                assert summary(log.get(made[n])) == summary(async_written.get(made[n]))
                assert [e.event for e in log.history(made[n])] == [
                    e.event for e in async_written.history(made[n])
                ]
            assert log.max_position() == async_written.max_position()
            # stored personal data is sealed the same way: no e-mail in any stored row
            for notification in async_written.notifications():
                assert b"@example.org" not in notification.state


async def test_racing_writers_on_one_complaint(postgres_schema_url: str) -> None:
    close_shared_pools()
    racers = 20
    async with AsyncComplaintLog(postgres_schema_url) as alog:
        complaint_id = await alog.receive(
            customer={"id": "C-1"}, channel="web", subject="s", description="d"
        )
        await alog.acknowledge(complaint_id)

        async def inform(n: int) -> None:
            await alog.inform(complaint_id, message=f"update {n}", actor=f"agent-{n}")

        async with anyio.create_task_group() as group:
            for n in range(racers):
                group.start_soon(inform, n)
        history = await alog.history(complaint_id)
        assert [e.event for e in history] == ["Received", "Acknowledged"] + [
            "CustomerInformed"
        ] * racers
        assert sorted(e.actor or "" for e in history[2:]) == sorted(
            f"agent-{n}" for n in range(racers)
        )
        assert [e.version for e in history] == list(range(1, racers + 3))
        assert verify(alog.log).ok


async def test_racing_retries_of_one_new_complaint(postgres_schema_url: str) -> None:
    close_shared_pools()
    async with AsyncComplaintLog(postgres_schema_url) as alog:
        ids: list[UUID] = []

        async def receive() -> None:
            ids.append(
                await alog.receive(
                    customer={"id": "C-7", "name": "Ana"},
                    channel="email",
                    subject="Twice",
                    description="d",
                    external_ref="T-1",
                    idempotency_key="req-1",
                )
            )

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(receive)
        assert ids == [ComplaintLog.complaint_id_for("req-1")] * 20
        assert await alog.max_position() == 2  # the Received and its reference, once
        assert await alog.find("T-1") == ids[0]
        with pytest.raises(IdempotencyKeyReusedError):
            await alog.receive(
                customer={"id": "C-7"}, channel="email", subject="Other", description="d",
                idempotency_key="req-1",
            )  # fmt: skip


async def test_a_refusal_is_recorded_and_raised(postgres_schema_url: str) -> None:
    close_shared_pools()
    policy = Policy.from_mapping(
        {"roles": {"agent": {"commands": ["receive", "acknowledge"]}}, "actors": {"ivo": ["agent"]}}
    )
    async with AsyncComplaintLog(postgres_schema_url, authorization=policy) as alog:
        complaint_id = await alog.receive(
            customer={"id": "C"}, channel="web", subject="s", description="d", actor="ivo"
        )
        with pytest.raises(NotAuthorizedError):
            await alog.resolve(complaint_id, remedy="refund", summary="x", actor="ivo")
        denied = await alog.denied_attempts()
        assert [(d.actor, d.command) for d in denied] == [("ivo", "resolve")]
        assert [e.event for e in await alog.history(complaint_id)] == ["Received"]


async def test_an_applications_own_async_pool(postgres_schema_url: str) -> None:
    from psycopg_pool import AsyncConnectionPool

    close_shared_pools()
    from tests.conftest import POSTGRES_URL

    pool = AsyncConnectionPool(POSTGRES_URL, min_size=1, max_size=2, open=False)
    await pool.open()
    try:
        async with AsyncComplaintLog(postgres_schema_url, pool=pool) as alog:
            complaint_id = await alog.receive(
                customer={"id": "C"}, channel="web", subject="s", description="d"
            )
            assert (await alog.get(complaint_id)).subject == "s"
        assert pool.get_stats()["requests_num"] >= 2  # the reads and writes were its
        async with pool.connection() as conn:  # still open, and as it was
            assert not conn.autocommit
    finally:
        await pool.close()


async def test_later_personal_texts_are_sealed_by_the_async_log(postgres_schema_url: str) -> None:
    close_shared_pools()
    async with AsyncComplaintLog(postgres_schema_url) as alog:
        complaint_id = await alog.receive(
            customer={"id": "C-9", "name": "Ana"},
            channel="web",
            subject="s",
            description="d",
            personal_fields=("later_texts",),
        )
        await alog.acknowledge(complaint_id, message="QQ-1 sorry Ana")
        await alog.inform(complaint_id, message="QQ-2 parcel at Ana's neighbour")
        history = await alog.history(complaint_id)
        assert [e.payload.get("message") for e in history] == [
            None,
            "QQ-1 sorry Ana",
            "QQ-2 parcel at Ana's neighbour",
        ]
        stored = b"".join(bytes(n.state) for n in alog.log.notifications())
        assert b"QQ-" not in stored
        assert b"Ana" not in stored
        await alog.erase_personal_data("C-9", reason="asked")  # in a thread
        history = await alog.history(complaint_id)
        assert [e.payload.get("message") for e in history] == [
            None, "[erased]", "[erased]", None
        ]  # fmt: skip

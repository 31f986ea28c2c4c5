"""``AsyncComplaintLog.using(connection)``: the async log's commands in a caller's own async
transaction (a psycopg ``AsyncConnection``, a SQLAlchemy ``AsyncSession``) on the real
PostgreSQL: the caller's commit records its rows and the events together, its rollback
neither, personal-data keys included."""

from __future__ import annotations

from typing import Any

import pytest

from complaintlog import ComplaintLog, ComplaintNotFoundError, InvalidValueError
from complaintlog.aio import AsyncComplaintLog
from complaintlog.persistence.pools import close_shared_pools

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def schema_of(url: str) -> str:
    return url.rsplit("schema=", 1)[1]


async def orders(conn: Any, schema: str) -> list[tuple[Any, ...]]:
    cursor = await conn.execute(f'SELECT id, status FROM "{schema}".orders ORDER BY id')
    return list(await cursor.fetchall())


async def test_commit_and_rollback_with_a_psycopg_async_connection(
    postgres_schema_url: str, postgres_url: str
) -> None:
    import psycopg

    close_shared_pools()
    schema = schema_of(postgres_schema_url)
    async with AsyncComplaintLog(postgres_schema_url) as alog:
        async with await psycopg.AsyncConnection.connect(postgres_url) as conn:
            await conn.execute(f'CREATE TABLE "{schema}".orders (id text PRIMARY KEY, status text)')
            await conn.commit()
            # committed together
            await conn.execute(f"INSERT INTO \"{schema}\".orders VALUES ('o-1', 'disputed')")
            bound = alog.using(conn)
            first = await bound.receive(
                customer={"id": "C-1", "email": "ana@example.org"},
                channel="web",
                subject="o-1",
                description="d",
                external_ref="order-o-1",
                personal_fields=("later_texts",),
            )
            await bound.acknowledge(first, message="Sorry Ana")
            assert (await bound.get(first)).customer.email == "ana@example.org"  # its own key
            assert await alog.find("order-o-1") is None  # not committed yet: others see nothing
            await conn.commit()
            # rolled back together
            await conn.execute(f"INSERT INTO \"{schema}\".orders VALUES ('o-2', 'disputed')")
            second = await alog.using(conn).receive(
                customer={"id": "C-2", "email": "bo@example.org"},
                channel="web",
                subject="o-2",
                description="d",
                external_ref="order-o-2",
            )
            await conn.rollback()
            assert await orders(conn, schema) == [("o-1", "disputed")]
        assert await alog.find("order-o-1") == first
        assert await alog.find("order-o-2") is None
        with pytest.raises(ComplaintNotFoundError):
            await alog.get(second)
        view = await alog.get(first)
        assert (view.customer.email, view.status.value) == ("ana@example.org", "acknowledged")
        history = await alog.history(first)
        assert [e.payload.get("message") for e in history] == [None, "Sorry Ana"]
    with ComplaintLog(postgres_schema_url) as log:  # another process, the stored keys
        assert log.get(first).customer.email == "ana@example.org"
        assert log.max_position() == 3  # Received, its reference, Acknowledged


async def test_one_transaction_with_a_sqlalchemy_async_session(
    postgres_schema_url: str, postgres_url: str
) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    close_shared_pools()
    schema = schema_of(postgres_schema_url)
    engine = create_async_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        async with AsyncComplaintLog(postgres_schema_url) as alog:
            async with engine.begin() as conn:
                await conn.execute(
                    text(f'CREATE TABLE "{schema}".orders (id text PRIMARY KEY, status text)')
                )
            async with AsyncSession(engine) as session, session.begin():
                await session.execute(
                    text(f"INSERT INTO \"{schema}\".orders VALUES ('o-1', 'disputed')")
                )
                complaint_id = await alog.using(session).receive(
                    customer={"id": "C-1"}, channel="web", subject="o-1", description="d",
                    idempotency_key="dispute-o-1",
                )  # fmt: skip
            assert complaint_id == ComplaintLog.complaint_id_for("dispute-o-1")
            assert (await alog.get(complaint_id)).subject == "o-1"

            async def fails_after_both_writes() -> None:
                async with AsyncSession(engine) as session, session.begin():
                    await session.execute(
                        text(f"INSERT INTO \"{schema}\".orders VALUES ('o-2', 'disputed')")
                    )
                    await alog.using(session).receive(
                        customer={"id": "C-2"}, channel="web", subject="o-2", description="d",
                        idempotency_key="dispute-o-2",
                    )  # fmt: skip
                    raise RuntimeError("boom")

            with pytest.raises(RuntimeError, match="boom"):
                await fails_after_both_writes()
            assert await alog.max_position() == 1
            async with engine.connect() as conn:
                rows = (await conn.execute(text(f'SELECT id FROM "{schema}".orders'))).all()
            assert [r[0] for r in rows] == ["o-1"]
    finally:
        await engine.dispose()


async def test_using_needs_postgresql(tmp_path: Any) -> None:
    async with AsyncComplaintLog(f"sqlite:///{tmp_path / 'x.db'}") as alog:
        with pytest.raises(InvalidValueError, match="postgresql"):
            alog.using(object())

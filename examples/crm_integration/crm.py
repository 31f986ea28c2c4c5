"""A CRM's order disputes on FastAPI + SQLAlchemy + PostgreSQL, with complaintlog beside it.

* **One transaction.** Marking an order disputed and recording the complaint's
  ``Received`` happen in ONE transaction of the CRM's database: ``complaints.using(session)``
  writes the complaint's events through the SQLAlchemy session's connection, and the
  session's commit records both (or its rollback, or a crash, neither).
* **Async end to end.** The CRM's session is a SQLAlchemy ``AsyncSession``; complaintlog's
  calls are awaited through :class:`complaintlog.aio.AsyncComplaintLog` on psycopg's async
  connections. No worker thread on the request path.
* **One pool per process.** The CRM's SQLAlchemy engine and complaintlog borrow from the
  same ``psycopg_pool.AsyncConnectionPool`` (:func:`shared_pool`): a web worker holds at
  most ``POOL_SIZE`` connections for its requests, whatever they do. complaintlog's
  synchronous side (opening the log, the views read by the agenda route) keeps one more.
* **Two brands, two policies, one store.** Each order belongs to a brand, and its complaint
  is received with that brand as its tenant: the UK brand answers to the FCA's rules, the
  EU brand to PSD2's (:data:`POLICIES`). One view store holds both; each brand's agenda is
  measured under its own policy.

Run it (two web workers and the projection worker that keeps the views current)::

    export CRM_DATABASE_URL=postgresql://crm@db/crm COMPLAINTLOG_STORE='postgresql://crm@db/crm?schema=complaints'
    complaintlog migrate                       # at deploy time: schema and tables
    python -m crm migrate                      # the CRM's own orders table
    complaintlog project --follow --tenant-policy uk=fca --tenant-policy eu=psd2 &
    uvicorn crm:app --workers 2
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import FastAPI, HTTPException
from psycopg_pool import AsyncConnectionPool
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import String, Uuid, create_engine, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool

from complaintlog import (
    ComplaintNotFoundError,
    ComplaintRuleError,
    InvalidValueError,
    SlaPolicy,
)
from complaintlog.aio import AsyncComplaintLog
from complaintlog.projections import Projections

CRASH_ENV = "CRM_CRASH_BETWEEN_WRITES"
"""Set to 1 to kill the process after the order's update and before the complaint's write
(the crash test does)."""

POOL_SIZE = 4
"""Connections per web worker for every request, the CRM's and complaintlog's together."""

POLICIES = {"uk": SlaPolicy.preset("fca"), "eu": SlaPolicy.preset("psd2")}
"""Each brand's SLA policy: its complaints are its tenant's (``receive(tenant=brand)``)."""


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    brand: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="placed")
    complaint_id: Mapped[UUID | None] = mapped_column(Uuid, nullable=True)


class Dispute(BaseModel):
    reason: str
    email: str | None = None
    raised_at: AwareDatetime | None = None
    """When the customer raised it (by phone yesterday, typed in today): the SLA clocks
    start then, not when the CRM records it."""


def shared_pool(database_url: str) -> AsyncConnectionPool:
    """The process's one pool. ``close_returns``: SQLAlchemy closing a connection gives it
    back to the pool instead of ending it."""
    return AsyncConnectionPool(
        database_url,
        min_size=1,
        max_size=POOL_SIZE,
        open=False,
        close_returns=True,
        kwargs={"application_name": f"crm-example {os.getpid()}"},
    )


def async_engine_over(pool: AsyncConnectionPool) -> Any:
    """SQLAlchemy on the shared pool: no pool of its own (``NullPool``), it borrows."""
    return create_async_engine(
        "postgresql+psycopg://", async_creator=pool.getconn, poolclass=NullPool
    )


async def dispute_order(
    log: AsyncComplaintLog, engine: Any, order_id: str, dispute: Dispute
) -> UUID:
    """The order marked disputed and its complaint received, in one transaction."""
    async with AsyncSession(engine) as session, session.begin():
        order = (
            await session.scalars(select(Order).where(Order.id == order_id).with_for_update())
        ).one_or_none()
        if order is None:
            raise HTTPException(404, f"no order {order_id}")
        if order.complaint_id is not None:  # a retried request: the same answer
            return order.complaint_id
        order.status = "disputed"
        await session.flush()  # the first write reaches the database
        if os.environ.get(CRASH_ENV) == "1":
            os._exit(17)  # killed between the two writes: the transaction never commits
        complaint_id = await log.using(session).receive(
            customer={"id": order.customer_id, "email": dispute.email},
            channel="web",
            subject=f"Dispute of order {order_id}",
            description=dispute.reason,
            external_ref=f"order-{order_id}",
            tenant=order.brand,
            at=dispute.raised_at,
            idempotency_key=f"dispute-{order_id}",
        )
        order.complaint_id = complaint_id
        return complaint_id


def create_app(database_url: str, store_url: str) -> FastAPI:
    pool = shared_pool(database_url)
    engine = async_engine_over(pool)
    complaints = AsyncComplaintLog(store_url, pool=pool)  # one per process, like the pool
    views: list[Projections] = []  # opened once the app starts (in a thread: it reads)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await pool.open()
        views.append(await complaints.run(lambda log: Projections(log, tenant_policies=POLICIES)))
        yield
        views.pop().close()
        await complaints.aclose()
        await engine.dispose()
        await pool.close()

    app = FastAPI(title="Example CRM", lifespan=lifespan)

    @app.post("/orders/{order_id}")
    async def place(order_id: str, customer_id: str, brand: str) -> dict[str, str]:
        if brand not in POLICIES:
            raise HTTPException(422, f"brand {brand!r}: one of {sorted(POLICIES)}")
        async with AsyncSession(engine) as session, session.begin():
            if await session.get(Order, order_id) is None:
                session.add(Order(id=order_id, customer_id=customer_id, brand=brand))
        return {"id": order_id, "brand": brand}

    @app.post("/orders/{order_id}/dispute")
    async def dispute(order_id: str, body: Dispute) -> dict[str, Any]:
        try:
            complaint_id = await dispute_order(complaints, engine, order_id, body)
        except InvalidValueError as error:
            raise HTTPException(422, str(error)) from error
        return {"order": order_id, "complaint": str(complaint_id)}

    @app.get("/orders/{order_id}")
    async def order(order_id: str) -> dict[str, Any]:
        async with AsyncSession(engine) as session:
            found = await session.get(Order, order_id)
        if found is None:
            raise HTTPException(404, f"no order {order_id}")
        return {"id": found.id, "status": found.status, "complaint": found.complaint_id}

    @app.post("/complaints/{complaint_id}/acknowledge")
    async def acknowledge(complaint_id: UUID) -> dict[str, str]:
        try:
            await complaints.acknowledge(complaint_id, idempotency_key=f"ack-{complaint_id}")
        except ComplaintNotFoundError as error:
            raise HTTPException(404, str(error)) from error
        except ComplaintRuleError as error:
            raise HTTPException(409, str(error)) from error
        return {"status": "acknowledged"}

    @app.get("/complaints/{complaint_id}")
    async def complaint(complaint_id: UUID) -> dict[str, Any]:
        try:
            view = await complaints.get(complaint_id)
        except ComplaintNotFoundError as error:
            raise HTTPException(404, str(error)) from error
        return {
            "id": str(view.id),
            "status": view.status.value,
            "ref": view.external_ref,
            "brand": view.tenant,
        }

    @app.get("/brands/{brand}/agenda")
    async def agenda(
        brand: str, as_of: AwareDatetime | None = None, until: AwareDatetime | None = None
    ) -> dict[str, Any]:
        """What the brand's team must do by ``until``, under the brand's own policy, as the
        views stand (the projection worker keeps them current)."""
        if brand not in POLICIES:
            raise HTTPException(404, f"no brand {brand}")
        now = as_of or datetime.now(UTC)
        items = await anyio.to_thread.run_sync(
            lambda: views[0].agenda.due(as_of=now, until=until, tenant=brand)
        )
        return {"brand": brand, "items": [item.to_json() for item in items]}

    return app


def migrate(database_url: str) -> None:
    """The CRM's own table (complaintlog's: ``complaintlog migrate``)."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(engine)
    engine.dispose()


if __name__ == "__main__" and sys.argv[1:] == ["migrate"]:
    migrate(os.environ["CRM_DATABASE_URL"])
elif "CRM_DATABASE_URL" in os.environ:  # uvicorn crm:app
    app = create_app(os.environ["CRM_DATABASE_URL"], os.environ["COMPLAINTLOG_STORE"])

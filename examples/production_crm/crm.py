"""A CRM's order disputes on FastAPI + SQLAlchemy + PostgreSQL, with complaintlog beside it.

Marking an order disputed and recording the complaint's ``Received`` happen in ONE
transaction of the CRM's database: ``log.using(session)`` writes the complaint's events
through the SQLAlchemy session's connection, and the session's commit records both (or its
rollback, or a crash, neither). Endpoints are ``async`` end to end: the CRM's session is a
SQLAlchemy ``AsyncSession`` and complaintlog's calls are awaited through
:class:`complaintlog.aio.AsyncComplaintLog` on psycopg's async connections
(``complaints.using(session)`` inside the session's transaction); no worker thread.

Run it (two workers, each with one complaintlog pool of 4 connections and a SQLAlchemy pool
of 4)::

    export CRM_DATABASE_URL=postgresql://crm@db/crm COMPLAINTLOG_STORE='postgresql://crm@db/crm?schema=complaints'
    complaintlog migrate                       # at deploy time: schema and tables
    python -m crm migrate                      # the CRM's own orders table
    uvicorn crm:app --workers 2
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import String, Uuid, create_engine, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from complaintlog import (
    ComplaintNotFoundError,
    ComplaintRuleError,
    InvalidValueError,
)
from complaintlog.aio import AsyncComplaintLog

CRASH_ENV = "CRM_CRASH_BETWEEN_WRITES"
"""Set to 1 to kill the process after the order's update and before the complaint's write
(the crash test does)."""


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="placed")
    complaint_id: Mapped[UUID | None] = mapped_column(Uuid, nullable=True)


class Dispute(BaseModel):
    reason: str
    email: str | None = None


def engine_for(database_url: str) -> Any:
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(
        url,
        pool_size=4,
        max_overflow=0,
        pool_timeout=30,
        connect_args={"application_name": f"crm-example {os.getpid()}"},
    )


def async_engine_for(database_url: str) -> Any:
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_async_engine(
        url,
        pool_size=4,
        max_overflow=0,
        pool_timeout=30,
        connect_args={"application_name": f"crm-example {os.getpid()}"},
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
            idempotency_key=f"dispute-{order_id}",
        )
        order.complaint_id = complaint_id
        return complaint_id


def create_app(database_url: str, store_url: str) -> FastAPI:
    engine = async_engine_for(database_url)
    complaints = AsyncComplaintLog(store_url)  # one per process: its pools are shared

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await complaints.aclose()
        await engine.dispose()

    app = FastAPI(title="Example CRM", lifespan=lifespan)

    @app.post("/orders/{order_id}")
    async def place(order_id: str, customer_id: str) -> dict[str, str]:
        async with AsyncSession(engine) as session, session.begin():
            if await session.get(Order, order_id) is None:
                session.add(Order(id=order_id, customer_id=customer_id))
        return {"id": order_id}

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
        return {"id": str(view.id), "status": view.status.value, "ref": view.external_ref}

    return app


def migrate(database_url: str) -> None:
    """The CRM's own table (complaintlog's: ``complaintlog migrate``)."""
    engine = engine_for(database_url)
    Base.metadata.create_all(engine)
    engine.dispose()


if __name__ == "__main__" and sys.argv[1:] == ["migrate"]:
    migrate(os.environ["CRM_DATABASE_URL"])
elif "CRM_DATABASE_URL" in os.environ:  # uvicorn crm:app
    app = create_app(os.environ["CRM_DATABASE_URL"], os.environ["COMPLAINTLOG_STORE"])

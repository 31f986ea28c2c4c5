"""A fictional CRM's web app (FastAPI) with complaintlog mounted in it.

The CRM mounts complaintlog's own app under ``/complaintlog``, which brings every route a
complaint needs (receive, each handling step, state, history, lists, the agenda, the team
lead's dashboard at ``/complaintlog/``), with validation, ``Idempotency-Key`` retries and
errors as RFC 9457 problem details. The CRM adds one route of its own, the status of the
complaint behind one of its tickets, and reuses complaintlog's error mapping for it, so
the whole app answers errors one way.

Run it: ``uvicorn service:app --port 8765`` (the store is ``crm-complaints.db``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from complaintlog import ComplaintLog, ComplaintLogError, ComplaintNotFoundError
from complaintlog.http import PROBLEM_JSON, Identity, create_app, problem_for


def crm_user(request: Request) -> Identity | None:
    """The CRM's session says who is working; here a header stands in for it."""
    user = request.headers.get("X-CRM-User")
    return Identity(user) if user else Identity("crm-service")


def make_app(log: ComplaintLog) -> FastAPI:
    complaints = create_app(log, authenticate=crm_user)
    # The outer app runs the mounted app's lifespan (which closes the views it opened).
    crm = FastAPI(
        title="Example CRM", lifespan=lambda app: complaints.router.lifespan_context(complaints)
    )

    @crm.exception_handler(ComplaintLogError)
    async def complaint_error(request: Request, error: Exception) -> JSONResponse:
        problem = problem_for(error)
        return JSONResponse(
            problem.model_dump(exclude_none=True),
            status_code=problem.status,
            media_type=PROBLEM_JSON,
        )

    @crm.get("/tickets/{ticket}/complaint")
    def ticket_complaint(ticket: str) -> dict[str, Any]:
        """The CRM's own route: where the complaint behind a ticket stands."""
        complaint_id = log.find(ticket)
        if complaint_id is None:
            raise ComplaintNotFoundError(ticket)
        view = log.get(complaint_id)
        due = view.open_promise.due.isoformat() if view.open_promise else None
        return {
            "ticket": ticket,
            "complaint": str(view.id),
            "status": view.status.value,
            "assignee": view.assignee,
            "promise_due": due,
            "timeline": f"/complaintlog/ui/complaints/{view.id}",
        }

    crm.mount("/complaintlog", complaints)
    return crm


def _default_app() -> FastAPI:
    return make_app(ComplaintLog("sqlite:///crm-complaints.db"))


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(_default_app(), host="127.0.0.1", port=8765)

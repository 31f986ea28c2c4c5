"""mysite: complaintlog's app under /complaintlog, Django's views beside it, one ASGI app.

Django is set up in-process (``settings.configure``: auth, sessions, a SQLite database in a
temporary folder), then ``mysite.asgi`` is imported as ``uvicorn mysite.asgi:application``
would, and driven over ASGI by httpx. The how-to shows these very files.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from uuid import UUID

import httpx
import pytest

pytest.importorskip("django", reason="Django is a dev dependency (pip install -e '.[dev]')")

from django.conf import settings

NEW = {
    "customer": {"id": "C-7", "name": "Ana Horvat", "email": "ana@example.org"},
    "channel": "web",
    "subject": "Router",
    "description": "No connection since Monday",
    "external_ref": "CRM-7",
}


@pytest.fixture(scope="module")
def mysite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("mysite")
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="only-for-this-test",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF="mysite.urls",
            INSTALLED_APPS=[
                "django.contrib.auth",
                "django.contrib.contenttypes",
                "django.contrib.sessions",
            ],
            DATABASES={
                "default": {
                    "ENGINE": "django.db.backends.sqlite3",
                    "NAME": str(folder / "django.db"),
                }
            },
            USE_TZ=True,
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPLAINTLOG_STORE", f"sqlite:///{folder / 'complaints.db'}")
        module = importlib.import_module("mysite.asgi")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    yield module
    module.log.close()
    sys.modules.pop("mysite.asgi", None)


def signed_in(username: str, groups: list[str]) -> str:
    """A Django session of a user in ``groups``: the session cookie's value."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.create_user(username, password="irrelevant")
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key


def exchange(app: Any, calls: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Run the app's lifespan and the calls over ASGI, as a server would."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        answers = []
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            for method, path, options in calls:
                answers.append(await client.request(method, path, **options))
        return answers

    return asyncio.run(run())


def test_a_complaint_received_through_the_prefix_beside_a_django_view(
    mysite: ModuleType,
) -> None:
    cookie = signed_in("mira", ["agent"])
    session = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
    received, hello, anonymous = exchange(
        mysite.application,
        [
            ("POST", "/complaintlog/complaints", {"json": NEW, "headers": session}),
            ("GET", "/hello/", {}),
            ("POST", "/complaintlog/complaints", {"json": NEW}),
        ],
    )

    assert received.status_code == 201, received.text
    complaint_id = UUID(received.json()["id"])
    assert hello.status_code == 200
    assert hello.json() == {"hello": "from Django", "path": "/hello/"}
    assert anonymous.status_code == 401  # no Django session: the hook says nobody
    assert anonymous.headers["content-type"] == "application/problem+json"

    # the lifespan closed the log: read what was recorded with a log of one's own
    from complaintlog import ComplaintLog

    with ComplaintLog(mysite.log.settings.url) as log:
        assert log.find("CRM-7") == complaint_id
        (first,) = log.history(complaint_id)
        assert first.actor == "mira"  # the Django user, from the session cookie

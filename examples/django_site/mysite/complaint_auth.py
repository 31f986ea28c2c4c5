# mysite/complaint_auth.py
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from starlette.requests import Request

from complaintlog.http import Identity


@sync_to_async
def _user(session_key: str) -> Identity | None:
    user_id = SessionStore(session_key=session_key).get(SESSION_KEY)
    if user_id is None:
        return None
    user = get_user_model().objects.get(pk=user_id)
    groups = tuple(user.groups.values_list("name", flat=True))
    return Identity(user.get_username(), groups)


async def django_user(request: Request) -> Identity | None:
    key = request.cookies.get(settings.SESSION_COOKIE_NAME)
    return await _user(key) if key else None

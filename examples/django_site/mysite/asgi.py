# mysite/asgi.py
import os
from contextlib import asynccontextmanager

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django_app = get_asgi_application()  # first: it sets Django up

from starlette.applications import Starlette  # noqa: E402
from starlette.routing import Mount  # noqa: E402

from complaintlog import ComplaintLog  # noqa: E402
from complaintlog.http import create_app  # noqa: E402
from mysite.complaint_auth import django_user  # noqa: E402

log = ComplaintLog(os.environ["COMPLAINTLOG_STORE"])


@asynccontextmanager
async def lifespan(app):
    yield
    log.close()  # Django does not speak ASGI lifespan; Starlette does, for both


application = Starlette(
    routes=[
        Mount("/complaintlog", app=create_app(log, authenticate=django_user)),
        Mount("/", app=django_app),
    ],
    lifespan=lifespan,
)

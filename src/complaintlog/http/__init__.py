"""complaintlog over HTTP: a mountable API and a team lead's dashboard (``complaintlog[http]``).

``create_app(log)`` returns a FastAPI (ASGI) app; mount it in a FastAPI, Starlette or Django
ASGI project, or run it with ``complaintlog serve``. See ``docs/howto-http.md``.
"""

from complaintlog.http.app import create_app
from complaintlog.http.problems import PROBLEM_JSON, Problem, problem_for
from complaintlog.http.security import ANONYMOUS, Authenticate, Identity

__all__ = [
    "ANONYMOUS",
    "PROBLEM_JSON",
    "Authenticate",
    "Identity",
    "Problem",
    "create_app",
    "problem_for",
]

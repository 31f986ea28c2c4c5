"""The ``complaintlog`` command line (entry point ``complaintlog = "complaintlog.cli:app"``).

``demo()`` builds the demo store and report from Python, as ``complaintlog demo`` does.
"""

from complaintlog.cli._demo import DEMO_STORE, demo
from complaintlog.cli.main import app, main

__all__ = ["DEMO_STORE", "app", "demo", "main"]

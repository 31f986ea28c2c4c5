"""``python -m complaintlog.cli``: the same as the ``complaintlog`` command."""

from complaintlog.cli.main import app

app(prog_name="complaintlog")

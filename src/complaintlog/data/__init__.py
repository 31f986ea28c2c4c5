"""Public data sets bundled with complaintlog, each with its provenance note (README.txt).

- ``cfpb_sample``: 1,000 US CFPB consumer complaints received 2012-02 to 2026-03, the
  18-column export (public domain). ``complaintlog demo`` imports it.
- ``cfpb_2013_2017``: 3,186 CFPB complaints received 2013-06 to 2017-02, the older
  14-column export with M/D/YYYY dates and no Complaint ID (public domain).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["CFPB_2013_2017", "CFPB_SAMPLE", "bundled_csv"]

CFPB_SAMPLE = "cfpb_sample"
CFPB_2013_2017 = "cfpb_2013_2017"


def bundled_csv(name: str = CFPB_SAMPLE) -> Path:
    """The path of a bundled data set's ``complaints.csv``."""
    resource = files(__name__).joinpath(name, "complaints.csv")
    with as_file(resource) as path:  # a real file in every normal installation
        return Path(path)

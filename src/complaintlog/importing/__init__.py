"""Importing complaint data from CSV files: the CFPB exports and any layout a TOML file maps.

>>> from complaintlog import ComplaintLog
>>> from complaintlog.data import bundled_csv
>>> log = ComplaintLog("memory://")
>>> summary = import_csv(log, bundled_csv())
>>> summary.rows, summary.balanced
(1000, True)
>>> import_csv(log, bundled_csv()).duplicate   # importing again adds nothing
1000
"""

from complaintlog.importing.cfpb import CFPB_14, CFPB_18, CfpbFormat
from complaintlog.importing.errors import ImportFileError, MappingFileError, RowRejectedError
from complaintlog.importing.formats import RowFormat, detect_format
from complaintlog.importing.importer import Enrich, Progress, import_csv, write_rejects
from complaintlog.importing.mapping import MappedFormat, Mapping, load_mapping
from complaintlog.importing.plan import ComplaintPlan, Step
from complaintlog.importing.source import CsvSource, SourceRow
from complaintlog.importing.summary import ImportSummary, Rejected
from complaintlog.importing.writer import PlanWriter

__all__ = [
    # importing
    "Enrich",
    "ImportSummary",
    "Progress",
    "Rejected",
    "import_csv",
    "write_rejects",
    # formats
    "CFPB_14",
    "CFPB_18",
    "CfpbFormat",
    "MappedFormat",
    "Mapping",
    "RowFormat",
    "detect_format",
    "load_mapping",
    # building blocks
    "ComplaintPlan",
    "CsvSource",
    "PlanWriter",
    "SourceRow",
    "Step",
    # errors
    "ImportFileError",
    "MappingFileError",
    "RowRejectedError",
]

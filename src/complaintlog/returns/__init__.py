"""Regulatory returns from the recorded history: the FCA's today, others in the same shape.

Each return reads :func:`complaint_facts` (one pass over the log, complaints counted once)
and builds a :class:`ReturnTable`, which renders as JSON, CSV and XLSX.
"""

from complaintlog.returns._facts import ComplaintFacts, Resolution, complaint_facts
from complaintlog.returns._table import ReturnTable, to_csv, to_json_data, to_xlsx
from complaintlog.returns.fca import FcaMapping, fca_return

__all__ = [
    "ComplaintFacts",
    "FcaMapping",
    "Resolution",
    "ReturnTable",
    "complaint_facts",
    "fca_return",
    "to_csv",
    "to_json_data",
    "to_xlsx",
]

"""Tamper evidence, the public face of :mod:`complaintlog.application.audit`."""

from complaintlog.application.audit import AuditProblem, AuditReport, head_digest, verify

__all__ = ["AuditProblem", "AuditReport", "head_digest", "verify"]

"""Tamper evidence, the public face of :mod:`complaintlog.application.audit`."""

from complaintlog.application.audit import (
    AuditProblem,
    AuditReport,
    checkpoint,
    head_digest,
    verify,
)
from complaintlog.application.checkpoints import Checkpoint, read_checkpoints, write_checkpoint
from complaintlog.persistence.seal import AuditKey, new_audit_key

__all__ = [
    "AuditKey",
    "AuditProblem",
    "AuditReport",
    "Checkpoint",
    "checkpoint",
    "head_digest",
    "new_audit_key",
    "read_checkpoints",
    "verify",
    "write_checkpoint",
]

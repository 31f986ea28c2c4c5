"""Evidence a regulator can check alone: the audit pack and its standard-library verifier."""

from complaintlog.evidence._pack import PackRefusedError, PackSummary, write_pack

__all__ = ["PackRefusedError", "PackSummary", "write_pack"]

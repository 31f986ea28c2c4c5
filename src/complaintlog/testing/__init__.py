"""Tools for property-testing complaint-handling rules with hypothesis.

Needs the ``testing`` extra (``pip install complaintlog[testing]``), which brings hypothesis.
"""

from complaintlog.testing.machine import ComplaintLifecycleMachine, ModelComplaint, SteppingClock

__all__ = ["ComplaintLifecycleMachine", "ModelComplaint", "SteppingClock"]

"""Tools for property-testing complaint-handling rules with hypothesis.

Needs the ``testing`` extra (``pip install complaintlog[testing]``), which brings hypothesis
and pytest. The pytest fixtures ``complaint_log`` and ``complaint_clock`` are registered as a
pytest plugin when complaintlog is installed.
"""

from complaintlog.testing.assertions import assert_history_satisfies, assert_no_breach
from complaintlog.testing.machine import ComplaintLifecycleMachine, ModelComplaint, SteppingClock
from complaintlog.testing.strategies import (
    Lifecycle,
    PlannedCommand,
    Workload,
    apply_lifecycle,
    apply_workload,
    business_calendars,
    categories,
    channels,
    customers,
    lifecycles,
    money,
    remedies,
    severities,
    sla_policies,
    workloads,
)

__all__ = [
    "ComplaintLifecycleMachine",
    "Lifecycle",
    "ModelComplaint",
    "PlannedCommand",
    "SteppingClock",
    "Workload",
    "apply_lifecycle",
    "apply_workload",
    "assert_history_satisfies",
    "assert_no_breach",
    "business_calendars",
    "categories",
    "channels",
    "customers",
    "lifecycles",
    "money",
    "remedies",
    "severities",
    "sla_policies",
    "workloads",
]

"""Tools for property-testing complaint-handling rules with hypothesis.

Needs the ``testing`` extra (``pip install complaintlog[testing]``), which brings hypothesis
and pytest. The pytest fixtures ``complaint_log``, ``complaint_clock`` and
``complaint_log_factory`` are registered as a pytest plugin when complaintlog is installed.
See docs/testing.md for the whole toolkit.
"""

from complaintlog.application.rule_check import Breach, breaches_in, check_store
from complaintlog.testing.assertions import assert_history_satisfies, assert_no_breach
from complaintlog.testing.coverage import RuleWatch
from complaintlog.testing.lifecycle import (
    Lifecycle,
    PlannedCommand,
    Workload,
    apply_lifecycle,
    apply_workload,
)
from complaintlog.testing.machine import (
    ComplaintLifecycleMachine,
    MachineDisagreement,
    ModelComplaint,
    SteppingClock,
)
from complaintlog.testing.moves import STOCK_MOVES, Knobs, Move
from complaintlog.testing.runner import (
    RuleDisagreement,
    RunReport,
    Spec,
    check_rules_against_spec,
)
from complaintlog.testing.strategies import (
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
from complaintlog.testing.times import deadline_edges, dst_changes, policy_times

__all__ = [
    "STOCK_MOVES",
    "Breach",
    "ComplaintLifecycleMachine",
    "Knobs",
    "Lifecycle",
    "MachineDisagreement",
    "ModelComplaint",
    "Move",
    "PlannedCommand",
    "RuleDisagreement",
    "RuleWatch",
    "RunReport",
    "Spec",
    "SteppingClock",
    "Workload",
    "apply_lifecycle",
    "apply_workload",
    "assert_history_satisfies",
    "assert_no_breach",
    "breaches_in",
    "business_calendars",
    "categories",
    "channels",
    "check_rules_against_spec",
    "check_store",
    "customers",
    "deadline_edges",
    "dst_changes",
    "lifecycles",
    "money",
    "policy_times",
    "remedies",
    "severities",
    "sla_policies",
    "workloads",
]

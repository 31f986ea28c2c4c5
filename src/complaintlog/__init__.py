"""complaintlog: every step of a customer complaint, recorded as an immutable event.

The public API is what this module exports; everything else may change.
"""

from complaintlog.application import Batch, ComplaintLog
from complaintlog.application.authorization import Policy, Role
from complaintlog.application.history import DeniedAttempt, HistoryEntry
from complaintlog.application.personal_data import Erasure
from complaintlog.application.validation import ClockFunction
from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.complaint import Complaint
from complaintlog.domain.complaint_view import (
    ComplaintView,
    EscalationView,
    PauseView,
    PromiseState,
    PromiseView,
    ResolutionView,
)
from complaintlog.domain.sla_policy import ClockKind, Metric, SlaPolicy, SlaTarget
from complaintlog.domain.status import Status
from complaintlog.domain.values import (
    Category,
    Cause,
    Channel,
    Customer,
    EscalationLevel,
    Money,
    Remedy,
    ReopenReason,
    ServqualDimension,
    Severity,
    Upheld,
    WaitingFor,
)
from complaintlog.errors import (
    AlreadyAcknowledgedError,
    AlreadyErasedError,
    AlreadyPausedError,
    ComplaintClosedError,
    ComplaintLogError,
    ComplaintNotFoundError,
    ComplaintNotResolvedError,
    ComplaintRuleError,
    ComplaintWithdrawnError,
    ConcurrencyError,
    DuplicateExternalReferenceError,
    EscalationDowngradeError,
    EscalationRepeatedError,
    FollowUpRepeatedError,
    IdempotencyKeyReusedError,
    InvalidValueError,
    NotAcknowledgedError,
    NotAuthorizedError,
    NotPausedError,
    PersonalDataError,
    PromiseDueNotAfterMakingError,
    PromiseNotPendingError,
    ReclassificationUnchangedError,
    ResolvedTwiceError,
    RuleViolationError,
    StoreConfigurationError,
    StoreUnavailableError,
    SurveyAlreadySentError,
    SurveyRepeatedError,
    TimeRunsBackwardsError,
    TimeTooFarInFutureError,
    ViewBeingRebuiltError,
)
from complaintlog.projections import Clock as SlaClock
from complaintlog.projections import Projections

Clock = ClockFunction
"""The name ``ClockFunction`` had before 0.2: still importable, no longer in ``__all__``,
since an SLA view row is a clock too (:class:`SlaClock`)."""

__version__ = "0.1.0"

__all__ = [
    # application
    "Batch",
    "ClockFunction",
    "ComplaintLog",
    # authorisation
    "Policy",
    "Role",
    # domain
    "BusinessCalendar",
    "Category",
    "Cause",
    "Channel",
    "ClockKind",
    "Complaint",
    "Customer",
    "EscalationLevel",
    "Metric",
    "Money",
    "Remedy",
    "ReopenReason",
    "ServqualDimension",
    "Severity",
    "SlaPolicy",
    "SlaTarget",
    "Status",
    "Upheld",
    "WaitingFor",
    # read models
    "Projections",
    "SlaClock",
    # views
    "ComplaintView",
    "DeniedAttempt",
    "Erasure",
    "HistoryEntry",
    "PauseView",
    "PromiseState",
    "EscalationView",
    "PromiseView",
    "ResolutionView",
    # errors
    "AlreadyAcknowledgedError",
    "AlreadyErasedError",
    "AlreadyPausedError",
    "ComplaintClosedError",
    "ComplaintLogError",
    "ComplaintNotFoundError",
    "ComplaintNotResolvedError",
    "ComplaintRuleError",
    "ComplaintWithdrawnError",
    "ConcurrencyError",
    "DuplicateExternalReferenceError",
    "EscalationDowngradeError",
    "EscalationRepeatedError",
    "FollowUpRepeatedError",
    "IdempotencyKeyReusedError",
    "InvalidValueError",
    "NotAcknowledgedError",
    "NotAuthorizedError",
    "NotPausedError",
    "PersonalDataError",
    "PromiseDueNotAfterMakingError",
    "PromiseNotPendingError",
    "ReclassificationUnchangedError",
    "ResolvedTwiceError",
    "RuleViolationError",
    "StoreConfigurationError",
    "StoreUnavailableError",
    "SurveyAlreadySentError",
    "SurveyRepeatedError",
    "TimeRunsBackwardsError",
    "TimeTooFarInFutureError",
    "ViewBeingRebuiltError",
    "__version__",
]

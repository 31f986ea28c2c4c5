"""The application layer: ``ComplaintLog``, the service CRM code calls, and its ``Batch``.

The log is split by concern: :mod:`.log` (the service, its lifecycle and queries),
:mod:`.commands` (the command methods), :mod:`.erasure`, :mod:`.batch`,
:mod:`.validation` and :mod:`.idempotency` (what every command checks first),
:mod:`.event_store` (the eventsourcing application underneath) and :mod:`.history`.
"""

from complaintlog.application.batch import Batch
from complaintlog.application.log import ComplaintLog
from complaintlog.application.validation import Clock, ClockFunction

__all__ = ["Batch", "Clock", "ClockFunction", "ComplaintLog"]

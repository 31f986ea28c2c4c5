"""The relay's errors: a broker that cannot take messages now, and a bad destination."""

from __future__ import annotations

from complaintlog.errors import ComplaintLogError

__all__ = ["BrokerUnavailableError", "RelayConfigurationError"]


class BrokerUnavailableError(ComplaintLogError):
    """The broker refused, dropped or did not confirm; the relay retries after a pause."""

    def __init__(self, destination: str, operation: str, cause: BaseException) -> None:
        self.destination = destination
        self.operation = operation
        detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(f"broker {destination} could not {operation}: {detail}")


class RelayConfigurationError(ComplaintLogError):
    """A destination URL or option the relay cannot use."""

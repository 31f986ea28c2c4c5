"""The log's methods for working beside a CRM's own database: its transaction, a dry run,
and the id an idempotency key gives a complaint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from complaintlog.application.bound import BoundLog
from complaintlog.application.dry_run import dry_run
from complaintlog.application.event_store import ComplaintApplication
from complaintlog.application.personal_data import KeyRing
from complaintlog.application.validation import IdempotencyKey, validated
from complaintlog.domain.complaint import Complaint
from complaintlog.errors import InvalidValueError
from complaintlog.persistence.bound import bind_connection
from complaintlog.persistence.settings import StoreSettings

if TYPE_CHECKING:
    from complaintlog.application.log import ComplaintLog

__all__ = ["TransactionMethods"]


class TransactionMethods:
    """``using``, ``validate`` and ``complaint_id_for`` of :class:`ComplaintLog`."""

    settings: StoreSettings
    _app: ComplaintApplication
    _keys: KeyRing

    def using(self, connection: Any) -> BoundLog:
        """This log's commands inside the caller's open transaction on ``connection``.

        ``connection`` is a psycopg ``Connection`` (PostgreSQL), a ``sqlite3.Connection``
        (SQLite), or a SQLAlchemy ``Connection`` or ``Session`` over either, connected to
        this log's database (file). The bound log never commits or rolls back: the
        caller's commit records the events, its rollback discards them. See
        docs/howto-production.md.
        """
        if self.settings.kind == "memory":
            why = "a memory:// log has no database to share; use sqlite or postgresql"
            raise InvalidValueError("connection", type(connection).__name__, why)
        if self.settings.kind == "postgres":
            self._keys.prepare()  # the key table exists before a transaction writes to it
        binding = bind_connection(
            connection,
            kind=self.settings.kind,
            store=self.settings.redacted_url,
            recorder=self._app.recorder,
            env=dict(self._app.env),
        )
        return BoundLog(cast("ComplaintLog", self), binding)

    def validate(self, command: str, /, *args: Any, **arguments: Any) -> Any:
        """Check ``command`` with ``arguments`` as it would run now, recording nothing.

        Raises what the command would raise (bad input, authorisation, rules, lifecycle);
        returns what it would return: for ``receive`` with an ``idempotency_key`` the id
        the complaint gets (:meth:`complaint_id_for`). A later real run can still fail if
        another writer changes the complaint in between.
        """
        return dry_run(cast("ComplaintLog", self), command, args, arguments)

    @staticmethod
    @validated
    def complaint_id_for(idempotency_key: IdempotencyKey) -> UUID:
        """The id ``receive(..., idempotency_key=key)`` gives the complaint, known in advance
        (a CRM can store it beside its own rows before or in the same transaction)."""
        return Complaint.id_for_idempotency_key(idempotency_key)

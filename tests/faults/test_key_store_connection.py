"""The personal-data key store losing its PostgreSQL connection (``pg_terminate_backend``).

Another connection holds the key table's lock, so the key write waits inside its
transaction; a saboteur terminates the waiting backend. One drop is retried on a fresh
connection and the command completes; a drop on every attempt surfaces as
``StoreUnavailableError`` (not ``PersonalDataError``, which means corrupt data), nothing
is recorded, and running the command again once the server answers records it once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from complaintlog import ComplaintLog, PersonalDataError, StoreUnavailableError
from complaintlog.persistence.pools import application_name

pytestmark = pytest.mark.postgres


class KeySaboteur:
    """Holds the key table locked; terminates our backends that wait for it."""

    def __init__(self, base: str, schema: str, drops: int | None) -> None:
        import psycopg

        self.drops = drops
        self.dropped = 0
        self._stop = threading.Event()
        self._holder = psycopg.connect(base)
        self._holder.execute(
            f'LOCK TABLE "{schema}".complaintlog_personal_keys IN ACCESS EXCLUSIVE MODE'
        )
        self._killer = psycopg.connect(base, autocommit=True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            if self.drops is not None and self.dropped >= self.drops:
                self.release()
                continue
            rows = self._killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND wait_event_type = 'Lock'",
                (application_name(),),
            ).fetchall()
            self.dropped += sum(1 for (done,) in rows if done)

    def release(self) -> None:
        if not self._holder.closed:
            self._holder.rollback()
            self._holder.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.release()
        self._killer.close()


@pytest.fixture
def keyed_log(postgres_schema_url: str) -> Iterator[ComplaintLog]:
    with ComplaintLog(postgres_schema_url) as log:
        log.prepare()  # the key table exists, so it can be locked
        yield log


def sabotage(url: str, drops: int | None) -> KeySaboteur:
    schema = parse_qs(urlsplit(url).query)["schema"][0]
    return KeySaboteur(url.split("?")[0], schema, drops)


def receive(log: ComplaintLog) -> object:
    return log.receive(
        customer={"id": "C-9", "email": "c9@example.org"},
        channel="email",
        subject="s",
        description="d",
        idempotency_key="k-9",
    )


def test_one_dropped_key_connection_is_retried(
    keyed_log: ComplaintLog, postgres_schema_url: str
) -> None:
    saboteur = sabotage(postgres_schema_url, drops=1)
    try:
        complaint_id = receive(keyed_log)
    finally:
        saboteur.stop()
    assert saboteur.dropped == 1
    assert keyed_log.get(complaint_id).customer.email == "c9@example.org"


def test_a_key_store_that_stays_gone_is_unavailable_not_corrupt(
    keyed_log: ComplaintLog, postgres_schema_url: str
) -> None:
    saboteur = sabotage(postgres_schema_url, drops=None)
    try:
        with pytest.raises(StoreUnavailableError, match="personal-data keys") as raised:
            receive(keyed_log)
    finally:
        saboteur.stop()
    assert not isinstance(raised.value, PersonalDataError)
    assert saboteur.dropped >= 10  # every attempt was dropped
    assert keyed_log.max_position() == 0  # nothing recorded
    complaint_id = receive(keyed_log)  # the server answers again: the retry records it once
    assert receive(keyed_log) == complaint_id
    assert keyed_log.max_position() == 1

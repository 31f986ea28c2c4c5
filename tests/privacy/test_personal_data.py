"""Personal data is stored encrypted with a per-customer key, and erasure shreds the key.

What is stored is read back with plain SQL, the way someone with the database would read
it: SQLite's ``stored_events`` and ``complaintlog_personal_keys``, PostgreSQL's
``complaintlog_events`` and ``complaintlog_personal_keys`` in the test's own schema.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from complaintlog import (
    ComplaintLog,
    InvalidValueError,
    PersonalDataError,
    Status,
    TimeRunsBackwardsError,
)
from complaintlog.application.personal_data import KEY_TABLE, MemoryKeyStore
from complaintlog.audit import verify

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANA = {
    "id": "C-1",
    "name": "Ana Lima",
    "email": "ana.lima@example.org",
    "phone": "+351 912 345 678",
    "address": "Rua das Flores 12, Porto",
}
SECRETS = [b"Ana Lima", b"ana.lima@example.org", b"912 345 678", b"Rua das Flores", b"PT50"]
SUBJECT = "Broadband outage"


class Raw:
    """Plain SQL on one store's tables: what a reader of the database sees."""

    def __init__(self, log: ComplaintLog) -> None:
        self.kind = log.settings.kind
        if self.kind == "sqlite":
            import sqlite3

            self.conn: Any = sqlite3.connect(str(log.settings.sqlite_path))
            self.events = "stored_events"
            self.keys = KEY_TABLE
            self.mark = "?"
        else:
            import psycopg

            env = log.settings.env
            self.conn = psycopg.connect(
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                dbname=env["POSTGRES_DBNAME"],
                user=env["POSTGRES_USER"],
                autocommit=True,
            )
            schema = env["POSTGRES_SCHEMA"]
            self.events = f'"{schema}".complaintlog_events'
            self.keys = f'"{schema}".{KEY_TABLE}'
            self.mark = "%s"

    def rows(self, sql: str, *params: object) -> list[Any]:
        sql = sql.replace("EVENTS", self.events).replace("KEYS", self.keys)
        cursor = self.conn.execute(sql.replace("?", self.mark), params)
        rows = list(cursor.fetchall()) if cursor.description else []
        if self.kind == "sqlite":
            self.conn.commit()
        return rows

    def stored_bytes(self) -> bytes:
        return b"".join(bytes(row[0]) for row in self.rows("SELECT state FROM EVENTS"))

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ComplaintLog]:
    """A ComplaintLog on a store we can read with SQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'complaints.db'}"
    else:
        url = str(request.getfixturevalue("postgres_schema_url"))
    with ComplaintLog(url, clock=lambda: T0 + timedelta(days=30)) as log:
        yield log


@pytest.fixture
def raw(db_log: ComplaintLog) -> Iterator[Raw]:
    reader = Raw(db_log)
    yield reader
    reader.close()


def receive_ana(log: Any, **overrides: Any) -> UUID:
    arguments: dict[str, Any] = {
        "customer": ANA,
        "channel": "phone",
        "subject": SUBJECT,
        "description": "Debit from IBAN PT50 0002 0123 failed twice",
        "category": {"dimension": "reliability", "cause": "billing", "product": "Broadband"},
        "personal_fields": ("description",),
        "at": T0,
        "actor": "agent-1",
    }
    arguments.update(overrides)
    return log.receive(**arguments)  # type: ignore[no-any-return]


def lifecycle(log: ComplaintLog, complaint_id: UUID) -> None:
    log.acknowledge(complaint_id, at=T0 + timedelta(hours=1))
    log.resolve(
        complaint_id,
        remedy="refund",
        summary="Refunded",
        compensation={"amount": "12.50", "currency": "EUR"},
        at=T0 + timedelta(days=1),
    )


# -- sealed at rest ---------------------------------------------------------------------------


def test_personal_fields_are_not_stored_in_plain(db_log: ComplaintLog, raw: Raw) -> None:
    complaint_id = receive_ana(db_log)
    lifecycle(db_log, complaint_id)
    stored = raw.stored_bytes()
    for secret in SECRETS:
        assert secret not in stored
    # what projections read stays plain: the customer's id, channel, category, subject
    for plain in (b'"id":"C-1"', b'"channel":"phone"', b'"cause":"billing"', SUBJECT.encode()):
        assert plain in stored


def test_the_key_is_in_its_own_table_not_in_the_events(db_log: ComplaintLog, raw: Raw) -> None:
    receive_ana(db_log)
    keys = raw.rows("SELECT key_id, customer_id, secret FROM KEYS")
    assert len(keys) == 1
    key_id, customer_id, secret = keys[0]
    assert customer_id == "C-1"
    assert len(bytes(secret)) == 32  # AES-256
    stored = raw.stored_bytes()
    assert key_id.encode() in stored  # the event names its key...
    assert bytes(secret) not in stored  # ...but does not hold it


def test_reading_opens_personal_data_everywhere(db_log: ComplaintLog) -> None:
    complaint_id = receive_ana(db_log)
    lifecycle(db_log, complaint_id)
    view = db_log.get(complaint_id)
    assert view.customer.name == "Ana Lima"
    assert view.customer.address == ANA["address"]
    assert view.description.startswith("Debit from IBAN PT50")
    assert view.personal_fields == (
        "customer.address",
        "customer.email",
        "customer.name",
        "customer.phone",
        "description",
    )
    assert db_log.get(complaint_id, as_of=T0).customer.email == ANA["email"]
    received = db_log.history(complaint_id)[0].payload
    assert received["customer"]["phone"] == ANA["phone"]
    assert received["personal"] == list(view.personal_fields)
    first_step = next(iter(db_log.steps(complaint_id)))
    assert first_step.command.arguments["customer"].name == "Ana Lima"
    exported = db_log.event_state(next(iter(db_log.notifications())))
    assert exported["customer"]["email"] == ANA["email"]
    assert exported["description"] == view.description


def test_another_process_opens_it_with_the_stored_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with ComplaintLog(url) as writer:
        complaint_id = receive_ana(writer)
    with ComplaintLog(url) as reader:
        assert reader.get(complaint_id).customer.name == "Ana Lima"


def test_texts_not_marked_personal_stay_plain(log: ComplaintLog) -> None:
    complaint_id = receive_ana(log, personal_fields=())
    view = log.get(complaint_id)
    assert view.personal_fields[-1] == "customer.phone"
    state = log.mapper.decode_stored_state(next(iter(log.notifications())))
    assert state["description"] == view.description
    assert state["customer"] == {
        "id": "C-1",
        "name": None,
        "email": None,
        "phone": None,
        "address": None,
    }


def test_a_customer_without_personal_data_needs_no_key(log: ComplaintLog) -> None:
    complaint_id = log.receive(customer={"id": "C-9"}, channel="web", subject="s", description="d")
    state = log.mapper.decode_stored_state(next(iter(log.notifications())))
    assert state["personal"] is None
    assert log.get(complaint_id).personal_fields == ()
    store = getattr(log._keys.store, "inner", log._keys.store)  # under the KEK wrapper
    assert isinstance(store, MemoryKeyStore)
    assert store.fetch(store._keys) == {}


def test_a_batch_stores_its_new_keys_in_one_write_before_its_events(tmp_path: Path) -> None:
    inserts: list[int] = []
    with ComplaintLog(f"sqlite:///{tmp_path / 'c.db'}") as log:
        store = log._keys.store
        original = store.insert

        def counting(keys: Any) -> None:
            assert log.max_position() == 0  # no event of the batch is saved yet
            inserts.append(len(keys))
            original(keys)

        store.insert = counting  # type: ignore[method-assign]
        with log.batch() as batch:
            ids = [
                receive_ana(batch, customer={**ANA, "id": f"C-{n % 3}"}, at=T0) for n in range(9)
            ]
        assert inserts == [3]
        with log.batch() as batch:  # the customers' keys are cached now: none is created
            receive_ana(batch, customer={**ANA, "id": "C-0"})
        assert inserts == [3]
        assert {log.get(i).customer.name for i in ids} == {"Ana Lima"}


def test_no_event_is_saved_when_its_key_cannot_be_stored(log: ComplaintLog) -> None:
    def broken(keys: Any) -> None:
        raise OSError("disk full")

    log._keys.store.insert = broken  # type: ignore[method-assign]
    with pytest.raises(PersonalDataError, match="disk full"):
        receive_ana(log)
    with pytest.raises(PersonalDataError), log.batch() as batch:
        receive_ana(batch)
    assert log.max_position() == 0


def test_a_box_moved_to_another_complaint_does_not_open(db_log: ComplaintLog, raw: Raw) -> None:
    """The associated data binds each box to its complaint and field."""
    first = receive_ana(db_log)
    second = receive_ana(db_log, description="Another text")
    position = "rowid" if raw.kind == "sqlite" else "notification_id"
    one, two = (
        json.loads(bytes(raw.rows(f"SELECT state FROM EVENTS WHERE {position} = ?", n)[0][0]))
        for n in (1, 2)
    )
    two["personal"]["boxes"]["description"] = one["personal"]["boxes"]["description"]
    forged = json.dumps(two).encode()
    raw.rows(f"UPDATE EVENTS SET state = ? WHERE {position} = ?", forged, 2)
    with pytest.raises(PersonalDataError, match="does not open"):
        db_log.get(second)
    assert db_log.get(first).description.startswith("Debit")
    problems = verify(db_log).problems
    assert [(p.kind, p.complaint_id) for p in problems] == [("edited", second)]
    erasure = db_log.erase_personal_data("C-1", reason="request")  # not blocked by the forgery
    assert set(erasure.recorded) == {first, second}
    assert db_log.get(second).description == "[erased]"


# -- validation -------------------------------------------------------------------------------


def test_only_texts_of_the_complaint_can_be_marked_personal(log: ComplaintLog) -> None:
    with pytest.raises(InvalidValueError, match="personal_fields"):
        receive_ana(log, personal_fields=("customer.name",))
    with pytest.raises(InvalidValueError, match=r"customer\.erased"):
        receive_ana(log, customer={**ANA, "erased": True})
    assert log.max_position() == 0


def test_a_retry_with_personal_data_returns_the_first_result(log: ComplaintLog) -> None:
    first = receive_ana(log, idempotency_key="call-1")
    assert receive_ana(log, idempotency_key="call-1") == first
    assert log.max_position() == 1
    state = log.mapper.decode_stored_state(next(iter(log.notifications())))
    digest = state["idempotency"]["digest"]
    other_name = receive_ana(log, customer={**ANA, "name": "Someone Else"}, idempotency_key="c2")
    state2 = log.mapper.decode_stored_state(list(log.notifications())[-1])
    assert other_name != first
    assert state2["idempotency"]["digest"] == digest  # the fingerprint holds nothing personal


# -- erasure ------------------------------------------------------------------------------------


def test_erasure_shreds_the_key_and_records_that_it_happened(
    db_log: ComplaintLog, raw: Raw
) -> None:
    resolved = receive_ana(db_log)
    lifecycle(db_log, resolved)
    withdrawn = receive_ana(db_log, at=T0 + timedelta(days=2))
    db_log.withdraw(withdrawn, reason="sorted", at=T0 + timedelta(days=3))
    open_one = receive_ana(db_log, at=T0 + timedelta(days=4))
    other = receive_ana(db_log, customer={**ANA, "id": "C-2", "name": "Bo"})
    before = {c: db_log.get(c) for c in (resolved, withdrawn, open_one)}

    erasure = db_log.erase_personal_data(
        "C-1", reason="GDPR art. 17 request", at=T0 + timedelta(days=5), actor="dpo"
    )

    assert erasure.keys_destroyed == 1
    assert set(erasure.complaints) == set(erasure.recorded) == {resolved, withdrawn, open_one}
    assert erasure.stored_in_plain == ()
    assert raw.rows("SELECT customer_id FROM KEYS") == [("C-2",)]
    for complaint_id, then in before.items():
        view = db_log.get(complaint_id)
        assert view.status == then.status
        assert view.last_activity_at == then.last_activity_at
        assert view.customer.erased
        assert view.customer.id == "C-1"
        assert (view.customer.name, view.customer.email, view.customer.phone) == (None,) * 3
        assert view.description == "[erased]"
        assert view.subject == SUBJECT
        assert view.personal_data_erased_at == T0 + timedelta(days=5)
        history = db_log.history(complaint_id)
        assert history[-1].event == "PersonalDataErased"
        assert history[-1].payload == {"reason": "GDPR art. 17 request"}
        assert history[-1].actor == "dpo"
        assert history[0].payload["customer"]["erased"] is True
        assert history[0].payload["description"] == "[erased]"
    assert db_log.get(resolved, as_of=T0).customer.erased  # the key is gone for every time
    assert db_log.get(other).customer.name == "Bo"
    assert verify(db_log).ok
    exported = [db_log.event_state(n) for n in db_log.notifications()]
    assert all(s.get("customer", {}).get("name") != "Ana Lima" for s in exported)
    assert exported[0]["customer"]["erased"] is True


def test_erasure_is_seen_by_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with ComplaintLog(url, key_cache_seconds=0) as reader, ComplaintLog(url) as writer:
        complaint_id = receive_ana(writer)
        assert reader.get(complaint_id).customer.name == "Ana Lima"
        writer.erase_personal_data("C-1", reason="request")
        assert reader.get(complaint_id).customer.erased


def test_erasure_twice_records_nothing_new_but_erases_newer_complaints(log: ComplaintLog) -> None:
    first = receive_ana(log)
    log.erase_personal_data("C-1", reason="request", at=T0 + timedelta(hours=1))
    again = log.erase_personal_data("C-1", reason="request", at=T0 + timedelta(hours=2))
    assert again.recorded == ()
    assert again.complaints == (first,)
    newer = receive_ana(log, at=T0 + timedelta(hours=3))
    assert log.get(newer).customer.name == "Ana Lima"  # a new key for a new complaint
    third = log.erase_personal_data("C-1", reason="request", at=T0 + timedelta(hours=4))
    assert third.recorded == (newer,)
    assert third.keys_destroyed == 1


def test_a_refused_erasure_destroys_nothing(log: ComplaintLog) -> None:
    complaint_id = receive_ana(log)
    log.acknowledge(complaint_id, at=T0 + timedelta(hours=2))
    with pytest.raises(TimeRunsBackwardsError):
        log.erase_personal_data("C-1", reason="request", at=T0 + timedelta(hours=1))
    assert log.get(complaint_id).customer.name == "Ana Lima"
    assert log.get(complaint_id).personal_data_erased_at is None


def test_erasure_is_not_a_handling_step(log: ComplaintLog) -> None:
    complaint_id = receive_ana(log)
    log.acknowledge(complaint_id, at=T0 + timedelta(hours=1))
    log.pause(complaint_id, reason="Waiting for documents", at=T0 + timedelta(hours=2))
    log.erase_personal_data("C-1", reason="request", at=T0 + timedelta(hours=3))
    view = log.get(complaint_id)
    assert view.status is Status.PAUSED
    assert view.last_activity_at == T0 + timedelta(hours=2)
    log.resume(complaint_id, at=T0 + timedelta(hours=4))  # handling goes on
    assert log.get(complaint_id).customer.erased


def test_sqlite_keeps_no_copy_of_a_shredded_key(tmp_path: Path) -> None:
    """secure_delete zeroes the deleted row; the checkpoint empties the write-ahead log."""
    path = tmp_path / "c.db"
    with ComplaintLog(f"sqlite:///{path}") as log:
        receive_ana(log)
        with sqlite3.connect(path) as conn:
            (secret,) = conn.execute(f"SELECT secret FROM {KEY_TABLE}").fetchone()
        conn.close()
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("c.db*"))
        assert secret in on_disk
        log.erase_personal_data("C-1", reason="request")
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("c.db*"))
        assert secret not in on_disk


def test_statistics_do_not_change_when_personal_data_is_erased(tmp_path: Path) -> None:
    projections = pytest.importorskip("complaintlog.projections")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with ComplaintLog(url, clock=lambda: T0 + timedelta(days=60)) as log:
        for n in range(4):
            complaint_id = receive_ana(log, at=T0 - timedelta(hours=n))
            if n % 2:
                lifecycle(log, complaint_id)
        with projections.Projections(log) as views:
            views.catch_up()
            month = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
            before = views.statistics.monthly(*month)
            assert before[0].received == 4
            assert before[0].resolved == 2
            assert before[0].repeat_complaints > 0  # grouped by the plain customer id
            log.erase_personal_data("C-1", reason="request", at=T0 + timedelta(days=40))
            views.catch_up()
            assert views.statistics.monthly(*month) == before


def test_concurrent_receives_for_one_customer_each_store_a_usable_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    logs = [ComplaintLog(url) for _ in range(3)]
    ids: list[UUID] = []

    def work(log: ComplaintLog) -> None:
        ids.extend(receive_ana(log) for _ in range(5))

    threads = [threading.Thread(target=work, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        with ComplaintLog(url) as reader:
            assert {reader.get(i).customer.name for i in ids} == {"Ana Lima"}
            erasure = reader.erase_personal_data("C-1", reason="request")
            assert erasure.keys_destroyed == 3
            assert {reader.get(i).customer.erased for i in ids} == {True}
    finally:
        for log in logs:
            log.close()


def test_a_store_without_personal_data_gets_no_key_table(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with ComplaintLog(f"sqlite:///{path}") as log:
        log.receive(customer={"id": "C-9"}, channel="web", subject="s", description="d")
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "stored_events" in tables
    assert KEY_TABLE not in tables

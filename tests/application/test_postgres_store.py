"""complaintlog's PostgreSQL event recorder: eventsourcing's contract, the rows sent by
``INSERT`` in pipeline mode (a batch of up to ``PIPELINED_MOST`` events) and by ``COPY``
(bigger batches), each checked against eventsourcing's own recorder."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory

from complaintlog import ComplaintLog
from complaintlog.persistence import postgres
from complaintlog.persistence.postgres import CopyingPostgresRecorder
from complaintlog.persistence.settings import parse_store_url

from .conftest import check_a_taken_version_fails_the_whole_batch

pytestmark = pytest.mark.postgres


def events(originator: UUID, versions: range, size: int = 40) -> list[StoredEvent]:
    state = bytes(range(256)) * (size // 256 + 1)  # every byte value, escapes included
    return [StoredEvent(originator, v, "t:Happened", state[: size + v]) for v in versions]


@pytest.fixture(params=["insert", "copy"])
def recorders(
    postgres_schema_url: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[PostgresApplicationRecorder, ...]]:
    """Ours and eventsourcing's, on two tables of one fresh schema; ours sending every
    batch by ``INSERT`` or every batch by ``COPY``."""
    monkeypatch.setattr(postgres, "PIPELINED_MOST", 1000 if request.param == "insert" else 0)
    env = parse_store_url(postgres_schema_url).env
    factory = PostgresFactory({k: v for k, v in env.items() if k != "APPLICATION_RECORDER_TOPIC"})
    made = (
        CopyingPostgresRecorder(factory.datastore, events_table_name="ours"),
        PostgresApplicationRecorder(factory.datastore, events_table_name="theirs"),
    )
    for recorder in made:
        recorder.create_table()
    yield made
    factory.close()


def test_batches_get_the_ids_and_rows_eventsourcing_gives_them(
    recorders: tuple[PostgresApplicationRecorder, ...],
) -> None:
    ours, theirs = recorders
    a, b = uuid4(), uuid4()
    for batch in (events(a, range(1, 4)), events(b, range(1, 2), 700), events(a, range(4, 9))):
        assert ours.insert_events(batch) == theirs.insert_events(batch)
    assert ours.insert_events([]) == []

    def read(recorder: PostgresApplicationRecorder) -> list[tuple[object, ...]]:
        page = recorder.select_notifications(start=1, limit=100)
        return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in page]

    assert read(ours) == read(theirs)
    assert [row[0] for row in read(ours)] == list(range(1, 10))


def test_a_batch_with_a_taken_version_records_none_of_its_events(
    recorders: tuple[PostgresApplicationRecorder, ...],
) -> None:
    check_a_taken_version_fails_the_whole_batch(recorders[0])


def test_concurrent_batches_each_get_their_own_rows_ids(
    recorders: tuple[PostgresApplicationRecorder, ...],
) -> None:
    ours, _ = recorders
    returned: dict[UUID, list[int]] = {}
    errors: list[BaseException] = []

    def write(originator: UUID) -> None:
        try:
            for first in range(1, 41, 10):
                ids = ours.insert_events(events(originator, range(first, first + 10)))
                assert ids is not None
                returned.setdefault(originator, []).extend(ids)
        except BaseException as error:  # reported below
            errors.append(error)

    writers = [threading.Thread(target=write, args=(uuid4(),)) for _ in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    assert not errors
    page = ours.select_notifications(start=1, limit=1000)
    assert [n.id for n in page] == list(range(1, 161))  # no gap, nothing doubled
    owner = {n.id: (n.originator_id, n.originator_version) for n in page}
    for originator, ids in returned.items():
        assert [owner[i] for i in ids] == [(originator, v) for v in range(1, 41)]


def test_a_postgres_log_records_with_this_recorder(postgres_schema_url: str) -> None:
    with ComplaintLog(postgres_schema_url) as log:
        assert isinstance(log._app.recorder, CopyingPostgresRecorder)
        complaint = log.receive(
            customer={"id": "c", "name": "Ann O'Neil\\tab"},
            channel="web",
            subject="s",
            description="d",
        )
        assert log.get(complaint).customer.name == "Ann O'Neil\\tab"

"""Views followed in partitions: N runners, each keeping one range of complaints current.

``Projections(log, partition="K/N")`` catches up only its partition's complaints and moves
its own tracking rows; together the partitions give the views of one runner (a clean
replay in log order, day rows included), also when they run at the same time. Views opened
without a partition read the lowest position and catch up partition by partition; another
number of partitions is refused; a rebuild joins them again.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from complaintlog import ComplaintLog, InvalidValueError
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import (
    LogReader,
    Partition,
    PartitionCountError,
    Projections,
    recorded_by,
)
from complaintlog.projections._store import TRACKING_TABLE, SqliteViewStore
from complaintlog.projections.worker import ProjectionWorker

from .conftest import dump_with_days
from .test_parallel_rebuild import POSITIONS, clean
from .test_rebuild_by_complaint import record

POLICY = SlaPolicy.preset("fca")


def tracking_rows(views: Projections) -> list[str]:
    return sorted(str(r[0]) for r in views.store.query(f"SELECT projection FROM {TRACKING_TABLE}"))


def test_two_partitions_together_give_the_views_of_one_runner(file_log: ComplaintLog) -> None:
    record(file_log, 15)
    with (
        Projections(file_log, policy=POLICY) as whole,
        Projections(file_log, policy=POLICY, partition="1/2", batch_size=9) as first,
        Projections(file_log, policy=POLICY, partition="2/2", batch_size=9) as second,
    ):
        whole.catch_up()  # the views were followed as one until now: the split starts there
        head = file_log.max_position()
        assert first.catch_up() == 0  # nothing new
        assert tracking_rows(whole) == sorted(f"{view}@{k}/2" for view in POSITIONS for k in (1, 2))
        record(file_log, 20, long_one=True)
        assert first.catch_up() == file_log.max_position() - head
        # the second partition is behind: the views' position is the lowest
        assert whole.positions() == dict.fromkeys(POSITIONS, head)
        with ProjectionWorker(file_log, policy=POLICY) as worker:
            lags = {row.view: row.lag for row in worker.status()}
        behind = file_log.max_position() - head
        assert lags == {
            **dict.fromkeys(POSITIONS, behind),
            **{f"{view}@1/2": 0 for view in POSITIONS},
            **{f"{view}@2/2": behind for view in POSITIONS},
        }
        second.catch_up()
        assert whole.positions() == dict.fromkeys(POSITIONS, file_log.max_position())
        assert dump_with_days(whole.store) == clean(file_log, POLICY)
        # views opened without a partition catch up partition by partition
        before = file_log.max_position()
        record(file_log, 4)
        assert whole.catch_up() == file_log.max_position() - before
        assert dump_with_days(whole.store) == clean(file_log, POLICY)
        assert first.catch_up() == 0
        assert second.catch_up() == 0


def test_partitions_catching_up_at_the_same_time(file_log: ComplaintLog) -> None:
    record(file_log, 60)
    errors: list[BaseException] = []

    def follow(partition: str) -> None:
        try:
            with Projections(file_log, policy=POLICY, partition=partition, batch_size=5) as v:
                for _ in range(3):
                    v.catch_up()
        except BaseException as error:  # reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=follow, args=(f"{k}/3",)) for k in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Projections(file_log, policy=POLICY) as whole:
        assert whole.positions() == dict.fromkeys(POSITIONS, file_log.max_position())
        assert dump_with_days(whole.store) == clean(file_log, POLICY)


def test_another_number_of_partitions_is_refused_until_a_rebuild(
    file_log: ComplaintLog,
) -> None:
    record(file_log, 6)
    with Projections(file_log, policy=POLICY, partition="1/2") as first:
        first.catch_up()
    with pytest.raises(PartitionCountError) as refused:
        Projections(file_log, policy=POLICY, partition="2/3").catch_up()
    assert (refused.value.field, refused.value.value, refused.value.stored) == (
        "partition",
        "2/3",
        2,
    )
    assert "followed in 2 partitions" in refused.value.rule
    with Projections(file_log, policy=POLICY) as whole:
        with pytest.raises(InvalidValueError):  # a partition does not rebuild alone
            Projections(file_log, policy=POLICY, partition="1/2").rebuild()
        assert whole.rebuild() == file_log.max_position()
        assert tracking_rows(whole) == sorted(POSITIONS)  # one row per view again
        assert dump_with_days(whole.store) == clean(file_log, POLICY)
    with Projections(file_log, policy=POLICY, partition="2/3") as now_three:
        assert now_three.catch_up() == 0


def test_a_partitions_reader_decodes_only_its_own_complaints(file_log: ComplaintLog) -> None:
    record(file_log, 12)
    reader = LogReader(file_log)
    try:
        everything = reader.read(0, 1_000)
        half = Partition(2, 2)
        mine = reader.read(0, 1_000, only=half.id_range)
    finally:
        reader.close()
    assert [e[0] for e in mine] == [e[0] for e in everything]  # every position, in order
    for full, read in zip(everything, mine, strict=True):
        if half.holds(full[1]):
            assert read == full
        else:  # not decoded: an event no view reads
            assert read == (full[0], full[1], "", 0, {})
    assert any(half.holds(e[1]) for e in everything)
    assert not all(half.holds(e[1]) for e in everything)


def test_a_partition_as_known_at_a_moment(file_log: ComplaintLog) -> None:
    """A recording-time filter sees only the partition's own events (the others come
    undecoded, without the time stamp it reads)."""
    record(file_log, 12)
    half = Partition(1, 2)
    store = SqliteViewStore(":memory:")
    known = recorded_by(datetime(2030, 1, 1, tzinfo=UTC))
    with Projections(file_log, policy=POLICY, store=store, partition=half, event_filter=known) as v:
        assert v.catch_up() == file_log.max_position()
        shown = {
            str(row[0])
            for row in store.query("SELECT complaint_id FROM complaintlog_current_state")
        }
    with ComplaintLog(file_log.settings.url) as same:
        everyone = {e[1] for e in LogReader(same).read(0, 1_000) if e[2] == "Received"}
    assert shown == {cid for cid in everyone if half.holds(cid)}
    assert shown

"""A rebuild shared by several processes, one partition of the complaints each.

``Projections.rebuild(workers=N)`` splits the complaint ids into N equal ranges and replays
each in a process of its own; the views, day rows included, come out equal to a clean
replay in log order, on SQLite and PostgreSQL. A process that fails leaves the views
marked, and the next runner starts them again.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import pytest

from complaintlog import ComplaintLog, InvalidValueError
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import ProjectionConflictError, Projections
from complaintlog.projections._framework.parallel import replay_in_processes
from complaintlog.projections._framework.partitions import Partition, partitions
from complaintlog.projections._tenants import TenantPolicies

from .conftest import DAY_TABLES, dump_with_days
from .test_rebuild_by_complaint import clean_replay, record

POSITIONS = ("current_state", "sla", "statistics")


def clean(log: ComplaintLog, policy: SlaPolicy) -> dict[str, list[tuple[Any, ...]]]:
    """A clean replay in log order, day rows included (in a fresh in-memory store)."""
    from complaintlog.projections._store import SqliteViewStore

    store = SqliteViewStore(":memory:")
    with Projections(log, policy=policy, store=store) as fresh:
        fresh.catch_up()
        result = dump_with_days(store)
    store.close()
    views_only = {table: rows for table, rows in result.items() if table not in DAY_TABLES}
    assert views_only == clean_replay(log, policy)  # the same clean replay as there
    return result


# -- partitions ------------------------------------------------------------------------------


def test_partitions_cover_the_id_space_once_in_equal_ranges() -> None:
    three = partitions(3)
    assert [str(p) for p in three] == ["1/3", "2/3", "3/3"]
    # hand-checked bounds: thirds of 2**128, as 32 hex digits
    third = (1 << 128) // 3
    assert three[0].after == ""
    assert three[0].before == f"{third:032x}"
    assert three[1].after == f"{third - 1:032x}"
    assert three[1].before == f"{2 * (1 << 128) // 3:032x}"
    assert three[2].before is None
    ids = [uuid.uuid4().hex for _ in range(3000)] + ["0" * 32, "f" * 32, f"{third:032x}"]
    for complaint_id in ids:
        holders = [p for p in three if p.holds(complaint_id)]
        assert len(holders) == 1
        # the same answer as the SQL bounds the reader uses
        (holder,) = holders
        assert holder.after < complaint_id
        assert holder.before is None or complaint_id < holder.before
    counts = [sum(p.holds(i) for i in ids[:3000]) for p in three]
    assert all(850 < n < 1150 for n in counts)  # about a third each (binomial, p=1/3)


@pytest.mark.parametrize(
    ("text", "field"), [("0/2", "partition"), ("3/2", "partition"), ("x", "partition")]
)
def test_a_partition_is_k_of_n(text: str, field: str) -> None:
    assert Partition.parse("2/4") == Partition(2, 4)
    with pytest.raises(InvalidValueError) as refused:
        Partition.parse(text)
    assert refused.value.field == field


# -- the rebuild -----------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [2, 3])
def test_a_rebuild_in_processes_gives_the_views_of_a_replay_in_log_order(
    file_log: ComplaintLog, workers: int
) -> None:
    record(file_log, 40, long_one=True)
    policy = SlaPolicy.preset("fca")
    with Projections(file_log, policy=policy, batch_size=7) as views:
        assert views.rebuild(workers=workers) == file_log.max_position()
        assert views.positions() == dict.fromkeys(POSITIONS, file_log.max_position())
        assert dump_with_days(views.store) == clean(file_log, policy)
        # and the views go on from there as usual
        record(file_log, 3)
        views.catch_up()
        assert dump_with_days(views.store) == clean(file_log, policy)


def failing_views(policies: TenantPolicies) -> list[Any]:
    """Views whose process fails at once (a module-level function: it pickles)."""
    raise RuntimeError(f"no views under {policies.default.name}")


def test_a_failed_process_leaves_the_views_to_be_started_again(
    file_log: ComplaintLog,
) -> None:
    record(file_log, 12)
    policy = SlaPolicy.preset("default")
    with (
        Projections(file_log, policy=policy) as other,
        Projections(file_log, policy=policy) as views,
    ):
        other.catch_up()
        factory = functools.partial(failing_views, views.policies)
        replay = functools.partial(replay_in_processes, file_log, factory, 2)
        with pytest.raises(RuntimeError, match="no views under default"):
            views._follower.rebuild(replay=replay)
        # the views are marked as being rebuilt: another runner does not touch them
        assert set(other.positions().values()) == {-1}
        with pytest.raises(ProjectionConflictError):
            other.catch_up()
        assert views.catch_up() == file_log.max_position()  # started again
        assert dump_with_days(views.store) == clean(file_log, policy)


def test_several_processes_need_a_store_they_can_all_open() -> None:
    with ComplaintLog("memory://") as log, Projections(log) as views:
        with pytest.raises(InvalidValueError) as refused:
            views.rebuild(workers=2)
        assert (refused.value.field, refused.value.value) == ("workers", 2)
        with pytest.raises(InvalidValueError):
            views.rebuild(workers=0)

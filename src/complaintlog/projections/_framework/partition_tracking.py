"""Where each partition of a view stands: one tracking row per view and partition.

Views followed by one runner have one tracking row each, named after the view
(``current_state``). The first runner that follows a partition (``--partition 1/2``) splits
that row into one per partition (``current_state@1/2``, ``current_state@2/2``), each at the
view's position, in one transaction under the openers' lock: two partitions opening at
once split it once. From then on each partition moves its own row;
a runner without a partition reads the views' position as the lowest of them, and catches
up partition by partition. A rebuild joins them again (one row per view).
"""

from __future__ import annotations

from collections.abc import Mapping

from complaintlog.errors import InvalidValueError
from complaintlog.projections._framework.partitions import Partition
from complaintlog.projections._store import (
    TRACKING_TABLE,
    ProjectionConflictError,
    Transaction,
    ViewPolicyMismatchError,
    ViewStore,
    compose,
)

__all__ = [
    "PartitionCountError",
    "join",
    "partition_count",
    "partition_rows",
    "partitions_in",
    "split",
    "tracking_key",
    "tracking_rows",
]

Tracking = Mapping[str, tuple[int, str]]
"""The tracking table: position and configuration by row name."""


class PartitionCountError(InvalidValueError):
    """The views are followed in another number of partitions than asked for."""

    def __init__(self, view: str, stored: int, asked: Partition) -> None:
        rule = (
            f"the views are followed in {stored} partitions (view {view!r}): run {stored} "
            f"workers, or rebuild the views to change the number"
        )
        super().__init__("partition", str(asked), rule)
        self.stored = stored


def tracking_key(view: str, partition: Partition | None) -> str:
    """The tracking row of ``view`` (of one of its partitions)."""
    return view if partition is None else f"{view}@{partition}"


def tracking_rows(store: ViewStore | Transaction) -> dict[str, tuple[int, str]]:
    """Every tracking row, in one query: a catch-up reads its positions and whether the
    views are followed in partitions from one look (a round trip each on PostgreSQL)."""
    return {
        str(name): (int(position), str(config))
        for name, position, config in store.query(
            compose("SELECT projection, position, config FROM {table}", table=TRACKING_TABLE)
        )
    }


def partitions_in(rows: Tracking, view: str) -> dict[Partition, tuple[int, str]]:
    """The view's partition rows among ``rows``: position and configuration by partition
    (none: the view has one row of its own, or none yet)."""
    found: dict[Partition, tuple[int, str]] = {}
    for name, tracked in rows.items():
        head, at, part = name.partition("@")
        if at and head == view:
            found[Partition.parse(part)] = tracked
    return found


def partition_rows(store: ViewStore | Transaction, view: str) -> dict[Partition, tuple[int, str]]:
    """The view's partition rows as stored now (see :func:`partitions_in`)."""
    return partitions_in(tracking_rows(store), view)


def partition_count(rows: Tracking) -> int | None:
    """How many partitions the views are followed in (None: as one), from the tracking
    rows the catch-up read."""
    for name in rows:
        _, at, part = name.partition("@")
        if at:
            return Partition.parse(part).count
    return None


def split(tx: Transaction, view: str, partition: Partition, config: str) -> None:
    """Give ``view`` one row per partition (as many as ``partition``'s), where its own row
    stands (new views: at 0), unless it has them already. In the caller's transaction,
    which holds the openers' lock: two partitions opening at once split it once."""
    found = partition_rows(tx, view)
    if partition in found:
        return
    if found:
        raise PartitionCountError(view, next(iter(found)).count, partition)
    rows = tx.query(
        compose("SELECT position, config FROM {table} WHERE projection = ?", table=TRACKING_TABLE),
        (view,),
    )
    position, stored = (int(rows[0][0]), str(rows[0][1])) if rows else (0, config)
    if position < 0:  # being rebuilt
        raise ProjectionConflictError(view, position)
    if stored != config:
        raise ViewPolicyMismatchError(view, stored, config)
    tx.execute(compose("DELETE FROM {table} WHERE projection = ?", table=TRACKING_TABLE), (view,))
    for index in range(1, partition.count + 1):
        tx.execute(
            compose(
                "INSERT INTO {table} (projection, position, config) VALUES (?, ?, ?)",
                table=TRACKING_TABLE,
            ),
            (tracking_key(view, Partition(index, partition.count)), position, config),
        )


def join(tx: Transaction, view: str) -> None:
    """Forget the view's partition rows (a reset starts it again as one)."""
    for partition in partition_rows(tx, view):
        tx.execute(
            compose("DELETE FROM {table} WHERE projection = ?", table=TRACKING_TABLE),
            (tracking_key(view, partition),),
        )

"""Complaint partitions: N ranges of complaint ids, so that N processes share the views' work.

Complaint ids are UUIDs, random or derived from a key by hashing (``uuid5``): their values
spread evenly over the 128-bit space, so its N equal ranges hold about as many complaints
each, like a hash would, and one range read in id order is a range of the event table's
primary key index (``(originator_id, originator_version)``). Every view row belongs to one
complaint, so partitions never share a row: processes rebuilding or following different
partitions never write the same row (the statistics' and SLA's day rows, which sum over
complaints, are derived or updated under a row lock).

A partition is written ``K/N`` (the K-th of N, from 1), as ``--partition`` takes it.
"""

from __future__ import annotations

import attrs

from complaintlog.errors import InvalidValueError

__all__ = ["PAST_EVERY_ID", "Partition", "partitions"]

_SPACE = 1 << 128

PAST_EVERY_ID = "g"
"""Sorts after every id of 32 hex digits: the upper bound of the last partition."""


def _hex(value: int) -> str:
    """32 hex digits, as the reader writes complaint ids (``UUID.hex``)."""
    return f"{value:032x}"


@attrs.frozen
class Partition:
    """The ``index``-th (from 1) of ``count`` equal ranges of complaint ids."""

    index: int
    count: int

    def __attrs_post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            rule = "K/N: N a whole number of partitions, at least 1"
            raise InvalidValueError("partition", f"{self.index}/{self.count}", rule)
        if not isinstance(self.index, int) or not 1 <= self.index <= self.count:
            rule = f"a partition from 1 to {self.count}"
            raise InvalidValueError("partition", f"{self.index}/{self.count}", rule)

    @classmethod
    def parse(cls, text: str) -> Partition:
        """``"2/4"``: the second of four."""
        index, slash, count = text.partition("/")
        if not slash or not index.strip().isdigit() or not count.strip().isdigit():
            raise InvalidValueError("partition", text, "K/N: the K-th of N partitions, e.g. 1/2")
        return cls(int(index), int(count))

    @property
    def lowest(self) -> int:
        return (self.index - 1) * _SPACE // self.count

    @property
    def highest(self) -> int:
        """The first id past the partition."""
        return self.index * _SPACE // self.count

    @property
    def after(self) -> str:
        """The id just before the partition, for ``originator_id > after`` ("" for the first)."""
        return _hex(self.lowest - 1) if self.index > 1 else ""

    @property
    def before(self) -> str | None:
        """The first id past the partition, for ``originator_id < before`` (None: the last)."""
        return _hex(self.highest) if self.index < self.count else None

    @property
    def id_range(self) -> tuple[str, str]:
        """``(after, before)``: the partition's ids are those between, as strings of 32 hex
        digits compare."""
        return self.after, self.before or PAST_EVERY_ID

    def holds(self, complaint_id: str) -> bool:
        """Whether a complaint id (32 hex digits) falls in this partition."""
        if self.count == 1:
            return True
        value = int(complaint_id, 16)
        return self.lowest <= value < self.highest

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def partitions(count: int) -> list[Partition]:
    """All ``count`` partitions, in id order."""
    return [Partition(index, count) for index in range(1, Partition(1, count).count + 1)]

"""What an import did, counted so that the counts add up to the rows of the file."""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs

__all__ = ["ImportSummary", "Rejected"]


@attrs.frozen
class Rejected:
    """A row that was not recorded, with its first line in the file and the reason."""

    line: int
    reason: str
    cells: tuple[str, ...] = ()


@attrs.define
class ImportSummary:
    """Each row is counted exactly once: ``imported + corrected + duplicate + rejected == rows``.

    ``imported`` rows were recorded as they are; ``corrected`` rows were recorded with an
    explicit ``correction`` attribute saying what was changed; ``duplicate`` rows were
    already in the log (same external reference) and added nothing; ``rejected`` rows were
    not recorded, and ``rejects`` says why.
    """

    file: str
    format: str
    rows: int = 0
    imported: int = 0
    corrected: int = 0
    duplicate: int = 0
    rejected: int = 0
    events: int = 0
    """Complaint events recorded (the external-reference index events not counted)."""
    index_events: int = 0
    """External-reference index events recorded (one per stored complaint with a
    reference): ``export`` lists them too, so it shows ``events + index_events``."""
    other_channels: Counter[str] = attrs.field(factory=Counter)
    """Channel values the format did not know, each recorded as ``other``, with how often
    (the raw value stays in its column's attribute)."""
    seconds: float = 0.0
    rejects: list[Rejected] = attrs.field(factory=list)
    corrections: list[tuple[int, str]] = attrs.field(factory=list)

    @property
    def stored(self) -> int:
        """Complaints recorded by this import."""
        return self.imported + self.corrected

    @property
    def balanced(self) -> bool:
        return self.imported + self.corrected + self.duplicate + self.rejected == self.rows

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "imported": self.imported,
            "corrected": self.corrected,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "events": self.events,
            "index_events": self.index_events,
            "events_in_store": self.events + self.index_events,
            "channels_recorded_as_other": dict(self.other_channels.most_common()),
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second, 1),
            "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejects],
            "corrections": [{"line": line, "correction": text} for line, text in self.corrections],
        }

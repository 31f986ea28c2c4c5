"""Choosing how to read a file: a mapping file when one is given, else a CFPB layout.

The CFPB layouts are recognised by their exact header; anything else needs a mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from complaintlog.importing.cfpb import CFPB_LAYOUTS
from complaintlog.importing.errors import ImportFileError, MappingFileError
from complaintlog.importing.mapping import MappedFormat, Mapping
from complaintlog.importing.plan import ComplaintPlan
from complaintlog.importing.source import SourceRow

__all__ = ["RowFormat", "detect_format"]


class RowFormat(Protocol):
    """Turns a row into a plan, or raises ``RowRejectedError`` with the reason."""

    @property
    def name(self) -> str: ...

    def plan(self, row: SourceRow) -> ComplaintPlan: ...


def detect_format(
    path: Path,
    header: tuple[str, ...],
    mapping: Mapping | None = None,
    mapping_path: Path | None = None,
) -> RowFormat:
    """The format for a file with this header."""
    if mapping is not None:
        problems = mapping.problems(header)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise MappingFileError(mapping_path or "<mapping>", problems[0] + more)
        return MappedFormat(mapping, header, name=f"mapping:{mapping.source.name}")
    for layout in CFPB_LAYOUTS:
        if layout.matches(header):
            return layout
    shown = ", ".join(header[:4]) + (", ..." if len(header) > 4 else "")
    msg = (
        f"unknown layout (header: {shown}): not a CFPB export with 18 or 14 columns; "
        "describe the columns in a TOML file and pass --mapping FILE"
    )
    raise ImportFileError(path, msg, 1)

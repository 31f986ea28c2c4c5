"""What an import refuses: a whole file (fatal, one line) or a single row (rejected, counted)."""

from __future__ import annotations

from pathlib import Path

from complaintlog.errors import ComplaintLogError

__all__ = ["ImportFileError", "MappingFileError", "RowRejectedError"]


class ImportFileError(ComplaintLogError):
    """The file cannot be imported at all: missing, unreadable, not CSV, unknown layout.

    Rows already saved in earlier batches stay saved; importing the file again after the
    fix adds only what is missing.
    """

    def __init__(self, path: Path | str, problem: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


class MappingFileError(ComplaintLogError):
    """A TOML mapping file is missing, malformed or describes an impossible mapping."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"mapping {path}: {problem}")


class RowRejectedError(ComplaintLogError):
    """One row cannot be recorded faithfully; it goes to the rejects, with this reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)

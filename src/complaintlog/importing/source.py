"""Reading a CSV file as rows that know their line number and their digest.

A cell may span several lines (CFPB narratives do), so a row's line number is the line its
record starts on, counting the header as line 1: what an editor shows.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import attrs

from complaintlog.importing.errors import ImportFileError

__all__ = ["CsvSource", "SourceRow"]

csv.field_size_limit(10_000_000)  # narratives are long; the default 128 KiB is too small


@attrs.frozen
class SourceRow:
    """One data row: its first line in the file, its cells and a stable digest.

    ``digest`` is the SHA-256 of the cells; ``occurrence`` counts identical rows seen so
    far in the file (1 for the first), so two identical rows stay two complaints while a
    second import of the same file still finds each of them again.
    """

    line: int
    cells: tuple[str, ...]
    header: tuple[str, ...]
    digest: str
    occurrence: int

    def get(self, column: str) -> str:
        """The cell under ``column``, stripped; empty when the row has no such cell."""
        try:
            index = self.header.index(column)
        except ValueError:
            return ""
        return self.cells[index].strip() if index < len(self.cells) else ""

    def as_dict(self) -> dict[str, str]:
        return dict(zip(self.header, self.cells, strict=False))

    @property
    def row_key(self) -> str:
        """The digest plus the occurrence: unique within a file, stable across imports."""
        suffix = f"-{self.occurrence}" if self.occurrence > 1 else ""
        return self.digest[:24] + suffix


def _digest(cells: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(cells).encode("utf-8")).hexdigest()


@attrs.define
class CsvSource:
    """A CSV file with a header row. Iterating yields the data rows in file order."""

    path: Path
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    header: tuple[str, ...] = ()

    @classmethod
    def open(
        cls, path: Path | str, *, encoding: str = "utf-8-sig", delimiter: str = ","
    ) -> CsvSource:
        file = Path(path)
        if not file.exists():
            raise ImportFileError(file, "no such file")
        if not file.is_file():
            raise ImportFileError(file, "not a file")
        source = cls(file, encoding, delimiter)
        with source._open() as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            try:
                first = next(reader, None)
            except csv.Error as error:
                raise ImportFileError(file, f"not a readable CSV file: {error}", 1) from None
            except UnicodeDecodeError as error:
                msg = f"not {encoding} text: {error.reason} at byte {error.start}"
                raise ImportFileError(file, msg) from None
        if not first or not any(cell.strip() for cell in first):
            raise ImportFileError(file, "the file is empty: a header row is needed", 1)
        source.header = tuple(cell.strip() for cell in first)
        return source

    def _open(self) -> TextIO:
        try:
            return self.path.open(encoding=self.encoding, newline="")
        except OSError as error:
            raise ImportFileError(self.path, f"cannot read: {error.strerror}") from None

    def __iter__(self) -> Iterator[SourceRow]:
        seen: Counter[str] = Counter()
        with self._open() as handle:
            reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
            previous_end = 0
            try:
                for number, raw in enumerate(reader):
                    start, previous_end = previous_end + 1, reader.line_num
                    if number == 0 or not raw:
                        continue  # the header, or a blank line
                    cells = tuple(raw)
                    digest = _digest(cells)
                    seen[digest] += 1
                    yield SourceRow(start, cells, self.header, digest, seen[digest])
            except csv.Error as error:
                raise ImportFileError(
                    self.path, f"malformed CSV: {error}", previous_end + 1
                ) from None
            except UnicodeDecodeError as error:
                msg = f"not {self.encoding} text: {error.reason} at byte {error.start}"
                raise ImportFileError(self.path, msg) from None

    def count(self) -> int:
        """How many data rows the file holds; checks the whole file's CSV syntax first."""
        return sum(1 for _ in self)

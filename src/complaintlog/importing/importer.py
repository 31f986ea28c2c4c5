"""``import_csv``: a CSV file into the log, nothing lost and nothing doubled.

Each row is keyed by its external reference (``cfpb:<Complaint ID>``, a mapping's
``external_ref`` template, or the row's digest); a row whose reference the log already
knows is a duplicate and adds nothing, so importing a file twice is safe. A row that cannot
be recorded faithfully is rejected with its line number and the reason (and written to the
rejects file when one is given); a row whose times run backwards is recorded with an
explicit ``correction`` attribute. The whole file's CSV syntax is checked before anything
is saved.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.errors import InvalidValueError
from complaintlog.importing.errors import ImportFileError, RowRejectedError
from complaintlog.importing.formats import detect_format
from complaintlog.importing.mapping import Mapping, load_mapping
from complaintlog.importing.plan import ComplaintPlan
from complaintlog.importing.source import CsvSource, SourceRow
from complaintlog.importing.summary import ImportSummary, Rejected
from complaintlog.importing.writer import PlanWriter
from complaintlog.persistence.seal import AuditKey

__all__ = ["Enrich", "Progress", "import_csv"]

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in the file) as the import goes."""

Enrich = Callable[[ComplaintPlan], ComplaintPlan]
"""Adds steps to a plan before it is checked and saved (the simulation does this)."""


def import_csv(
    log: ComplaintLog,
    path: Path | str,
    *,
    mapping: Mapping | Path | str | None = None,
    rejects: Path | str | None = None,
    batch_size: int = 250,
    progress: Progress | None = None,
    enrich: Enrich | None = None,
) -> ImportSummary:
    """Import ``path`` (a CFPB export, or any CSV described by ``mapping``) into ``log``."""
    started = time.perf_counter()
    mapping_path = None if mapping is None or isinstance(mapping, Mapping) else Path(mapping)
    if mapping_path is not None:
        mapping = load_mapping(mapping_path)
    assert mapping is None or isinstance(mapping, Mapping)
    options = mapping.source if mapping is not None else None
    source = CsvSource.open(
        path,
        encoding=options.encoding if options else "utf-8-sig",
        delimiter=options.delimiter if options else ",",
    )
    row_format = detect_format(source.path, source.header, mapping, mapping_path)
    total = source.count()
    summary = ImportSummary(file=str(path), format=row_format.name)
    by_line: dict[int, SourceRow] = {}

    def saved(plan: ComplaintPlan) -> None:
        by_line.pop(plan.line, None)
        if plan.channel_source is not None:
            summary.other_channels[plan.channel_source] += 1
        if plan.corrected:
            summary.corrected += 1
            summary.corrections.append((plan.line, "; ".join(plan.corrections)))
        else:
            summary.imported += 1

    def refused(plan: ComplaintPlan, reason: str) -> None:
        row = by_line.pop(plan.line, None)
        reject(plan.line, reason, row.cells if row else ())

    def duplicate(plan: ComplaintPlan) -> None:
        by_line.pop(plan.line, None)
        summary.duplicate += 1

    def reject(line: int, reason: str, cells: tuple[str, ...]) -> None:
        summary.rejected += 1
        summary.rejects.append(Rejected(line, reason, cells))

    writer = PlanWriter(
        log, batch_size=batch_size, on_saved=saved, on_refused=refused, on_duplicate=duplicate
    )
    first_position = log.max_position()
    # An empty log holds no duplicates: skip the per-row lookup (a concurrent writer is
    # still caught, by the store's unique external reference, and counted as duplicate).
    look_up = first_position > 0
    seen: set[str] = set()
    now = log.clock()
    row_key = log.audit_key
    for row in source:
        summary.rows += 1
        try:
            plan = _keyed_row_digest(row_format.plan(row), row_key)
            if plan.external_ref in seen or (look_up and _stored(log, plan.external_ref)):
                summary.duplicate += 1
            else:
                seen.add(plan.external_ref)
                if enrich is not None:
                    plan = enrich(plan)
                by_line[row.line] = row
                writer.add(plan.checked(now))
        except RowRejectedError as error:
            by_line.pop(row.line, None)
            reject(row.line, error.reason, row.cells)
        if progress is not None:
            progress(summary.rows, total)
    writer.flush()
    # every stored complaint also registered its external reference (one index event)
    summary.index_events = summary.stored
    summary.events = log.max_position() - first_position - summary.index_events
    summary.seconds = time.perf_counter() - started
    if rejects is not None:
        write_rejects(Path(rejects), source.header, summary.rejects)
    return summary


REJECTS_WARNING = (
    "reason (WARNING: the cells after this column are the source rows exactly as they "
    "were, not neutralised: a cell starting with = + - @ may run as a formula in a "
    "spreadsheet)"
)


def write_rejects(path: Path, header: tuple[str, ...], rejects: list[Rejected]) -> None:
    """The rejected rows as they were, with their line and the reason in front.

    The rows are kept verbatim, so they can be corrected and imported again; the header
    warns that cells may be formulas (see docs/security.md).
    """
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(("line", REJECTS_WARNING, *header))
            for rejected in rejects:
                out.writerow((rejected.line, rejected.reason, *rejected.cells))
    except OSError as error:
        raise ImportFileError(path, f"cannot write the rejects: {error.strerror}") from None


def _keyed_row_digest(plan: ComplaintPlan, key: AuditKey | None) -> ComplaintPlan:
    """The row's digest as ``row_hmac``, keyed with the audit key, or not kept at all.

    A plain SHA-256 of every cell lets anyone holding the store test guessed names and
    recover erased personal data in seconds; without the key the HMAC cannot be tested.
    """
    attributes = plan.receive.get("attributes")
    if not isinstance(attributes, dict) or "row_sha256" not in attributes:
        return plan
    kept = {k: v for k, v in attributes.items() if k != "row_sha256"}
    if key is not None:
        kept["row_hmac"] = key.row_mac(str(attributes["row_sha256"]))
    return attrs.evolve(plan, receive={**plan.receive, "attributes": kept})


def _stored(log: ComplaintLog, external_ref: str) -> bool:
    """Whether a complaint with this reference is stored; a malformed one rejects the row."""
    try:
        return log.find(external_ref) is not None
    except InvalidValueError as error:
        raise RowRejectedError(f"external reference {error.rule}: {external_ref[:80]!r}") from None

"""Verify that the stored history is complete and unaltered.

Two chains protect the log. Inside each complaint, every event's ``chain`` links it to its
predecessor (see :mod:`complaintlog.domain.chain`), so an edited, removed, reordered or
inserted event shows where it happened. Over the whole log, a running head digest covers
every stored record in recording order; keep the head (``head_digest``) somewhere the
store's administrators cannot write, and ``verify(log, expected_head=...)`` proves that
nothing recorded up to that point has changed since, not even a whole forged re-chaining.

What it cannot prove: a digest says nothing if an attacker can also replace the digest you
kept, and events written through the application by someone authorised are, by design,
history rather than tampering.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from uuid import UUID

import attrs

from complaintlog.application import ComplaintLog
from complaintlog.domain.chain import GENESIS, content_of, link
from complaintlog.errors import InvalidValueError

__all__ = ["AuditProblem", "AuditReport", "head_digest", "verify"]

_COMPLAINT_TOPIC_PREFIX = "complaintlog.domain.complaint:Complaint."


@attrs.frozen
class AuditProblem:
    """One place where the stored history is not what was recorded."""

    position: int
    complaint_id: UUID | None
    version: int | None
    kind: str
    """edited, missing, reordered, inserted, unreadable or head-mismatch"""
    detail: str

    def __str__(self) -> str:
        where = f"position {self.position}"
        if self.complaint_id is not None:
            where += f", complaint {self.complaint_id} v{self.version}"
        return f"{where}: {self.kind}: {self.detail}"


@attrs.frozen
class AuditReport:
    head: str
    """``position:digest`` of the whole log, to keep and check against later."""
    events: int
    complaints: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _as_bytes(state: object) -> bytes:
    """Stored state as bytes, even when a tampered row holds text instead of a blob."""
    if isinstance(state, bytes | bytearray | memoryview):
        return bytes(state)
    return str(state).encode("utf-8", "surrogatepass")


def _advance_head(
    head: bytes, position: int, originator: str, version: int, topic: str, state: bytes
) -> bytes:
    digest = hashlib.sha256(head)
    digest.update(f"|{position}|{originator}|{version}|{topic}|".encode())
    digest.update(hashlib.sha256(state).digest())
    return digest.digest()


def _parse_head(expected: str) -> tuple[int, str]:
    position, _, digest = expected.partition(":")
    if not position.isdigit() or len(digest) != 64:
        msg = "a head digest reads POSITION:SHA256HEX, as printed by head_digest()"
        raise InvalidValueError("expected_head", expected, msg)
    return int(position), digest.lower()


def _walk(
    log: ComplaintLog, expected_head: str | None
) -> Iterator[AuditProblem | tuple[str, int, int]]:
    """Yield problems as found, then one final (head, events, complaints) tuple."""
    check_at, check_digest = _parse_head(expected_head) if expected_head else (None, None)
    streams: dict[str, tuple[int, str]] = {}  # originator -> (last version, last chain)
    head = b""
    last_position = 0
    events = 0
    # SQLite numbers records without gaps, so a gap is a deletion. PostgreSQL's sequence
    # also skips numbers that refused inserts used up (a lost race, a duplicate reference),
    # so there deletions are found by version gaps and by a kept head instead.
    gapless = log.settings.kind != "postgres"
    for notification in log.notifications():
        position = notification.id
        if gapless and position != last_position + 1:
            yield AuditProblem(
                position,
                None,
                None,
                "missing",
                f"records {last_position + 1}..{position - 1} of the log are gone",
            )
        originator = str(notification.originator_id)
        version = notification.originator_version
        head = _advance_head(
            head, position, originator, version, notification.topic, _as_bytes(notification.state)
        )
        last_position = position
        events += 1
        if check_at is not None and position == check_at and head.hex() != check_digest:
            yield AuditProblem(
                position,
                None,
                None,
                "head-mismatch",
                "the log up to here differs from the kept head",
            )
        if not notification.topic.startswith(_COMPLAINT_TOPIC_PREFIX):
            continue
        yield from _check_event(log, streams, notification, UUID(originator), version, position)
    if check_at is not None and last_position < check_at:
        yield AuditProblem(
            last_position, None, None, "missing", f"the log ends before the kept head at {check_at}"
        )
    yield (f"{last_position}:{head.hex()}", events, len(streams))


def _check_event(
    log: ComplaintLog,
    streams: dict[str, tuple[int, str]],
    notification: object,
    complaint_id: UUID,
    version: int,
    position: int,
) -> Iterator[AuditProblem]:
    key = str(complaint_id)
    last_version, previous = streams.get(key, (0, GENESIS))
    try:
        state = log.mapper.decode_stored_state(notification)  # type: ignore[arg-type]
    except Exception as error:  # any decoding failure means the bytes were changed
        yield AuditProblem(position, complaint_id, version, "unreadable", str(error)[:200])
        streams[key] = (version, "")
        return
    stored_chain = str(state.get("chain", ""))
    topic = getattr(notification, "topic", "")
    if version <= last_version:
        yield AuditProblem(
            position, complaint_id, version, "reordered", f"v{version} comes after v{last_version}"
        )
    elif version > last_version + 1:
        yield AuditProblem(
            position,
            complaint_id,
            version,
            "missing" if last_version else "inserted",
            f"v{last_version + 1}..v{version - 1} are not in the log"
            if last_version
            else "the complaint's history does not start with v1",
        )
    elif link(previous, topic, complaint_id, version, content_of(state)) != stored_chain:
        yield AuditProblem(
            position,
            complaint_id,
            version,
            "edited",
            "content or predecessor differs from what was chained when it was recorded",
        )
    streams[key] = (max(version, last_version), stored_chain)


def verify(log: ComplaintLog, expected_head: str | None = None) -> AuditReport:
    """Walk the whole log and report every place where history was altered."""
    problems: list[AuditProblem] = []
    for item in _walk(log, expected_head):
        if isinstance(item, AuditProblem):
            problems.append(item)
        else:
            head, events, complaints = item
    return AuditReport(head=head, events=events, complaints=complaints, problems=tuple(problems))


def head_digest(log: ComplaintLog) -> str:
    """The head digest of the log as it stands, ``position:sha256``: keep it safe."""
    return verify(log).head

"""Verify that the stored history is complete and unaltered.

Four kinds of evidence, strongest last:

* inside each complaint, every event's ``chain`` links it to its predecessor (see
  :mod:`complaintlog.domain.chain`): an edited, removed, reordered or inserted event shows
  where it happened, unless the intruder recomputed the hashes;
* every personal-data key a complaint was sealed with must exist until a
  ``PersonalDataErased`` event says why it does not;
* with an audit key (:mod:`complaintlog.persistence.seal`) every record carries a seal
  only the key's holder can make: a forged, edited or re-versioned record of any kind is
  found even when its hash chain was recomputed;
* a kept head, or better a signed checkpoint (:mod:`complaintlog.application.checkpoints`),
  covers every position up to it: deleted, inserted or moved records, whole complaints
  included, are found, and the checkpoint's block heads name the first range that differs.

Problems are reported in position order, so the first one is where the damage starts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from uuid import UUID

import attrs
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from complaintlog.application.checkpoints import BLOCK, Checkpoint, sign_checkpoint
from complaintlog.application.log import ComplaintLog
from complaintlog.domain.chain import GENESIS, content_of, link
from complaintlog.domain.complaint import Complaint
from complaintlog.errors import HistoryAlteredError, InvalidValueError, StoreConfigurationError
from complaintlog.persistence.seal import AuditKey, split_seal

__all__ = ["AuditProblem", "AuditReport", "checkpoint", "head_digest", "verify"]

_COMPLAINT_TOPIC_PREFIX = "complaintlog.domain.complaint:Complaint."
_RECEIVED = get_topic(Complaint.Received)
_ERASED = get_topic(Complaint.PersonalDataErased)
_KEY_CHUNK = 500


@attrs.frozen
class AuditProblem:
    """One place where the stored history is not what was recorded."""

    position: int
    complaint_id: UUID | None
    version: int | None
    kind: str
    """edited, missing, reordered, inserted, unreadable, unsealed, bad-seal, key-missing,
    head-mismatch or bad-checkpoint"""
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
    sealed: bool = False
    """Whether every record's seal was checked with the audit key."""
    checkpoints: int = 0
    """How many signed checkpoints were checked."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> AuditProblem | None:
        """Where the damage starts."""
        return self.problems[0] if self.problems else None


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


@attrs.define
class _Walk:
    """One pass over the log, in recording order."""

    log: ComplaintLog
    key: AuditKey | None
    watched: list[int]
    """Positions whose head is wanted (kept heads, checkpoints), sorted."""
    problems: list[AuditProblem] = attrs.Factory(list)
    unsealed: list[AuditProblem] = attrs.Factory(list)
    streams: dict[str, tuple[int, str]] = attrs.Factory(dict)
    head: bytes = b""
    last_position: int = 0
    events: int = 0
    stop: int | None = None
    heads_at: dict[int, str] = attrs.Factory(dict)
    sealed_with: dict[str, tuple[int, UUID]] = attrs.Factory(dict)
    erased: set[UUID] = attrs.Factory(set)

    def run(self) -> None:
        # SQLite numbers records without gaps, so a gap is a deletion. PostgreSQL's sequence
        # also skips numbers that refused inserts used up (a lost race, a duplicate
        # reference), so there deletions are found by version gaps, kept heads and
        # checkpoints instead.
        gapless = self.log.settings.kind != "postgres"
        next_watch = 0
        for notification in self.log.notifications(stop=self.stop):
            position = notification.id
            while next_watch < len(self.watched) and self.watched[next_watch] < position:
                self.heads_at[self.watched[next_watch]] = self.head.hex()
                next_watch += 1
            if gapless and position != self.last_position + 1:
                gone = f"records {self.last_position + 1}..{position - 1} of the log are gone"
                self.problems.append(AuditProblem(position, None, None, "missing", gone))
            self._record(notification)
        for position in self.watched[next_watch:]:
            if position <= self.last_position:
                self.heads_at[position] = self.head.hex()
        self._check_keys()

    def _record(self, notification: Notification) -> None:
        position = notification.id
        originator = str(notification.originator_id)
        version = notification.originator_version
        topic = notification.topic
        self.head = _advance_head(
            self.head, position, originator, version, topic, _as_bytes(notification.state)
        )
        self.last_position = position
        self.events += 1
        try:
            raw = self.log.mapper.plain_bytes(notification)
        except Exception as error:  # a cipher or compressor refusing means changed bytes
            self._problem(position, None, None, "unreadable", str(error)[:200])
            return
        if self.key is not None:
            self._check_seal(position, originator, version, topic, raw)
        if topic.startswith(_COMPLAINT_TOPIC_PREFIX):
            self._check_event(notification, UUID(originator), version, position)

    def _problem(
        self, position: int, complaint: UUID | None, version: int | None, kind: str, detail: str
    ) -> None:
        self.problems.append(AuditProblem(position, complaint, version, kind, detail))

    def _check_seal(
        self, position: int, originator: str, version: int, topic: str, raw: bytes
    ) -> None:
        assert self.key is not None
        body, key_id, mac = split_seal(raw)
        complaint = UUID(originator) if topic.startswith(_COMPLAINT_TOPIC_PREFIX) else None
        where = (position, complaint, version if complaint else None)
        if key_id is None:
            detail = "no seal: written without the audit key, or by someone who does not hold it"
            self.unsealed.append(AuditProblem(*where, "unsealed", detail))
        elif key_id != self.key.key_id:
            self._problem(*where, "bad-seal", f"sealed with another audit key ({key_id})")
        elif not hmac.compare_digest(mac or "", self.key.mac(originator, version, topic, body)):
            detail = "its seal does not match: edited, or forged without the audit key"
            self._problem(*where, "bad-seal", detail)

    def _check_event(
        self, notification: Notification, complaint_id: UUID, version: int, position: int
    ) -> None:
        key = str(complaint_id)
        last_version, previous = self.streams.get(key, (0, GENESIS))
        try:
            state = self.log.mapper.decode_stored_state(notification)
        except Exception as error:  # any decoding failure means the bytes were changed
            self._problem(position, complaint_id, version, "unreadable", str(error)[:200])
            self.streams[key] = (version, "")
            return
        stored_chain = str(state.get("chain", ""))
        topic = notification.topic
        if version <= last_version:
            detail = f"v{version} comes after v{last_version}"
            self._problem(position, complaint_id, version, "reordered", detail)
        elif version > last_version + 1:
            if last_version:
                detail = f"v{last_version + 1}..v{version - 1} are not in the log"
                self._problem(position, complaint_id, version, "missing", detail)
            else:
                detail = "the complaint's history does not start with v1"
                self._problem(position, complaint_id, version, "inserted", detail)
        elif link(previous, topic, complaint_id, version, content_of(state)) != stored_chain:
            detail = "content or predecessor differs from what was chained when it was recorded"
            self._problem(position, complaint_id, version, "edited", detail)
        self.streams[key] = (max(version, last_version), stored_chain)
        if topic == _RECEIVED and isinstance(state.get("personal"), dict):
            key_id = state["personal"].get("key_id")
            if isinstance(key_id, str):
                self.sealed_with[key_id] = (position, complaint_id)
        elif topic == _ERASED:
            self.erased.add(complaint_id)

    def _check_keys(self) -> None:
        """Every key still sealing a complaint that was not erased must still exist."""
        wanted = [k for k, (_, cid) in self.sealed_with.items() if cid not in self.erased]
        for start in range(0, len(wanted), _KEY_CHUNK):
            chunk = wanted[start : start + _KEY_CHUNK]
            present = self.log.stored_key_ids(chunk)
            for key_id in chunk:
                if key_id not in present:
                    position, complaint_id = self.sealed_with[key_id]
                    detail = (
                        f"the personal-data key {key_id} is gone, but no PersonalDataErased "
                        "event records an erasure"
                    )
                    self._problem(position, complaint_id, 1, "key-missing", detail)


def _check_heads(
    walk: _Walk, expected: tuple[int, str] | None, checkpoints: Iterable[Checkpoint]
) -> int:
    """Compare the log with a kept head and signed checkpoints; returns how many checked."""
    if expected is not None:
        at, digest = expected
        if at > walk.last_position or at not in walk.heads_at:
            detail = f"the log ends before the kept head at {at}"
            walk._problem(walk.last_position, None, None, "missing", detail)
        elif walk.heads_at[at] != digest:
            detail = "the log up to here differs from the kept head"
            walk._problem(at, None, None, "head-mismatch", detail)
    count = 0
    for kept in checkpoints:
        count += 1
        at, digest = _parse_head(kept.head)
        if at > walk.last_position or at not in walk.heads_at:
            detail = f"the log ends before the checkpoint of {kept.taken_at} at {at}"
            walk._problem(walk.last_position, None, None, "missing", detail)
            continue
        if walk.heads_at[at] == digest:
            continue
        block = kept.block
        first = next(
            (k for k, old in enumerate(kept.blocks) if walk.heads_at.get((k + 1) * block) != old),
            len(kept.blocks),
        )
        start, end = first * block + 1, min(at, (first + 1) * block)
        detail = (
            f"positions {start}..{end} differ from the checkpoint of {kept.taken_at}: "
            "a record there was deleted, inserted, moved or edited"
        )
        walk._problem(start, None, None, "head-mismatch", detail)
    return count


def _walk(
    log: ComplaintLog,
    key: AuditKey | None,
    expected: tuple[int, str] | None,
    checkpoints: Iterable[Checkpoint],
    extra: Iterable[int],
    stop: int | None,
) -> _Walk:
    watched: set[int] = {*extra, *([expected[0]] if expected else [])}
    for kept in checkpoints:
        watched.add(kept.position)
        watched.update(k * kept.block for k in range(1, len(kept.blocks) + 1))
    walk = _Walk(log, key, sorted(watched), stop=stop)
    walk.run()
    return walk


def verify(
    log: ComplaintLog,
    expected_head: str | None = None,
    *,
    checkpoints: Iterable[Checkpoint] = (),
    public_key: str | None = None,
    key: AuditKey | None = None,
) -> AuditReport:
    """Walk the whole log and report every place where history was altered, in order.

    ``key`` defaults to the log's audit key; with one, every record's seal is checked.
    ``checkpoints`` are checked against ``public_key`` (default: the key's); a checkpoint
    whose signature does not hold is itself a problem and is not used.
    """
    key = key if key is not None else log.audit_key
    expected = _parse_head(expected_head) if expected_head else None
    trusted = public_key or (key.public_key() if key is not None else None)
    kept = tuple(checkpoints)
    if kept and trusted is None:
        msg = "checking signed checkpoints needs the audit key or its public key"
        raise StoreConfigurationError(msg)
    problems: list[AuditProblem] = []
    good: list[Checkpoint] = []
    for candidate in kept:
        if trusted is not None and candidate.signed_by(trusted):
            good.append(candidate)
            continue
        detail = f"the checkpoint of {candidate.taken_at} is not signed by the trusted key"
        problems.append(AuditProblem(candidate.position, None, None, "bad-checkpoint", detail))
    walk = _walk(log, key, expected, good, (), None)
    count = _check_heads(walk, expected, good)
    covered = max(
        (c.position for c in good if walk.heads_at.get(c.position) == c.head.partition(":")[2]),
        default=0,
    )
    # an unsealed record under a checkpoint that holds is proven by the checkpoint
    problems += [p for p in walk.unsealed if p.position > covered]
    problems += walk.problems
    problems.sort(key=lambda p: p.position)
    return AuditReport(
        head=f"{walk.last_position}:{walk.head.hex()}",
        events=walk.events,
        complaints=len(walk.streams),
        problems=tuple(problems),
        sealed=key is not None,
        checkpoints=count,
    )


def head_digest(log: ComplaintLog) -> str:
    """The head digest of the log as it stands, ``position:sha256``: keep it safe."""
    return verify(log).head


def checkpoint(
    log: ComplaintLog,
    *,
    key: AuditKey | None = None,
    block: int = BLOCK,
    adopt_unsealed: bool = False,
) -> Checkpoint:
    """A signed checkpoint of the log as it stands, after verifying it.

    Raises :class:`~complaintlog.errors.StoreConfigurationError` without an audit key, and
    :class:`~complaintlog.errors.HistoryAlteredError` when the log does not verify: an
    altered log is not signed. ``block``: positions between block heads.
    ``adopt_unsealed``: vouch for records written before the audit key was configured
    (once, when the key is introduced); otherwise an unsealed record is refused too.
    """
    key = key if key is not None else log.audit_key
    if key is None:
        msg = "a checkpoint is signed with the audit key: set COMPLAINTLOG_AUDIT_KEY"
        raise StoreConfigurationError(msg)
    if block < 1:
        raise InvalidValueError("block", block, "at least 1")
    stop = log.max_position()
    boundaries = range(block, stop, block)
    walk = _walk(log, key, None, (), boundaries, stop)
    unsealed = [] if adopt_unsealed else walk.unsealed
    problems = sorted([*unsealed, *walk.problems], key=lambda p: p.position)
    if problems:
        raise HistoryAlteredError(problems[0], len(problems))
    return sign_checkpoint(
        key,
        head=f"{walk.last_position}:{walk.head.hex()}",
        events=walk.events,
        complaints=len(walk.streams),
        blocks=[walk.heads_at[b] for b in boundaries if b < walk.last_position],
        block=block,
        store=log.settings.redacted_url,
        taken_at=log.clock(),
    )

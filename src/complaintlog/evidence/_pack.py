"""The audit pack: one zip a regulator can check without the firm's database or software.

It holds the stored records exactly as stored (personal data in its sealed form, so the
chains still check), the report, the events' JSON Schemas, the kept checkpoints, a manifest
of every file's SHA-256 and ``verify.py``, which needs only the Python standard library.
A window (``since``/``until``, business time) selects the complaints with an event in it;
their whole histories go in, so their chains check from the first event. Every other record
is listed by its digest only, so the log's head digest can still be recomputed over the
whole log without handing over other customers' complaints.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import datetime
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import IO, Any

import attrs
import orjson

from complaintlog.application import ComplaintLog
from complaintlog.application.audit import _advance_head, _as_bytes, verify
from complaintlog.application.checkpoints import Checkpoint
from complaintlog.application.event_schemas import event_schemas
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.errors import ComplaintLogError
from complaintlog.report import as_dict, render_html, report_data

__all__ = ["PackSummary", "write_pack"]

_COMPLAINT_TOPIC = "complaintlog.domain.complaint:Complaint."
_FORMAT = "complaintlog-audit-pack/1"


class PackRefusedError(ComplaintLogError):
    """The log does not verify: a pack would vouch for altered history."""


@attrs.frozen
class PackSummary:
    path: Path
    head: str
    records: int
    complaints: int
    files: int
    manifest_sha256: str


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str)


def _in_window(occurred: object, since: datetime | None, until: datetime | None) -> bool:
    if not isinstance(occurred, str):
        return False
    moment = datetime.fromisoformat(occurred)
    return (since is None or moment >= since) and (until is None or moment <= until)


def _selected(log: ComplaintLog, since: datetime | None, until: datetime | None) -> set[str]:
    """The complaints with at least one event that happened in the window."""
    chosen: set[str] = set()
    for notification in log.notifications(limit=2000):
        if not notification.topic.startswith(_COMPLAINT_TOPIC):
            continue
        originator = str(notification.originator_id)
        if originator in chosen:
            continue
        state = log.mapper.decode_stored_state(notification)
        if _in_window(state.get("occurred_at"), since, until):
            chosen.add(originator)
    return chosen


def _write_log(log: ComplaintLog, out: IO[bytes], chosen: set[str] | None) -> tuple[str, int, int]:
    """``log.jsonl``: every record in recording order, whole or by its digest."""
    head = b""
    records = 0
    included: set[str] = set()
    position = 0
    for notification in log.notifications(limit=2000):
        position = notification.id
        originator = str(notification.originator_id)
        state = _as_bytes(notification.state)
        record: dict[str, Any] = {
            "position": position,
            "originator_id": originator,
            "version": notification.originator_version,
            "topic": notification.topic,
        }
        if chosen is None or originator in chosen:
            try:
                record["state"] = state.decode("utf-8")
            except UnicodeDecodeError:  # a whole-event cipher: bytes, not JSON
                record["state_base64"] = base64.b64encode(state).decode("ascii")
            if notification.topic.startswith(_COMPLAINT_TOPIC):
                included.add(originator)
        else:
            record["state_sha256"] = hashlib.sha256(state).hexdigest()
        out.write(orjson.dumps(record) + b"\n")
        head = _advance_head(
            head, position, originator, notification.originator_version, notification.topic, state
        )
        records += 1
    return f"{position}:{head.hex()}", records, len(included)


_README = """complaintlog audit pack ({format})

Created {created} by complaintlog {version} from {store}.
Window (business time): {window}. Policy: {policy}.

  log.jsonl          every stored record in recording order: whole for the complaints in the
                     window (personal data sealed, as stored), by its SHA-256 otherwise
  report.json/.html  the complaint-handling report as of the end of the window
  schemas.json       the JSON Schema of every event's payload
  checkpoints.jsonl  the firm's signed checkpoints (one a day, kept outside the database), if
                     any; verify.py checks their heads, and their Ed25519 signatures check
                     with the firm's public key: `complaintlog audit verify --against
                     checkpoints.jsonl --public-key KEY` or any Ed25519 tool (the signed
                     bytes are the other members as JSON, keys sorted, no spaces)
  digest.txt         the log's head digest when the pack was made
  manifest.json      every file's SHA-256; manifest.sha256 is the manifest's own
  verify.py          checks all of it with the Python standard library alone:

      python -I verify.py

A changed byte in any file makes verify.py fail and say where. The manifest's SHA-256 is
also printed when the pack is made: compare it with the one the firm sent you separately.
"""


def write_pack(
    log: ComplaintLog,
    out: Path,
    *,
    policy: SlaPolicy,
    since: datetime | None = None,
    until: datetime | None = None,
    checkpoints: Sequence[Checkpoint] = (),
    public_key: str | None = None,
) -> PackSummary:
    """Write the audit pack to ``out`` (a zip); refuses a log that does not verify.

    ``checkpoints`` (signed, from ``audit checkpoint``) are checked first, with
    ``public_key`` or the log's audit key, and go into the pack as they are.
    """
    audit = verify(log, checkpoints=checkpoints, public_key=public_key)
    if not audit.ok:
        first = audit.problems[0]
        msg = (
            f"the stored history does not verify ({len(audit.problems)} problems, the first: "
            f"{first}); run `complaintlog audit verify` and investigate before packing"
        )
        raise PackRefusedError(msg)
    windowed = since is not None or until is not None
    chosen = _selected(log, since, until) if windowed else None
    created = log.clock()
    contents: dict[str, bytes] = {}
    with tempfile.TemporaryFile() as events:
        head, records, complaints = _write_log(log, events, chosen)
        last_position = int(head.split(":", 1)[0])
        kept = [c for c in checkpoints if c.position <= last_position]
        contents["checkpoints.jsonl"] = "".join(c.to_json() + "\n" for c in kept).encode()
        data = report_data(log, policy=policy, as_of=until)
        contents["report.json"] = _dumps(as_dict(data))
        contents["report.html"] = render_html(data).encode("utf-8")
        contents["schemas.json"] = _dumps(event_schemas())
        contents["digest.txt"] = f"{head}\n".encode()
        contents["verify.py"] = (files("complaintlog.evidence") / "verify_pack.py").read_bytes()
        window = (
            f"{since.isoformat() if since else 'the beginning'} to "
            f"{until.isoformat() if until else 'the end'}"
        )
        contents["README.txt"] = _README.format(
            format=_FORMAT,
            created=created.isoformat(),
            version=metadata.version("complaintlog"),
            store=log.settings.redacted_url,
            window=window,
            policy=policy.name,
        ).encode("utf-8")
        digests = {name: hashlib.sha256(value).hexdigest() for name, value in contents.items()}
        events.seek(0)
        log_digest = hashlib.sha256()
        for chunk in iter(lambda: events.read(1 << 20), b""):
            log_digest.update(chunk)
        digests["log.jsonl"] = log_digest.hexdigest()
        manifest = _dumps(
            {
                "format": _FORMAT,
                "created_at": created.isoformat(),
                "store": log.settings.redacted_url,
                "policy": policy.name,
                "window": {
                    "since": since.isoformat() if since else None,
                    "until": until.isoformat() if until else None,
                },
                "head": head,
                "records": records,
                "complaints_included": complaints,
                "checkpoints": len(kept),
                "files": digests,
            }
        )
        manifest_sha = hashlib.sha256(manifest).hexdigest()
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, value in contents.items():
                archive.writestr(name, value)
            events.seek(0)
            with archive.open("log.jsonl", "w", force_zip64=True) as target:
                for chunk in iter(lambda: events.read(1 << 20), b""):
                    target.write(chunk)
            archive.writestr("manifest.json", manifest)
            archive.writestr("manifest.sha256", f"{manifest_sha}  manifest.json\n")
    return PackSummary(out, head, records, complaints, len(digests), manifest_sha)

"""Check a complaintlog audit pack with nothing but the Python standard library.

Shipped inside every pack as ``verify.py``. Run it where the pack was unzipped, or name the
zip::

    python -I verify.py            # the folder this script is in
    python -I verify.py pack.zip   # the zip itself

It checks, in order, and names the first place that fails:

1. ``manifest.json`` against ``manifest.sha256``, then every file against the manifest;
2. every complaint's hash chain in ``log.jsonl`` (each event links to its predecessor);
3. the log's running head digest over every record, against the manifest's head and
   against every kept checkpoint in ``checkpoints.jsonl`` (the first day whose digest
   no longer holds is named).

Exit code 0 when everything holds, 1 when something does not, 2 when the pack is unreadable.
Not checked here: the records' seals (an HMAC under the firm's secret audit key) and the
checkpoints' Ed25519 signatures (the standard library has no Ed25519; check them with the
firm's public key, see README.txt).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
UNCHAINED = frozenset({"chain", "originator_topic", "class_version", "seal"})
"""Stored members outside a complaint's chain (the seal is an HMAC needing the firm's key)."""
MANIFEST = "manifest.json"


class PackFailure(Exception):
    """Where the pack stops holding, in words."""


def _reader(source: Path) -> Callable[[str], bytes]:
    if source.is_dir():
        return lambda name: (source / name).read_bytes()
    archive = zipfile.ZipFile(source)
    return archive.read


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_files(read: Callable[[str], bytes]) -> dict[str, Any]:
    """The manifest, after checking it and every file it lists."""
    manifest_bytes = read(MANIFEST)
    kept = read("manifest.sha256").decode("ascii").split()[0]
    if _sha256(manifest_bytes) != kept:
        raise PackFailure(f"{MANIFEST}: its SHA-256 differs from manifest.sha256")
    manifest: dict[str, Any] = json.loads(manifest_bytes)
    for name, digest in sorted(manifest["files"].items()):
        try:
            data = read(name)
        except (OSError, KeyError):
            raise PackFailure(f"{name}: listed in the manifest but missing") from None
        if _sha256(data) != digest:
            raise PackFailure(f"{name}: its SHA-256 differs from the manifest")
    return manifest


def canonical(state: dict[str, Any]) -> bytes:
    """The chained content: the stored JSON without the unchained fields, keys sorted."""
    content = {k: v for k, v in state.items() if k not in UNCHAINED}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(previous: str, topic: str, originator: str, version: int, content: bytes) -> str:
    digest = hashlib.sha256(f"{previous}|{topic}|{originator}|{version}|".encode())
    digest.update(content)
    return digest.hexdigest()


def advance(head: bytes, record: dict[str, Any], state_digest: bytes) -> bytes:
    digest = hashlib.sha256(head)
    digest.update(
        f"|{record['position']}|{record['originator_id']}|{record['version']}|"
        f"{record['topic']}|".encode()
    )
    digest.update(state_digest)
    return digest.digest()


def _records(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if line.strip():
            yield number, json.loads(line)


def _state_bytes(record: dict[str, Any]) -> bytes | None:
    if "state" in record:
        return str(record["state"]).encode("utf-8")
    if "state_base64" in record:
        return base64.b64decode(record["state_base64"])
    return None


def check_log(
    data: bytes, manifest: dict[str, Any], checkpoints: list[dict[str, Any]]
) -> dict[str, int]:
    """Every chain and the running head; returns counts for the summary."""
    chains: dict[str, tuple[int, str]] = {}  # originator -> (last version, last chain)
    heads: dict[int, list[dict[str, Any]]] = {}
    for checkpoint in checkpoints:
        heads.setdefault(int(str(checkpoint["head"]).split(":")[0]), []).append(checkpoint)
    head = b""
    counts = {"records": 0, "events_checked": 0, "complaints": 0, "checkpoints": 0}
    last_position = 0
    for number, record in _records(data):
        where = f"log.jsonl line {number} (position {record.get('position')})"
        if int(record["position"]) <= last_position:
            raise PackFailure(f"{where}: positions must increase")
        last_position = int(record["position"])
        state = _state_bytes(record)
        if state is None:
            state_digest = bytes.fromhex(record["state_sha256"])
        else:
            state_digest = hashlib.sha256(state).digest()
            if "chain" in (parsed := _parsed(state, where)):
                _check_chain(chains, record, parsed, where)
                counts["events_checked"] += 1
        head = advance(head, record, state_digest)
        counts["records"] += 1
        for kept in heads.get(last_position, ()):
            if str(kept["head"]).split(":", 1)[1].lower() != head.hex():
                raise PackFailure(
                    f"checkpoint of {kept.get('day', '?')} (head at position {last_position}): "
                    "the log up to there is no longer what it was when the checkpoint was kept"
                )
            counts["checkpoints"] += 1
    expected = str(manifest["head"])
    if f"{last_position}:{head.hex()}" != expected:
        raise PackFailure(f"log.jsonl: the head digest differs from the manifest's {expected}")
    if counts["checkpoints"] != len(checkpoints):
        raise PackFailure("checkpoints.jsonl: a checkpoint names a position not in the log")
    counts["complaints"] = len(chains)
    return counts


def _parsed(state: bytes, where: str) -> dict[str, Any]:
    try:
        parsed = json.loads(state)
    except ValueError:
        raise PackFailure(f"{where}: the stored event is not JSON") from None
    return parsed if isinstance(parsed, dict) else {}


def _check_chain(
    chains: dict[str, tuple[int, str]], record: dict[str, Any], state: dict[str, Any], where: str
) -> None:
    originator = str(record["originator_id"])
    version = int(record["version"])
    last_version, previous = chains.get(originator, (0, GENESIS))
    where = f"{where}, complaint {originator} v{version}"
    if version != last_version + 1:
        raise PackFailure(f"{where}: follows v{last_version} (missing or reordered events)")
    expected = link(previous, str(record["topic"]), originator, version, canonical(state))
    if expected != state["chain"]:
        raise PackFailure(f"{where}: the chain does not hold (content or predecessor changed)")
    chains[originator] = (version, str(state["chain"]))


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    try:
        read = _reader(source)
        manifest = check_files(read)
        checkpoints = [c for _, c in _records(read("checkpoints.jsonl"))]
        counts = check_log(read("log.jsonl"), manifest, checkpoints)
    except PackFailure as failure:
        print(f"FAIL: {failure}")
        return 1
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        print(f"FAIL: the pack cannot be read: {error!r}")
        return 2
    print(f"OK: {len(manifest['files'])} files match the manifest")
    print(
        f"OK: {counts['events_checked']} events of {counts['complaints']} complaints "
        "chain correctly"
    )
    print(f"OK: {counts['records']} records give the head digest {manifest['head']}")
    print(f"OK: {counts['checkpoints']} kept checkpoints hold")
    print(f"manifest SHA-256 {_sha256(read(MANIFEST))}: compare it with the one you were sent")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

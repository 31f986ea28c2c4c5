"""eventsourcing's whole-event cipher and compressor as a second layer, from the environment.

``CIPHER_TOPIC=eventsourcing.cryptography:AESCipher`` with ``CIPHER_KEY`` (base64 of 16, 24
or 32 bytes) encrypts every stored state with AES-GCM; ``COMPRESSOR_TOPIC=
eventsourcing.compressor:ZlibCompressor`` compresses it first. Topics, ids, versions and
positions stay readable; everything else, including what projections read, does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher

from complaintlog import ComplaintLog
from complaintlog.audit import verify

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = AESCipher.create_key(32)
LAYERED = {
    "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
    "CIPHER_KEY": KEY,
    "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
}
PLAIN_FIELDS = [b"C-77", b"Mortgage statement", b"statement_error", b"letter", b"CRM-991"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'complaints.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


def stored_states(log: ComplaintLog) -> Iterator[bytes]:
    for notification in log.notifications():
        yield notification.state


def fill(log: ComplaintLog, external_ref: str = "CRM-991") -> Any:
    complaint_id = log.receive(
        customer={"id": "C-77", "name": "Ana Lima", "email": "ana@example.org"},
        channel="letter",
        subject="Mortgage statement",
        description="The statement shows a payment twice",
        category={"dimension": "reliability", "cause": "statement_error", "product": "Mortgage"},
        external_ref=external_ref,
        at=T0,
    )
    log.acknowledge(complaint_id, at=T0 + timedelta(hours=1))
    log.resolve(
        complaint_id,
        remedy="explanation",
        summary="Explained the double line",
        at=T0 + timedelta(days=1),
    )
    return complaint_id


def test_a_round_trip_through_cipher_and_compressor(url: str) -> None:
    with ComplaintLog(url, env=LAYERED) as log:
        assert log.mapper.cipher is not None
        assert log.mapper.compressor is not None
        complaint_id = fill(log)
        view = log.get(complaint_id)
        assert view.customer.name == "Ana Lima"
        assert view.category is not None
        assert view.category.cause == "statement_error"
        assert [e.event for e in log.history(complaint_id)] == [
            "Received",
            "Acknowledged",
            "Resolved",
        ]
        assert log.find("CRM-991") == complaint_id
        assert verify(log).ok
    with ComplaintLog(url, env=LAYERED) as reopened:  # the key from the environment again
        assert reopened.get(complaint_id).subject == "Mortgage statement"


def test_the_stored_bytes_hold_no_plaintext_at_all(url: str, tmp_path: Path) -> None:
    with ComplaintLog(url, env=LAYERED) as log:
        fill(log)
        stored = b"".join(stored_states(log))
    for plain in [*PLAIN_FIELDS, b"Ana Lima", b'"customer"', b"occurred_at"]:
        assert plain not in stored
    contrast = f"sqlite:///{tmp_path / 'contrast.db'}"
    with ComplaintLog(contrast) as without_layers:  # the same fields in plain, for contrast
        fill(without_layers)
        stored = b"".join(stored_states(without_layers))
    assert all(plain in stored for plain in PLAIN_FIELDS)


def test_erasure_works_under_the_whole_event_cipher(url: str) -> None:
    with ComplaintLog(url, env=LAYERED) as log:
        complaint_id = fill(log)
        erasure = log.erase_personal_data("C-77", reason="request", at=T0 + timedelta(days=2))
        assert erasure.recorded == (complaint_id,)
        assert log.get(complaint_id).customer.erased
        assert verify(log).ok


def test_without_the_key_the_store_cannot_be_read(url: str) -> None:
    with ComplaintLog(url, env=LAYERED) as log:
        complaint_id = fill(log)
    with ComplaintLog(url) as no_key:
        with pytest.raises(Exception, match="cannot be read"):
            no_key.get(complaint_id)
        assert {p.kind for p in verify(no_key).problems} == {"unreadable"}
    wrong = {**LAYERED, "CIPHER_KEY": AESCipher.create_key(32)}
    with ComplaintLog(url, env=wrong) as wrong_key, pytest.raises(Exception):  # noqa: B017, PT011
        wrong_key.get(complaint_id)


def test_compression_alone_makes_the_store_smaller(tmp_path: Path) -> None:
    sizes = {}
    for name, env in {
        "plain": {},
        "zlib": {"COMPRESSOR_TOPIC": LAYERED["COMPRESSOR_TOPIC"]},
    }.items():
        with ComplaintLog(f"sqlite:///{tmp_path / name}.db", env=env) as log:
            for n in range(20):
                complaint_id = fill(log, external_ref=f"CRM-{n}")
            assert log.get(complaint_id).description.startswith("The statement")
            sizes[name] = sum(len(s) for s in stored_states(log))
    assert sizes["zlib"] < sizes["plain"]

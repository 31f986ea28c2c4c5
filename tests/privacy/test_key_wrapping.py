"""Data keys wrapped by a key-encryption key outside the store, and `keys rotate`: a copy
of the key table alone opens nothing; rotation re-wraps every key and changes no event.
On SQLite and PostgreSQL, with plain SQL on the real key table."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.application.personal_data import KEY_TABLE
from complaintlog.audit import verify
from complaintlog.cli import app
from complaintlog.errors import PersonalDataError, StoreConfigurationError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def kek() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/kek.db"
    return str(request.getfixturevalue("postgres_schema_url"))


def secrets(log: ComplaintLog) -> list[bytes]:
    if log.settings.kind == "sqlite":
        import sqlite3

        with sqlite3.connect(str(log.settings.sqlite_path)) as conn:
            rows = conn.execute(f"SELECT secret FROM {KEY_TABLE} ORDER BY key_id").fetchall()
        conn.close()
    else:
        import psycopg

        env = log.settings.env
        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
        ) as conn:
            table = f'"{env["POSTGRES_SCHEMA"]}".{KEY_TABLE}'
            rows = conn.execute(f"SELECT secret FROM {table} ORDER BY key_id").fetchall()
    return [bytes(row[0]) for row in rows]


def receive(log: ComplaintLog, customer: str) -> Any:
    return log.receive(
        customer={"id": customer, "name": "Ana Lima"},
        channel="web",
        subject="s",
        description="d",
        at=T0,
    )


def test_keys_are_wrapped_and_rotate_without_touching_events(url: str) -> None:
    first, second = kek(), kek()
    with ComplaintLog(url) as log:  # a key stored before any KEK: raw 32 bytes
        old = receive(log, "C-0")
        assert [len(s) for s in secrets(log)] == [32]
    with ComplaintLog(url, env={"COMPLAINTLOG_KEK": first}) as log:
        new = receive(log, "C-1")
        stored = secrets(log)
        assert sorted(len(s) for s in stored) == [32, 72]
        assert any(s.startswith(b"CLK1") for s in stored)
        assert log.get(new).customer.name == "Ana Lima"
        before = [(n.id, bytes(n.state)) for n in log.notifications()]
    with ComplaintLog(url) as log, pytest.raises(PersonalDataError, match="COMPLAINTLOG_KEK"):
        log.get(new)  # the database alone does not open it
    env = {"COMPLAINTLOG_KEK": second, "COMPLAINTLOG_KEK_PREVIOUS": first}
    with ComplaintLog(url, env=env) as log:
        assert log.rotate_keys() == 2
        assert all(s.startswith(b"CLK1") and len(s) == 72 for s in secrets(log))
        assert [(n.id, bytes(n.state)) for n in log.notifications()] == before
        assert verify(log).ok
    with ComplaintLog(url, env={"COMPLAINTLOG_KEK": second}) as log:  # the old KEK may go
        assert log.get(old).customer.name == "Ana Lima"
        assert log.get(new).customer.name == "Ana Lima"
        log.erase_personal_data("C-1", reason="request")
        assert log.get(new).customer.erased
    with (
        ComplaintLog(url, env={"COMPLAINTLOG_KEK": first}) as log,
        pytest.raises(PersonalDataError, match="not configured"),
    ):
        log.get(old)


def test_keys_rotate_from_the_command_line(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    first = CliRunner().invoke(app, ["keys", "new-kek"]).stdout.strip()
    with ComplaintLog(url, env={"COMPLAINTLOG_KEK": first}) as log:
        complaint = receive(log, "C-0")
    second = kek()
    env = {"COMPLAINTLOG_KEK": second, "COMPLAINTLOG_KEK_PREVIOUS": first}
    result = CliRunner().invoke(app, ["--store", url, "--json", "keys", "rotate"], env=env)
    assert result.exit_code == 0, result.output
    assert '"rewrapped": 1' in result.stdout
    with ComplaintLog(url, env={"COMPLAINTLOG_KEK": second}) as log:
        assert log.get(complaint).customer.name == "Ana Lima"
    without = CliRunner().invoke(app, ["--store", url, "keys", "rotate"])
    assert without.exit_code == 1
    assert "needs a key-encryption key" in without.stderr


def test_a_malformed_kek_is_refused(tmp_path: Any) -> None:
    with pytest.raises(StoreConfigurationError, match="COMPLAINTLOG_KEK"):
        ComplaintLog(f"sqlite:///{tmp_path}/x.db", env={"COMPLAINTLOG_KEK": "c2hvcnQ="})


def test_an_imported_row_leaves_no_digest_to_guess_names_from(tmp_path: Any) -> None:
    """The attack: a plain SHA-256 of the row's cells lets anyone test guessed names even
    after erasure. Now the digest is keyed with the audit key, or not kept."""
    import hashlib

    from complaintlog.importing import import_csv
    from complaintlog.importing.source import CsvSource

    data = tmp_path / "acme.csv"
    header = "Ticket,Opened,Channel,Customer no,Name,Product,Text"
    data.write_text(f"{header}\nA-1,03.02.2025 09:15,Web,C-1,Ana Lima,Router,Down\n")
    mapping = tmp_path / "acme.toml"
    mapping.write_text(
        '[source]\nname = "acme"\ntimezone = "UTC"\ndate_formats = ["%d.%m.%Y %H:%M"]\n'
        'external_ref = "acme:{Ticket}"\n[steps]\nreceived = "Opened"\n[fields]\n'
        'customer_id = "{Customer no}"\ncustomer_name = "{Name}"\nchannel = "web"\n'
        'subject = "{Product}"\ndescription = "{Text}"\n'
    )
    (row,) = list(CsvSource.open(data))
    plain = hashlib.sha256("\x1f".join(row.cells).encode()).hexdigest()
    secret = os.urandom(32)
    for key in (None, secret):
        url = f"sqlite:///{tmp_path}/{'keyed' if key else 'plain'}.db"
        with ComplaintLog(url, audit_key=key) as log:
            import_csv(log, data, mapping=mapping)
            log.erase_personal_data("C-1", reason="request")
            stored = b"".join(bytes(n.state) for n in log.notifications())
            assert plain.encode() not in stored
            assert b"Ana Lima" not in stored
            attributes = dict(log.get(log.find("acme:A-1")).attributes)  # type: ignore[arg-type]
            assert "row_sha256" not in attributes
            if key is None:
                assert "row_hmac" not in attributes
            else:
                assert log.audit_key is not None
                assert attributes["row_hmac"] == log.audit_key.row_mac(plain)

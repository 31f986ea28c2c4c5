"""The CloudEvent each complaint event becomes: ids, attributes, and no personal data."""

from __future__ import annotations

import uuid

import orjson

from complaintlog import ComplaintLog
from complaintlog.relay import message_of, message_schema

from .conftest import PERSONAL_MARKERS, write_complaints


def messages(log: ComplaintLog) -> list[dict[str, object]]:
    found = []
    for notification in log.notifications():
        message = message_of(log, notification, "complaintlog:test")
        if message is not None:
            found.append(orjson.loads(message.body))
    return found


def test_attributes_follow_the_event(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/c.db"
    (complaint,) = write_complaints(url, 1, first=7)
    with ComplaintLog(url) as log:
        first, again = messages(log), messages(log)
        assert first == again  # the same event always makes the same message
        assert [m["type"] for m in first] == [
            "complaintlog.Received",
            "complaintlog.Acknowledged",
            "complaintlog.PromiseMade",
        ]
        received = first[0]
        assert received["specversion"] == "1.0"
        assert received["subject"] == str(complaint)
        assert received["source"] == "complaintlog:test"
        assert received["time"] == "2026-03-02T09:07:00+00:00"  # business time (START + 7 min)
        assert received["sequence"] == "00000000000000000001"
        assert [m["complaintversion"] for m in first] == [1, 2, 3]
        assert len({m["id"] for m in first}) == 3
        assert all(uuid.UUID(str(m["id"])).version == 5 for m in first)
        data = received["data"]
        assert isinstance(data, dict)
        assert data["customer"]["name"] is None
        assert data["customer"]["id"] == "cust-7"
        assert data["description"] == "[sealed]"
        assert data["personal"] == [
            "customer.address",
            "customer.email",
            "customer.name",
            "customer.phone",
            "description",
        ]
        body = orjson.dumps(first)
        assert not any(marker in body for marker in PERSONAL_MARKERS)


def test_after_erasure_the_same_ids_and_still_nothing_personal(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/c.db"
    write_complaints(url, 2)
    with ComplaintLog(url) as log:
        before = messages(log)
        log.erase_personal_data("cust-1", reason="GDPR article 17 request")
        after = messages(log)
    assert [m["id"] for m in after[: len(before)]] == [m["id"] for m in before]
    assert after[: len(before)] == before  # nothing was ever in clear to take back
    assert not any(marker in orjson.dumps(after) for marker in PERSONAL_MARKERS)


def test_the_schema_names_every_payload() -> None:
    schema = message_schema()
    assert {"Received", "Acknowledged", "PromiseMade"} <= set(schema["events"])
    assert "sequence" in schema["required"]

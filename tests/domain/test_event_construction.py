"""Events are made from their state and stored from the content their chain encoded.

Both are shortcuts past eventsourcing's own machinery (see ``Complaint._trigger`` and
``PydanticMapper.to_stored_event``); these tests hold them to what that machinery does.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from complaintlog import ComplaintLog
from complaintlog.audit import verify
from complaintlog.domain.canonical import json_default
from complaintlog.domain.complaint import Complaint, Stamp, _new_event
from complaintlog.domain.values import Channel, Customer

AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def test_an_event_with_a_missing_field_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"missing fields \['team'\]"):
        _new_event(
            Complaint.Assigned,
            {
                "originator_id": None,
                "originator_version": 2,
                "timestamp": AT,
                "occurred_at": AT,
                "actor": None,
                "idempotency": None,
                "chain": "0" * 64,
                "assignee": "agent-1",
            },
        )


def test_an_event_with_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"unknown fields \['colour'\]"):
        _new_event(
            Complaint.Withdrawn,
            {
                "originator_id": None,
                "originator_version": 2,
                "timestamp": AT,
                "occurred_at": AT,
                "actor": None,
                "idempotency": None,
                "chain": "0" * 64,
                "reason": None,
                "colour": "red",
            },
        )


def test_events_made_from_their_state_equal_events_made_by_their_dataclass_init() -> None:
    stamp = Stamp(occurred_at=AT, recorded_at=AT, latest_allowed=AT + timedelta(minutes=5))
    complaint = Complaint.receive(
        stamp, customer=Customer(id="C-1"), channel=Channel.EMAIL, subject="S", description="D"
    )
    later = Stamp(
        occurred_at=AT + timedelta(hours=1),
        recorded_at=AT + timedelta(hours=1),
        latest_allowed=AT + timedelta(hours=2),
    )
    complaint.acknowledge(later)
    complaint.assign(later, assignee="agent-1", team="care")
    complaint.pause(later, reason="Waiting for the customer")
    events = complaint.collect_events()
    assert [type(e).__name__ for e in events] == ["Received", "Acknowledged", "Assigned", "Paused"]
    assert complaint.version == 4
    for event in events:
        fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
        assert type(event)(**fields) == event


def test_stored_state_is_the_events_fields_whichever_way_it_was_encoded() -> None:
    log = ComplaintLog(clock=lambda: AT + timedelta(days=9))
    with log.batch() as batch:
        cid = batch.receive(
            customer={"id": "C-7", "name": "Ada", "email": "ada@example.org"},
            channel="email",
            subject="Broadband",
            description="No service",
            category={"dimension": "reliability", "cause": "delay", "product": "Broadband"},
            idempotency_key="k-1",
            at=AT,
        )
        batch.acknowledge(cid, at=AT + timedelta(minutes=5))
        batch.make_promise(
            cid, promise="Call back", due=AT + timedelta(days=1), at=AT + timedelta(hours=1)
        )
    stored = log.recorder.select_notifications(start=1, limit=100)
    complaint_events = [n for n in stored if n.originator_id == cid]
    assert [n.originator_version for n in complaint_events] == [1, 2, 3]
    replayed = log._events(cid)[0]
    for notification, event in zip(complaint_events, replayed, strict=True):
        state = orjson.loads(notification.state)
        expected = {
            k: v for k, v in vars(event).items() if k not in {"originator_id", "originator_version"}
        }
        expected.pop("personal", None)
        state.pop("personal", None)  # sealed boxes: compared through the chain below
        if getattr(type(event), "class_version", 1) > 1:
            expected["class_version"] = type(event).class_version
        assert state == orjson.loads(orjson.dumps(expected, default=json_default))
    assert verify(log).ok


def test_the_stored_bytes_are_the_sorted_content_then_chain_topic_and_version() -> None:
    """The mapper's per-class layout (topic, version tail) writes what encoding the pieces
    one by one gives: the content with sorted keys, then ``chain``, ``originator_topic``
    (the first event only) and ``class_version`` (above 1 only)."""
    from complaintlog.persistence.mapper import PydanticMapper

    mapper = PydanticMapper(transcoder=None)  # type: ignore[arg-type]
    stamp = Stamp(occurred_at=AT, recorded_at=AT, latest_allowed=AT + timedelta(minutes=5))
    complaint = Complaint.receive(
        stamp, customer=Customer(id="C-1"), channel=Channel.EMAIL, subject="S", description="D"
    )
    complaint.acknowledge(stamp)
    complaint.assign(stamp, assignee="agent-1", team="care")
    unchained = ("chain", "originator_topic")
    versions = []
    for event in complaint.collect_events():
        fields = vars(event)
        content = {
            k: v
            for k, v in fields.items()
            if k not in {"originator_id", "originator_version", *unchained}
        }
        expected = orjson.loads(orjson.dumps(content, default=json_default))
        for name in unchained:
            if name in fields:
                expected[name] = fields[name]
        version = getattr(type(event), "class_version", 1)
        if version > 1:
            expected["class_version"] = version
        versions.append(version)
        stored = mapper.to_stored_event(event)
        assert stored.topic == f"complaintlog.domain.complaint:{type(event).__qualname__}"
        assert stored.originator_version == event.originator_version
        # the same keys in the same order: sorted content first, then the unchained fields
        assert list(orjson.loads(stored.state).items()) == [
            *sorted((k, v) for k, v in expected.items() if k not in {*unchained, "class_version"}),
            *((k, expected[k]) for k in (*unchained, "class_version") if k in expected),
        ]
    assert versions == [3, 2, 1]  # both tails are exercised

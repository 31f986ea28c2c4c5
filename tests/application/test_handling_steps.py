"""The steps added with the agenda (#15): survey sending, regret and thanks, the desired
remedy, options offered, promises alongside each other, evidence and internal notes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from complaintlog import (
    ComplaintClosedError,
    ComplaintLog,
    ComplaintNotResolvedError,
    ComplaintWithdrawnError,
    InvalidValueError,
    PromiseNotPendingError,
    SurveyAlreadySentError,
)
from complaintlog.application.event_schemas import event_schemas
from complaintlog.domain.complaint_view import PromiseState
from complaintlog.projections import Projections

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
DIGEST = hashlib.sha256(b"receipt 4711").hexdigest()


def received(log: ComplaintLog, at: datetime = T0) -> UUID:
    return log.receive(
        customer={"id": "C-1"}, channel="web", subject="Bill", description="Wrong", at=at
    )


def test_regret_and_thanks_are_recorded_facts(log: ComplaintLog) -> None:
    complaint_id = received(log)
    log.acknowledge(complaint_id, message="Sorry, and thank you", regret=True, thanks=True, at=T0)
    view = log.get(complaint_id)
    assert (view.regret_expressed, view.thanked) == (True, True)
    acknowledged = log.history(complaint_id)[1]
    assert acknowledged.payload == {
        "message": "Sorry, and thank you",
        "regret": True,
        "thanks": True,
    }
    other = received(log)
    log.acknowledge(other, at=T0)
    assert (log.get(other).regret_expressed, log.get(other).thanked) == (None, None)


def test_the_desired_remedy_is_recorded_and_changed_after_intake(log: ComplaintLog) -> None:
    complaint_id = received(log)
    assert log.get(complaint_id).desired_remedy is None
    log.record_desired_remedy(complaint_id, remedy="refund", at=T0 + timedelta(hours=1))
    log.record_desired_remedy(
        complaint_id, remedy="replacement", note="Prefers a new one", at=T0 + timedelta(hours=2)
    )
    assert log.get(complaint_id).desired_remedy == "replacement"
    with pytest.raises(InvalidValueError) as bad:
        log.record_desired_remedy(complaint_id, remedy="a pony")
    assert bad.value.field == "remedy"
    log.resolve(complaint_id, remedy="refund", summary="Refunded", first_contact=True)
    with pytest.raises(ComplaintClosedError):
        log.record_desired_remedy(complaint_id, remedy="refund")


def test_a_resolution_records_the_options_offered_and_the_one_chosen(log: ComplaintLog) -> None:
    complaint_id = received(log)
    log.acknowledge(complaint_id, at=T0)
    with pytest.raises(InvalidValueError) as bad:
        log.resolve(
            complaint_id,
            remedy="refund",
            summary="Refunded",
            options_offered=["repair", "replacement"],
            chosen="refund",
        )
    assert bad.value.field == "chosen"
    assert [e.event for e in log.history(complaint_id)] == ["Received", "Acknowledged"]
    log.resolve(
        complaint_id,
        remedy="replacement",
        summary="New router sent",
        options_offered=["repair", "replacement", "refund"],
        chosen="replacement",
        at=T0 + timedelta(hours=1),
    )
    resolution = log.get(complaint_id).resolutions[-1]
    assert resolution.options_offered == ("repair", "replacement", "refund")
    assert resolution.chosen == "replacement"


def test_promises_made_alongside_stay_open_each_with_its_own_due_time(log: ComplaintLog) -> None:
    complaint_id = received(log)
    call_back = log.make_promise(
        complaint_id, promise="Call back", due=T0 + timedelta(days=1), at=T0
    )
    letter = log.make_promise(
        complaint_id,
        promise="Written answer",
        due=T0 + timedelta(days=3),
        alongside=True,
        at=T0 + timedelta(minutes=5),
    )
    view = log.get(complaint_id, as_of=T0 + timedelta(hours=1))
    assert [p.promise_id for p in view.open_promises] == [call_back, letter]
    log.inform(complaint_id, message="Called", promise_id=call_back, at=T0 + timedelta(hours=2))
    states = {
        p.promise_id: p.state for p in log.get(complaint_id, as_of=T0 + timedelta(hours=3)).promises
    }
    assert states == {call_back: PromiseState.KEPT, letter: PromiseState.OPEN}
    with pytest.raises(PromiseNotPendingError):
        log.inform(complaint_id, message="Again", promise_id=call_back)
    with pytest.raises(PromiseNotPendingError):
        log.inform(complaint_id, message="Who?", promise_id=UUID(int=7))
    # without alongside, a new promise supersedes the open one, as before
    replaced = log.make_promise(
        complaint_id,
        promise="Answer by Friday",
        due=T0 + timedelta(days=4),
        at=T0 + timedelta(hours=4),
    )
    states = {
        p.promise_id: p.state for p in log.get(complaint_id, as_of=T0 + timedelta(hours=5)).promises
    }
    assert states[letter] is PromiseState.SUPERSEDED
    assert states[replaced] is PromiseState.OPEN


def test_informing_about_one_promise_meets_only_its_clock(log: ComplaintLog) -> None:
    complaint_id = received(log)
    call_back = log.make_promise(
        complaint_id, promise="Call back", due=T0 + timedelta(hours=3), at=T0
    )
    letter = log.make_promise(
        complaint_id, promise="Letter", due=T0 + timedelta(days=2), alongside=True, at=T0
    )
    log.inform(complaint_id, message="Called", promise_id=call_back, at=T0 + timedelta(hours=1))
    with Projections(log) as views:
        views.catch_up()
        clocks = {c.promise_id: c for c in views.sla.clocks(complaint_id) if c.metric == "promise"}
    assert clocks[call_back].met_at == T0 + timedelta(hours=1)
    assert clocks[letter].met_at is None
    assert clocks[letter].cancelled_at is None


def test_the_survey_is_sent_once_per_cycle_after_the_resolution(log: ComplaintLog) -> None:
    complaint_id = received(log)
    with pytest.raises(ComplaintNotResolvedError):
        log.send_survey(complaint_id, channel="email", at=T0)
    resolved_at = T0 + timedelta(hours=1)
    log.resolve(
        complaint_id, remedy="refund", summary="Refunded", first_contact=True, at=resolved_at
    )
    sent_at = resolved_at + timedelta(hours=30)
    log.send_survey(complaint_id, channel="email", at=sent_at)
    assert log.get(complaint_id).survey_sent_at == sent_at
    with pytest.raises(SurveyAlreadySentError):
        log.send_survey(complaint_id, channel="phone", at=sent_at)
    with Projections(log) as views:
        views.catch_up()
        survey = next(c for c in views.sla.clocks(complaint_id) if c.metric == "survey")
    assert survey.met_at == sent_at  # the survey clock measures the sending
    assert not survey.met_late
    log.record_survey(complaint_id, score=5, at=sent_at + timedelta(hours=1))
    assert log.get(complaint_id).satisfaction == 5


def test_evidence_and_notes_are_kept_and_shown_but_internal(log: ComplaintLog) -> None:
    complaint_id = received(log)
    log.attach_evidence(
        complaint_id,
        name="receipt.pdf",
        media_type="Application/PDF",
        sha256=DIGEST.upper(),
        uri="crm://documents/4711",
        at=T0,
    )
    log.note(complaint_id, text="Customer prefers calls after 16:00", actor="ana", at=T0)
    view = log.get(complaint_id)
    [evidence] = view.evidence
    assert (evidence.name, evidence.media_type, evidence.sha256, evidence.uri) == (
        "receipt.pdf",
        "application/pdf",
        DIGEST,
        "crm://documents/4711",
    )
    [note] = view.notes
    assert (note.actor, note.text) == ("ana", "Customer prefers calls after 16:00")
    events = [e.event for e in log.history(complaint_id)]
    assert events == ["Received", "EvidenceAttached", "NoteAdded"]
    for bad in ("abc", "g" * 64):
        with pytest.raises(InvalidValueError) as error:
            log.attach_evidence(complaint_id, name="x", media_type="text/plain", sha256=bad)
        assert error.value.field == "sha256"
    with pytest.raises(InvalidValueError) as error:
        log.attach_evidence(complaint_id, name="x", media_type="pdf", sha256=DIGEST)
    assert error.value.field == "media_type"
    log.withdraw(complaint_id, at=T0 + timedelta(hours=1))
    with pytest.raises(ComplaintWithdrawnError):
        log.note(complaint_id, text="Too late")
    assert len(log.history(complaint_id)) == 4


def test_the_json_schema_knows_the_new_events() -> None:
    events = event_schemas()["events"]
    for name in ("SurveySent", "DesiredRemedyRecorded", "EvidenceAttached", "NoteAdded"):
        assert name in events
    assert {"regret", "thanks"} <= set(events["Acknowledged"]["properties"])
    assert {"options_offered", "chosen"} <= set(events["Resolved"]["properties"])
    assert "alongside" in events["PromiseMade"]["properties"]
    assert "promise_id" in events["CustomerInformed"]["properties"]


def test_statistics_count_regret_and_thanks(log: ComplaintLog) -> None:
    for regret, thanks in ((True, True), (True, False), (False, False), (None, None)):
        complaint_id = received(log)
        log.acknowledge(complaint_id, regret=regret, thanks=thanks, at=T0 + timedelta(hours=1))
    late = received(log)
    log.acknowledge(late, regret=True, thanks=True, at=T0 + timedelta(days=40))
    with Projections(log) as views:
        views.catch_up()
        march = views.statistics.acknowledgements(T0, T0 + timedelta(days=30))
    assert (march.acknowledged, march.with_regret, march.with_thanks, march.not_recorded) == (
        4,
        2,
        1,
        1,
    )

"""One test (or a few) per process rule, through the public API on the in-memory store.

Each rule test checks two things: the named error is raised, and nothing was recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from complaintlog import (
    AlreadyAcknowledgedError,
    AlreadyPausedError,
    ComplaintClosedError,
    ComplaintLog,
    ComplaintNotFoundError,
    ComplaintNotResolvedError,
    ComplaintWithdrawnError,
    EscalationDowngradeError,
    EscalationRepeatedError,
    FollowUpRepeatedError,
    InvalidValueError,
    NotAcknowledgedError,
    NotPausedError,
    PromiseDueNotAfterMakingError,
    PromiseState,
    ReclassificationUnchangedError,
    ResolvedTwiceError,
    Status,
    SurveyRepeatedError,
    TimeRunsBackwardsError,
    TimeTooFarInFutureError,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def receive(log: ComplaintLog, **overrides: object) -> UUID:
    fields: dict[str, object] = {
        "customer": {"id": "cust-1", "name": "Ana Horvat"},
        "channel": "phone",
        "subject": "Washing machine",
        "description": "Leaks after the repair",
        "at": T0,
    }
    fields.update(overrides)
    return log.receive(**fields)  # type: ignore[arg-type]


def resolved(log: ComplaintLog) -> UUID:
    cid = receive(log)
    log.acknowledge(cid, at=minutes(1))
    log.resolve(cid, remedy="repair", summary="Seal replaced", at=minutes(60))
    return cid


def versions(log: ComplaintLog, cid: UUID) -> int:
    return len(log.history(cid))


# -- rule 1: a complaint is never refused ------------------------------------------------


@pytest.mark.parametrize(
    "channel", ["phone", "email", "web", "letter", "social", "in_person", "other"]
)
def test_every_channel_is_accepted(log: ComplaintLog, channel: str) -> None:
    cid = receive(log, channel=channel)
    assert log.get(cid).status is Status.RECEIVED
    assert log.get(cid).channel == channel


def test_a_minimal_complaint_is_recorded_with_defaults(log: ComplaintLog) -> None:
    cid = log.receive(customer={"id": "c"}, channel="web", subject="s", description="d")
    view = log.get(cid)
    assert view.severity == "normal"
    assert view.category is None
    assert view.received_at == log.clock()


# -- rule 2: nothing before Received; after Resolved only follow-up, survey, reopen; -----
# -- nothing after Withdrawn -------------------------------------------------------------


def test_commands_on_an_unknown_complaint_are_refused(log: ComplaintLog) -> None:
    unknown = uuid4()
    with pytest.raises(ComplaintNotFoundError, match=str(unknown)):
        log.acknowledge(unknown)
    with pytest.raises(ComplaintNotFoundError):
        log.get(unknown)


@pytest.mark.parametrize(
    ("command", "kwargs"),
    [
        ("assign", {"assignee": "Ivo"}),
        ("escalate", {"level": "supervisor", "reason": "angry"}),
        ("make_promise", {"promise": "call", "due": minutes(500)}),
        ("inform", {"message": "update"}),
        ("reclassify", {"reason": "r", "severity": "high"}),
        ("pause", {"reason": "waiting"}),
        ("withdraw", {}),
    ],
)
def test_after_resolution_only_follow_up_survey_and_reopen_are_allowed(
    log: ComplaintLog, command: str, kwargs: dict[str, object]
) -> None:
    cid = resolved(log)
    before = versions(log, cid)
    with pytest.raises(ComplaintClosedError, match="reopen it first"):
        getattr(log, command)(cid, at=minutes(61), **kwargs)
    assert versions(log, cid) == before


def test_follow_up_survey_and_reopen_are_allowed_after_resolution(log: ComplaintLog) -> None:
    cid = resolved(log)
    log.follow_up(cid, solved=True, at=minutes(120))
    log.record_survey(cid, score=4, at=minutes(130))
    assert log.get(cid).status is Status.CLOSED
    log.reopen(cid, reason="customer_returned", at=minutes(200))
    assert log.get(cid).status is Status.REOPENED
    assert log.get(cid).cycle == 2


@pytest.mark.parametrize(
    ("command", "kwargs"),
    [
        ("acknowledge", {}),
        ("assign", {"assignee": "Ivo"}),
        ("resolve", {"remedy": "refund", "summary": "s"}),
        ("reopen", {"reason": "dispute"}),
        ("follow_up", {"solved": True}),
        ("record_survey", {"score": 3}),
        ("withdraw", {}),
    ],
)
def test_nothing_happens_after_withdrawal(
    log: ComplaintLog, command: str, kwargs: dict[str, object]
) -> None:
    cid = receive(log)
    log.withdraw(cid, reason="sorted it out myself", at=minutes(5))
    before = versions(log, cid)
    with pytest.raises(ComplaintWithdrawnError, match="withdrawn at"):
        getattr(log, command)(cid, at=minutes(6), **kwargs)
    assert versions(log, cid) == before
    assert log.get(cid).status is Status.WITHDRAWN


# -- rule 3: acknowledged at most once; resolved implies acknowledged --------------------


def test_acknowledging_twice_is_refused(log: ComplaintLog) -> None:
    cid = receive(log)
    log.acknowledge(cid, at=minutes(1))
    with pytest.raises(AlreadyAcknowledgedError):
        log.acknowledge(cid, at=minutes(2))
    assert versions(log, cid) == 2


def test_resolving_an_unacknowledged_complaint_is_refused(log: ComplaintLog) -> None:
    cid = receive(log)
    with pytest.raises(NotAcknowledgedError, match="first_contact=True"):
        log.resolve(cid, remedy="apology", summary="sorry", at=minutes(3))
    assert versions(log, cid) == 1


def test_resolving_at_first_contact_records_acknowledgement_then_resolution(
    log: ComplaintLog,
) -> None:
    cid = receive(log)
    log.resolve(cid, remedy="apology", summary="sorry", first_contact=True, at=minutes(3))
    events = [entry.event for entry in log.history(cid)]
    assert events == ["Received", "Acknowledged", "Resolved"]
    view = log.get(cid)
    assert view.acknowledged_at == view.resolved_at == minutes(3)


# -- rule 4: promises --------------------------------------------------------------------


def test_a_promise_must_fall_due_after_it_is_made(log: ComplaintLog) -> None:
    cid = receive(log)
    with pytest.raises(PromiseDueNotAfterMakingError):
        log.make_promise(cid, promise="call", due=minutes(10), at=minutes(10))
    assert versions(log, cid) == 1


def test_an_update_before_due_keeps_the_promise(log: ComplaintLog) -> None:
    cid = receive(log)
    pid = log.make_promise(cid, promise="call back", due=minutes(60), at=minutes(5))
    log.inform(cid, message="still checking", at=minutes(60))
    (promise,) = log.get(cid).promises
    assert promise.promise_id == pid
    assert promise.state is PromiseState.KEPT
    assert promise.kept_at == minutes(60)


def test_a_promise_whose_due_passes_first_is_broken(log: ComplaintLog, clock: object) -> None:
    cid = receive(log)
    log.make_promise(cid, promise="call back", due=minutes(60), at=minutes(5))
    log.inform(cid, message="late update", at=minutes(61))
    view = log.get(cid, as_of=minutes(90))
    assert [p.state for p in view.promises] == [PromiseState.BROKEN]
    assert log.get(cid, as_of=minutes(59)).promises[0].state is PromiseState.OPEN


def test_a_new_promise_supersedes_the_open_one_and_both_are_kept(log: ComplaintLog) -> None:
    cid = receive(log)
    first = log.make_promise(cid, promise="call by 10", due=minutes(60), at=minutes(5))
    second = log.make_promise(cid, promise="call by 12", due=minutes(180), at=minutes(30))
    log.acknowledge(cid, at=minutes(31))
    log.resolve(cid, remedy="explanation", summary="explained", at=minutes(100))
    states = {p.promise_id: p.state for p in log.get(cid).promises}
    assert states == {first: PromiseState.SUPERSEDED, second: PromiseState.KEPT}


# -- rule 5: escalation ------------------------------------------------------------------


def test_escalation_never_goes_down(log: ComplaintLog) -> None:
    cid = receive(log)
    log.escalate(cid, level="management", reason="refund over limit", at=minutes(1))
    with pytest.raises(EscalationDowngradeError, match="'supervisor' is below 'management'"):
        log.escalate(cid, level="supervisor", reason="other", at=minutes(2))
    log.escalate(cid, level="regulator", reason="customer went to the regulator", at=minutes(3))
    assert log.get(cid).escalation_level == "regulator"
    assert log.get(cid).status is Status.ESCALATED


def test_escalating_to_the_same_level_needs_a_new_reason(log: ComplaintLog) -> None:
    cid = receive(log)
    log.escalate(cid, level="supervisor", reason="angry", at=minutes(1))
    with pytest.raises(EscalationRepeatedError):
        log.escalate(cid, level="supervisor", reason="angry", at=minutes(2))
    log.escalate(cid, level="supervisor", reason="asked for a manager", at=minutes(3))
    assert versions(log, cid) == 3


# -- rule 6: cycles ----------------------------------------------------------------------


def test_resolving_twice_in_one_cycle_is_refused(log: ComplaintLog) -> None:
    cid = resolved(log)
    with pytest.raises(ResolvedTwiceError):
        log.resolve(cid, remedy="refund", summary="again", at=minutes(70))


def test_reopening_starts_a_cycle_that_may_be_resolved_again(log: ComplaintLog) -> None:
    cid = resolved(log)
    log.reopen(cid, reason="dispute", at=minutes(100))
    log.resolve(cid, remedy="refund", summary="refunded", at=minutes(200))
    view = log.get(cid)
    assert view.cycle == 2
    assert [r.remedy for r in view.resolutions] == ["repair", "refund"]


def test_reopening_an_unresolved_complaint_is_refused(log: ComplaintLog) -> None:
    cid = receive(log)
    with pytest.raises(ComplaintNotResolvedError):
        log.reopen(cid, reason="dispute", at=minutes(5))


def test_follow_up_and_survey_need_a_resolution(log: ComplaintLog) -> None:
    cid = receive(log)
    with pytest.raises(ComplaintNotResolvedError):
        log.follow_up(cid, solved=True, at=minutes(5))
    with pytest.raises(ComplaintNotResolvedError):
        log.record_survey(cid, score=5, at=minutes(5))
    assert versions(log, cid) == 1


def test_follow_up_and_survey_happen_at_most_once_per_cycle(log: ComplaintLog) -> None:
    cid = resolved(log)
    log.follow_up(cid, solved=True, at=minutes(100))
    log.record_survey(cid, score=5, at=minutes(101))
    with pytest.raises(FollowUpRepeatedError):
        log.follow_up(cid, solved=True, at=minutes(102))
    with pytest.raises(SurveyRepeatedError):
        log.record_survey(cid, score=4, at=minutes(103))
    log.reopen(cid, reason="customer_returned", at=minutes(200))
    log.resolve(cid, remedy="refund", summary="refunded", at=minutes(300))
    log.follow_up(cid, solved=True, at=minutes(400))
    assert log.get(cid).status is Status.CLOSED


def test_an_unsolved_follow_up_reopens_the_complaint(log: ComplaintLog) -> None:
    cid = resolved(log)
    log.follow_up(cid, solved=False, note="still leaking", at=minutes(100))
    assert [e.event for e in log.history(cid)][-2:] == ["FollowedUp", "Reopened"]
    assert log.history(cid)[-1].payload["reason"] == "follow_up_unsolved"
    assert log.get(cid).status is Status.REOPENED


# -- rule 7: pauses ----------------------------------------------------------------------


def test_pausing_twice_and_resuming_unpaused_are_refused(log: ComplaintLog) -> None:
    cid = receive(log)
    with pytest.raises(NotPausedError):
        log.resume(cid, at=minutes(1))
    log.pause(cid, reason="waiting for the invoice", at=minutes(2))
    assert log.get(cid).status is Status.PAUSED
    with pytest.raises(AlreadyPausedError):
        log.pause(cid, reason="again", at=minutes(3))
    log.resume(cid, at=minutes(30))
    view = log.get(cid)
    assert view.pauses == ((minutes(2), minutes(30)),)
    assert view.status is Status.RECEIVED


# -- rule 8: time ------------------------------------------------------------------------


def test_time_never_runs_backwards_within_a_complaint(log: ComplaintLog) -> None:
    cid = receive(log)
    log.acknowledge(cid, at=minutes(10))
    with pytest.raises(TimeRunsBackwardsError, match="before the previous event"):
        log.assign(cid, assignee="Ivo", at=minutes(9))
    log.assign(cid, assignee="Ivo", at=minutes(10))
    assert versions(log, cid) == 3


def test_business_time_may_not_run_ahead_of_the_clock_beyond_the_skew(
    log: ComplaintLog,
) -> None:
    now = log.clock()
    with pytest.raises(TimeTooFarInFutureError):
        receive(log, at=now + timedelta(minutes=6))
    cid = receive(log, at=now + timedelta(minutes=5))
    with pytest.raises(TimeTooFarInFutureError):
        log.acknowledge(cid, at=now + timedelta(hours=1))
    assert versions(log, cid) == 1


def test_the_allowed_skew_is_configurable(clock: object) -> None:
    strict = ComplaintLog(clock=clock, max_clock_skew=timedelta(0))  # type: ignore[arg-type]
    with pytest.raises(TimeTooFarInFutureError):
        receive(strict, at=strict.clock() + timedelta(seconds=1))
    strict.close()


# -- rule 9: bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"at": datetime(2026, 3, 2, 9, 0)}, "at"),  # naive: no time zone
        ({"severity": "apocalyptic"}, "severity"),
        ({"subject": ""}, "subject"),
        ({"subject": "a\x00b"}, "subject"),
        ({"customer": {"name": "no id"}}, "customer.id"),
        ({"category": {"cause": "Not A Code!"}}, "category.cause"),
        ({"category": {"dimension": "beauty"}}, "category.dimension"),
    ],
)
def test_malformed_complaints_are_refused_with_the_field_named(
    log: ComplaintLog, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValueError) as raised:
        receive(log, **overrides)
    assert raised.value.field == field
    assert field in str(raised.value)
    assert log.max_position() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"compensation": {"amount": "-5", "currency": "EUR"}}, "compensation.amount"),
        ({"compensation": {"amount": "NaN", "currency": "EUR"}}, "compensation.amount"),
        ({"compensation": {"amount": "5", "currency": "EURO"}}, "compensation.currency"),
        ({"compensation": {"amount": "5", "currency": "XYZ"}}, "compensation.currency"),
        ({"compensation": {"amount": "5.001", "currency": "EUR"}}, "compensation"),
        ({"compensation": {"amount": "5.5", "currency": "JPY"}}, "compensation"),
        ({"remedy": "Cash!"}, "remedy"),  # a company code is lowercase ("cash" is one)
    ],
)
def test_malformed_resolutions_are_refused_and_nothing_is_recorded(
    log: ComplaintLog, kwargs: dict[str, object], field: str
) -> None:
    cid = receive(log)
    log.acknowledge(cid, at=minutes(1))
    arguments: dict[str, object] = {"remedy": "refund", "summary": "refunded"}
    arguments.update(kwargs)
    with pytest.raises(InvalidValueError) as raised:
        log.resolve(cid, at=minutes(2), **arguments)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert versions(log, cid) == 2


@pytest.mark.parametrize("score", [0, 6, 7, -1, 3.5, "5"])
def test_survey_scores_outside_one_to_five_are_refused(log: ComplaintLog, score: object) -> None:
    cid = resolved(log)
    with pytest.raises(InvalidValueError, match="score"):
        log.record_survey(cid, score=score, at=minutes(100))  # type: ignore[arg-type]
    assert versions(log, cid) == 3


def test_empty_reasons_and_unknown_ids_are_refused(log: ComplaintLog) -> None:
    cid = receive(log)
    with pytest.raises(InvalidValueError, match="reason"):
        log.escalate(cid, level="supervisor", reason="   ", at=minutes(1))
    with pytest.raises(InvalidValueError, match="complaint_id"):
        log.acknowledge("not-a-uuid")  # type: ignore[arg-type]
    assert versions(log, cid) == 1


def test_compensation_keeps_its_exact_decimal_amount(log: ComplaintLog) -> None:
    cid = receive(log)
    log.resolve(
        cid,
        remedy="compensation",
        summary="goodwill",
        compensation={"amount": "19.99", "currency": "EUR"},
        first_contact=True,
        at=minutes(5),
    )
    compensation = log.get(cid).resolutions[0].compensation
    assert compensation is not None
    assert compensation.amount == Decimal("19.99")
    assert compensation.currency == "EUR"


def test_reclassifying_to_the_same_values_is_refused(log: ComplaintLog) -> None:
    cid = receive(log, severity="high", category={"cause": "billing"})
    with pytest.raises(ReclassificationUnchangedError):
        log.reclassify(cid, reason="checked", severity="high", at=minutes(1))
    with pytest.raises(ReclassificationUnchangedError):
        log.reclassify(cid, reason="checked", at=minutes(1))
    log.reclassify(
        cid, reason="it was the repair", category={"cause": "repair_quality"}, at=minutes(2)
    )
    view = log.get(cid)
    assert view.category is not None
    assert view.category.cause == "repair_quality"
    assert view.severity == "high"


def test_implausible_times_are_refused(log: ComplaintLog) -> None:
    with pytest.raises(InvalidValueError, match="before 1900-01-01 is not plausible"):
        receive(log, at=datetime(1899, 12, 31, tzinfo=UTC))
    cid = receive(log)
    with pytest.raises(InvalidValueError, match="due within 3653 days"):
        log.make_promise(cid, promise="one day", due=T0 + timedelta(days=4000), at=minutes(1))
    assert versions(log, cid) == 1

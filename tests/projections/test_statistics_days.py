"""Statistics of settled history come from the day rows, and say what the fact rows say.

A report whose ``as_of`` is not before anything recorded (the usual "as of now"), ungrouped
and in the policy calendar's time zone, is answered from one pre-aggregated row per local
day (``projections/statistics/_days.py``), its SLA compliance from the SLA projection's
outcome counts per local day (``projections/_sla_days.py``); every other report reads the
fact rows and the SLA clock rows. Those are the simple model here: both must give the same
figures, whatever the history, however it was cut into catch-ups, and a rebuild must leave
the same day rows as catching up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.errors import ComplaintLogError
from complaintlog.projections import Projections, StatisticsView, _sla_days
from complaintlog.projections._day_starts import DayStarts
from complaintlog.projections._framework import from_us
from complaintlog.projections._sla_days import OUTCOME_DAYS, page_query
from complaintlog.projections._store import SqliteViewStore, ViewStore
from complaintlog.projections.sla import CLOCKS, SlaProjection
from complaintlog.projections.statistics import PERIODS, PeriodStatistics
from complaintlog.projections.statistics._days import DAYS_TABLE
from complaintlog.testing import Workload, apply_lifecycle, workloads
from complaintlog.testing.strategies import Lifecycle

from .conftest import RecordingClock

LATER = datetime(2027, 1, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CATEGORIES = (
    {"dimension": None, "cause": "billing", "product": "Broadband"},
    {"dimension": None, "cause": "delay", "product": None},
)


@contextmanager
def from_fact_rows(view: StatisticsView) -> Iterator[None]:
    """Make ``view`` answer every report from the fact rows (and the SLA clock rows)."""
    view._settled = lambda zone, cut: False  # type: ignore[method-assign]
    view._sla_days = lambda *args: False  # type: ignore[method-assign]
    try:
        yield
    finally:
        del view._settled  # type: ignore[method-assign]
        del view._sla_days  # type: ignore[method-assign]


def both(view: StatisticsView, *args: Any, **kwargs: Any) -> list[PeriodStatistics]:
    """The report from the day rows, checked against the same report from the fact rows."""
    as_of = kwargs.get("as_of")
    cut = None if as_of is None else (as_of - EPOCH) // timedelta(microseconds=1)
    assert view._settled(view.time_zone, cut), "the day rows are there to answer"
    answered_by_days = []
    sla_days = view._sla_days

    def recorded(*args: Any) -> bool:
        answered = sla_days(*args)
        answered_by_days.append(answered)
        return answered

    view._sla_days = recorded  # type: ignore[method-assign]
    try:
        from_days = view.report(*args, **kwargs)
    finally:
        del view._sla_days  # type: ignore[method-assign]
    assert answered_by_days == [True], "the outcome day rows are there to answer"
    with from_fact_rows(view):
        from_facts = view.report(*args, **kwargs)
    assert from_days == from_facts
    # equal Decimals may still print differently: the sums must be the same numbers
    assert [str(row.compensation) for row in from_days] == [
        str(row.compensation) for row in from_facts
    ]
    return from_days


def day_rows(store: ViewStore) -> list[tuple[Any, ...]]:
    """The statistics day rows, then the SLA outcome day rows."""
    return [tuple(row) for row in store.query(f"SELECT * FROM {DAYS_TABLE} ORDER BY day_us")] + [
        tuple(row) for row in store.query(f"SELECT * FROM {OUTCOME_DAYS} ORDER BY day_us, metric")
    ]


def latest_activity(view: StatisticsView) -> datetime:
    """The earliest ``as_of`` the day rows answer for: the latest activity recorded."""
    return from_us(
        view._store.query("SELECT MAX(last_activity_us) FROM complaintlog_statistics")[0][0]
    )


def _mixed(
    lifecycle: Lifecycle, customer: str, category: int | None, money: str | None
) -> Lifecycle:
    """The lifecycle for a customer from a small pool, in a category from a small set (so
    that complaints repeat), compensated with ``money`` if it is resolved."""
    receive, *rest = lifecycle.commands
    arguments = dict(receive.arguments)
    arguments["customer"] = {**arguments["customer"], "id": customer}
    arguments["category"] = CATEGORIES[category] if category is not None else None
    commands = [attrs.evolve(receive, arguments=arguments)]
    for planned in rest:
        if planned.name == "resolve" and money is not None:
            amount, currency = money.split()
            planned = attrs.evolve(
                planned,
                arguments={
                    **planned.arguments,
                    "compensation": {"amount": amount, "currency": currency},
                },
            )
        commands.append(planned)
    return Lifecycle(tuple(commands))


@st.composite
def histories(draw: st.DrawFn) -> Workload:
    workload = draw(workloads(complaints=st.integers(1, 8), max_steps=10))
    return Workload(
        tuple(
            _mixed(
                lifecycle,
                draw(st.sampled_from(["C-1", "C-2"])),
                draw(st.none() | st.sampled_from([0, 1])),
                draw(st.none() | st.sampled_from(["10.50 EUR", "2 EUR", "1E+1 GBP"])),
            )
            for lifecycle in workload.lifecycles
        )
    )


def _periods_of(view: StatisticsView, workload: Workload) -> None:
    first = min(lifecycle.commands[0].at for lifecycle in workload.lifecycles)
    start, end = first - timedelta(days=3), workload.ends_at + timedelta(days=40)
    for period in PERIODS:
        both(view, period, start, end)
    both(view, "month", start + timedelta(days=11), start + timedelta(days=12))
    # as of the latest activity: clocks still running then, due later (and breaching then),
    # are not decided yet; the outcomes of that day so far are
    as_of = latest_activity(view)
    for period in ("day", "month"):
        both(view, period, start, end, as_of=as_of)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    workload=histories(),
    cuts=st.lists(st.integers(0, 50), max_size=4),
    batch_size=st.integers(1, 12),
    reclassified=st.lists(st.tuples(st.integers(0, 50), st.sampled_from([0, 1])), max_size=3),
)
def test_reports_from_day_rows_equal_reports_from_fact_rows_and_rebuilds_agree(
    policy: SlaPolicy,
    workload: Workload,
    cuts: list[int],
    batch_size: int,
    reclassified: list[tuple[int, int]],
) -> None:
    with (
        ComplaintLog("memory://", clock=lambda: LATER) as log,
        Projections(log, policy=policy, batch_size=batch_size) as views,
    ):
        cut_points = {cut % len(workload.lifecycles) for cut in cuts}
        ids = []
        for index, lifecycle in enumerate(workload.lifecycles):
            ids.append(apply_lifecycle(log, lifecycle))
            if index in cut_points:
                views.catch_up()
        views.catch_up()
        _periods_of(views.statistics, workload)
        # a later reclassification moves complaints in and out of being repeats
        for index, category in reclassified:
            lifecycle = workload.lifecycles[index % len(ids)]
            try:
                log.reclassify(
                    ids[index % len(ids)],
                    category=CATEGORIES[category],
                    reason="assessed",
                    at=lifecycle.ends_at,
                )
            except ComplaintLogError:
                continue  # not allowed in its state
            views.catch_up()
        _periods_of(views.statistics, workload)
        incremental = day_rows(views.store)
        with Projections(
            log, policy=policy, store=SqliteViewStore(":memory:"), batch_size=100_000
        ) as fresh:
            fresh._owns_store = True
            fresh.catch_up()
            assert day_rows(fresh.store) == incremental
        views.rebuild()
        assert day_rows(views.store) == incremental
        _periods_of(views.statistics, workload)


def test_repeats_compensation_and_reclassification_by_day_rows(policy: SlaPolicy) -> None:
    day = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with (
        ComplaintLog("memory://", clock=lambda: LATER) as log,
        Projections(log, policy=policy) as views,
    ):
        customer = {"id": "C-7"}
        category = CATEGORIES[0]
        first = log.receive(
            customer=customer,
            channel="web",
            subject="Bill",
            description="Billed twice",
            category=category,
            at=day,
        )
        log.resolve(
            first,
            remedy="refund",
            summary="refunded",
            first_contact=True,
            compensation={"amount": "10.50", "currency": "EUR"},
            at=day + timedelta(hours=2),
        )
        second = log.receive(
            customer=customer,
            channel="web",
            subject="Bill again",
            description="Billed twice again",
            category=category,
            at=day + timedelta(days=10),
        )
        log.acknowledge(second, at=day + timedelta(days=10))
        views.catch_up()
        (march,) = both(
            views.statistics,
            "month",
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
        )
        assert (march.received, march.resolved, march.repeat_complaints) == (2, 1, 1)
        assert str(march.compensation["EUR"]) == "10.50"
        # the second complaint was about something else after all: no repeat
        log.reclassify(
            second, category=CATEGORIES[1], reason="assessed", at=day + timedelta(days=10)
        )
        log.resolve(
            second,
            remedy="refund",
            summary="refunded",
            compensation={"amount": "2", "currency": "EUR"},
            at=day + timedelta(days=11, hours=1),
        )
        views.catch_up()
        (march,) = both(
            views.statistics,
            "month",
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
        )
        assert march.repeat_complaints == 0
        assert str(march.compensation["EUR"]) == "12.50"
        assert march.resolve_median == timedelta(hours=5, minutes=30)  # of 2 h and 9 h
        # reports as of an earlier moment, grouped, or in another time zone read the facts
        statistics = views.statistics
        assert not statistics._settled(
            statistics.time_zone,
            (day - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1),
        )
        from zoneinfo import ZoneInfo

        assert not statistics._settled(ZoneInfo("Europe/Zagreb"), None)


def test_days_follow_local_midnight_across_daylight_saving_changes() -> None:
    policy = SlaPolicy.preset("default")  # Europe/Zagreb: clocks go forward on 2026-03-29
    zone = policy.calendar.time_zone
    with (
        ComplaintLog("memory://", clock=lambda: LATER) as log,
        Projections(log, policy=policy) as views,
    ):
        # around local midnight on either side of the change, and in the short night
        moments = [
            datetime(2026, 3, 28, 23, 30, tzinfo=zone),
            datetime(2026, 3, 29, 0, 30, tzinfo=zone),
            datetime(2026, 3, 29, 3, 30, tzinfo=zone),
            datetime(2026, 3, 29, 23, 59, tzinfo=zone),
            datetime(2026, 10, 24, 23, 59, tzinfo=zone),
            datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=zone),
            datetime(2026, 10, 26, 0, 0, tzinfo=zone),
        ]
        for moment in moments:
            complaint = log.receive(
                customer={"id": "C-1"},
                channel="phone",
                subject="Noise",
                description="Loud",
                at=moment,
            )
            log.acknowledge(complaint, at=moment.astimezone(UTC) + timedelta(minutes=20))
        views.catch_up()
        days = both(
            views.statistics,
            "day",
            datetime(2026, 3, 27, tzinfo=zone),
            datetime(2026, 3, 31, tzinfo=zone),
        )
        assert [row.received for row in days] == [0, 1, 3, 0]
        days = both(
            views.statistics,
            "day",
            datetime(2026, 10, 24, tzinfo=zone),
            datetime(2026, 10, 27, tzinfo=zone),
        )
        assert [row.received for row in days] == [1, 1, 1]
        both(
            views.statistics,
            "week",
            datetime(2026, 3, 1, tzinfo=zone),
            datetime(2026, 11, 1, tzinfo=zone),
        )


def test_day_rows_on_every_store_after_catch_up_and_rebuild(
    store_log: ComplaintLog,
    recording_clock: RecordingClock,
    policy: SlaPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording_clock.now = LATER
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n in range(6):
        at = start + timedelta(days=5 * n)
        complaint = store_log.receive(
            customer={"id": f"C-{n % 2}"},
            channel="email",
            subject="Late parcel",
            description="Still waiting",
            category=CATEGORIES[0],
            at=at,
        )
        store_log.acknowledge(complaint, at=at + timedelta(hours=n))
        if n % 3:
            store_log.resolve(
                complaint,
                remedy="apology",
                summary="sorry",
                compensation={"amount": f"{n}.25", "currency": "EUR"},
                at=at + timedelta(days=n, hours=1),
            )
    with Projections(store_log, policy=policy) as views:
        views.catch_up()
        months = both(
            views.statistics, "month", datetime(2026, 2, 1, tzinfo=UTC), LATER - timedelta(days=300)
        )
        assert sum(row.received for row in months) == 6
        assert sum(row.repeat_complaints for row in months) == 4
        assert views.store.query(f"SELECT COUNT(*) FROM {OUTCOME_DAYS}")[0][0]
        both(
            views.statistics,
            "day",
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
            as_of=latest_activity(views.statistics),
        )
        before = day_rows(views.store)
        monkeypatch.setattr(_sla_days, "_PAGE", 2)  # the outcome rows built in many pages
        views.rebuild()
        assert day_rows(views.store) == before
        assert (
            both(
                views.statistics,
                "month",
                datetime(2026, 2, 1, tzinfo=UTC),
                LATER - timedelta(days=300),
            )
            == months
        )


def test_compliance_from_outcome_days_leaves_out_what_is_decided_after_as_of(
    policy: SlaPolicy,
) -> None:
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # office hours 09-17 UTC, ack within 2 h
    with (
        ComplaintLog("memory://", clock=lambda: LATER) as log,
        Projections(log, policy=policy) as views,
    ):

        def receive(at: datetime) -> Any:
            return log.receive(
                customer={"id": "C-1"}, channel="web", subject="Bill", description="Twice", at=at
            )

        log.acknowledge(receive(monday), at=monday + timedelta(minutes=30))  # on time
        receive(monday + timedelta(hours=1))  # breached at 12:00
        receive(monday + timedelta(days=1))  # breaches on Tuesday at 11:00
        views.catch_up()
        march = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
        compliance = [
            both(views.statistics, "month", *march, as_of=monday + timedelta(days=1, hours=h))[
                0
            ].sla_compliance["acknowledge"]
            for h in (1, 2, 3)
        ]
        assert [(rate.part, rate.whole) for rate in compliance] == [(1, 2), (1, 3), (1, 3)]
        (month,) = both(views.statistics, "month", *march)
        assert (
            month.sla_compliance["acknowledge"].part,
            month.sla_compliance["acknowledge"].whole,
        ) == (1, 3)
        # outcome rows of another time zone do not answer
        from zoneinfo import ZoneInfo

        lo, hi = (int((moment - EPOCH) // timedelta(microseconds=1)) for moment in march)
        assert not views.statistics._sla_days(
            lambda moment, group: None, lo, hi, None, ZoneInfo("Europe/Zagreb")
        )


def test_the_outcome_pages_seek_to_where_the_last_page_ended() -> None:
    store = SqliteViewStore(":memory:")
    with store.transaction() as tx:
        projection = SlaProjection(SlaPolicy.preset("default"))
        projection.create_tables(tx)
        projection.create_indexes(tx)  # the clocks' complaint index is one of them
    plan = store.query("EXPLAIN QUERY PLAN " + page_query(CLOCKS), ("", "", 100))
    detail = " ".join(str(row[-1]) for row in plan)
    assert "SEARCH" in detail, detail  # not a SCAN from the first key for every page
    store.close()


ZONES = (
    "Europe/London",
    "America/Sao_Paulo",  # DST began at local midnight until 2018
    "America/Havana",  # and here too
    "Asia/Kolkata",  # +05:30: days begin in the middle of a UTC hour
    "Australia/Lord_Howe",  # a half-hour DST shift
    "Pacific/Apia",  # skipped 30 December 2011 entirely
)


def day_start_by_definition(zone: ZoneInfo, moment: int) -> int:
    """The last local midnight (as ``datetime(y, m, d, tzinfo=zone)``) at or before it."""
    local = (EPOCH + timedelta(microseconds=moment)).astimezone(zone).date()
    starts = [
        (datetime(d.year, d.month, d.day, tzinfo=zone) - EPOCH) // timedelta(microseconds=1)
        for d in (local + timedelta(days=k) for k in range(-2, 3))
    ]
    return max(start for start in starts if start <= moment)


@given(
    zone=st.sampled_from(ZONES),
    moments=st.lists(
        st.integers(
            min_value=(datetime(1990, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1),
            max_value=(datetime(2060, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1),
        ),
        min_size=1,
        max_size=40,
    ),
    near=st.lists(st.integers(min_value=-3 * 86_400, max_value=3 * 86_400), max_size=40),
)
@settings(max_examples=200, deadline=None)
def test_day_starts_follow_the_definition_far_apart_and_near(
    zone: str, moments: list[int], near: list[int]
) -> None:
    """Moments decades apart and seconds apart, in zones with odd midnights, on one lookup
    (whose remembered hours must never answer for the wrong day)."""
    day_of = DayStarts(ZoneInfo(zone))
    probes = moments + [moments[0] + seconds * 1_000_000 for seconds in near]
    for moment in moments[:3]:  # around the midnights, every half hour: both sides of one
        midnight = day_start_by_definition(ZoneInfo(zone), moment)
        probes += [midnight + k * 1_800_000_000 for k in range(-4, 5)] + [midnight - 1]
    for moment in probes + probes:
        assert day_of.of(moment) == day_start_by_definition(ZoneInfo(zone), moment)

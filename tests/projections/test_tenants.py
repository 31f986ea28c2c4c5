"""Tenants: one view store, one SLA policy per tenant, every query filtered by tenant.

The oracle is the set-up tenants replace: one log and one view store per tenant, each under
its own policy. The same simulated complaints are recorded once into a shared log (each
with its tenant) and once into their tenant's own log; every SLA clock, breach, at-risk
clock, agenda item, count and statistic of a tenant must be the same in both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from complaintlog import ComplaintLog, InvalidValueError
from complaintlog.importing.plan import ComplaintPlan
from complaintlog.importing.simulation import Simulation
from complaintlog.importing.writer import PlanWriter
from complaintlog.projections import Projections, ViewPolicyMismatchError
from complaintlog.projections.sla import Clock

NOW = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
POLICIES = {"brand-a": "fca", "brand-b": "psd2"}
"""Two tenants with their own policies; complaints without a tenant have the default."""
TENANTS = ("brand-a", "brand-b", "default")
POLICY_OF = {**POLICIES, "default": "default"}


def _plans() -> list[tuple[str, ComplaintPlan]]:
    """Sixty simulated complaints over six weeks (paused, promised, resolved, reopened, still
    open), dealt to the three tenants in turn."""
    plans = Simulation(21, now=NOW).generate(60, start=NOW - timedelta(days=42))
    return [(TENANTS[number % 3], plan.checked(NOW)) for number, plan in enumerate(plans)]


def _record(log: ComplaintLog, plans: list[tuple[str, ComplaintPlan]], *, tagged: bool) -> None:
    writer = PlanWriter(log)
    for tenant, plan in plans:
        if tagged and tenant != "default":
            plan = attrs.evolve(plan, receive={**plan.receive, "tenant": tenant})
        writer.add(plan)
    writer.flush()


@pytest.fixture
def shared(views_store_url: str) -> Iterator[tuple[ComplaintLog, Projections]]:
    """Every tenant's complaints in one log, and one view store holding every policy."""
    plans = _plans()
    with ComplaintLog(views_store_url, clock=lambda: NOW) as log:
        _record(log, plans, tagged=True)
        with Projections(log, policy="default", tenant_policies=POLICIES) as views:
            views.catch_up()
            yield log, views


@pytest.fixture(scope="module")
def separate() -> Iterator[dict[str, tuple[ComplaintLog, Projections]]]:
    """The oracle: one log and one view store per tenant, under that tenant's policy."""
    plans = _plans()
    found: dict[str, tuple[ComplaintLog, Projections]] = {}
    for tenant in TENANTS:
        log = ComplaintLog("memory://", clock=lambda: NOW)
        _record(log, [(t, plan) for t, plan in plans if t == tenant], tagged=False)
        views = Projections(log, policy=POLICY_OF[tenant])
        views.catch_up()
        found[tenant] = (log, views)
    yield found
    for log, views in found.values():
        views.close()
        log.close()


def _ref(log: ComplaintLog, complaint_id: object) -> str:
    """A complaint by its external reference: the same in both set-ups (ids are not)."""
    view = log.get(complaint_id)
    assert view.external_ref is not None
    return view.external_ref


def _clocks(log: ComplaintLog, clocks: list[Clock]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            _ref(log, clock.complaint_id),
            clock.target,
            clock.metric,
            clock.cycle,
            clock.due,
            clock.met_at,
            clock.cancelled_at,
            clock.paused_since,
        )
        for clock in clocks
    )


@pytest.mark.parametrize("tenant", TENANTS)
def test_each_complaint_is_measured_as_in_its_own_tenants_store(
    shared: tuple[ComplaintLog, Projections],
    separate: dict[str, tuple[ComplaintLog, Projections]],
    tenant: str,
) -> None:
    log, views = shared
    alone, alone_views = separate[tenant]
    mine = list(views.current_state.search(tenant=tenant, limit=1000))
    assert sorted(_ref(log, c.complaint_id) for c in mine) == sorted(
        _ref(alone, c.complaint_id) for c in alone_views.current_state.search(limit=1000)
    )
    assert len(mine) == 20
    for state in mine:
        twin = alone.find(_ref(log, state.complaint_id))
        assert twin is not None
        assert _clocks(log, views.sla.clocks(state.complaint_id)) == _clocks(
            alone, alone_views.sla.clocks(twin)
        )


@pytest.mark.parametrize("tenant", TENANTS)
@pytest.mark.parametrize("days_ago", [0, 10, 30])
def test_breaches_at_risk_and_the_agenda_of_a_tenant_are_its_own_stores(
    shared: tuple[ComplaintLog, Projections],
    separate: dict[str, tuple[ComplaintLog, Projections]],
    tenant: str,
    days_ago: int,
) -> None:
    log, views = shared
    alone, alone_views = separate[tenant]
    as_of = NOW - timedelta(days=days_ago)
    assert _clocks(log, views.sla.breaches(as_of, tenant=tenant)) == _clocks(
        alone, alone_views.sla.breaches(as_of)
    )
    assert views.sla.count_breaches(as_of, tenant=tenant) == alone_views.sla.count_breaches(as_of)
    assert _clocks(log, views.sla.at_risk(as_of, tenant=tenant)) == _clocks(
        alone, alone_views.sla.at_risk(as_of)
    )
    assert _clocks(log, views.sla.broken_promises(as_of, tenant=tenant)) == _clocks(
        alone, alone_views.sla.broken_promises(as_of)
    )
    assert views.sla.late_by_source(tenant=tenant) == alone_views.sla.late_by_source()

    def items(where: ComplaintLog, found: list[Any]) -> list[tuple[Any, ...]]:
        return sorted(
            (_ref(where, i.complaint_id), i.action, i.target, i.due, i.opens, i.assignee)
            for i in found
        )

    until = as_of + timedelta(days=7)
    assert items(log, views.agenda.due(as_of=as_of, until=until, tenant=tenant)) == items(
        alone, alone_views.agenda.due(as_of=as_of, until=until)
    )


@pytest.mark.parametrize("tenant", TENANTS)
def test_statistics_of_a_tenant_are_its_own_stores(
    shared: tuple[ComplaintLog, Projections],
    separate: dict[str, tuple[ComplaintLog, Projections]],
    tenant: str,
) -> None:
    _, views = shared
    _, alone_views = separate[tenant]
    start, end = NOW - timedelta(days=49), NOW + timedelta(days=1)
    for zone in ("UTC", "Europe/London"):
        mine = views.statistics.report("week", start, end, as_of=NOW, time_zone=zone, tenant=tenant)
        theirs = alone_views.statistics.report("week", start, end, as_of=NOW, time_zone=zone)
        assert mine == theirs
    assert views.statistics.acknowledgements(
        start, end, tenant=tenant
    ) == alone_views.statistics.acknowledgements(start, end)


def test_reports_group_by_tenant(shared: tuple[ComplaintLog, Projections]) -> None:
    _, views = shared
    start, end = NOW - timedelta(days=49), NOW + timedelta(days=1)
    grouped = views.statistics.report("month", start, end, as_of=NOW, group_by="tenant")
    received: dict[str | None, int] = {}
    for row in grouped:
        received[row.group] = received.get(row.group, 0) + row.received
    assert received == dict.fromkeys(TENANTS, 20)


def test_combined_filters_and_counts(
    shared: tuple[ComplaintLog, Projections],
) -> None:
    """Team + status + category + tenant, as a brand's CRM asks: checked against the rows
    read one by one from the log."""
    log, views = shared
    everything = views.current_state.search(limit=1000)
    assert len(everything) == 60
    truth = [
        (log.get(state.complaint_id), state) for state in everything
    ]  # the log's own view of each
    for tenant in TENANTS:
        for team in ("first-line", "technical", "billing"):
            wanted = sorted(
                str(view.id)
                for view, _ in truth
                if view.tenant == tenant and view.team == team and view.is_open
            )
            found = views.current_state.search(tenant=tenant, team=team, open_only=True)
            assert sorted(str(s.complaint_id) for s in found) == wanted
            assert views.current_state.count(tenant=tenant, team=team, open_only=True) == len(
                wanted
            )
        by_status: dict[str, int] = {}
        for view, _ in truth:
            if view.tenant == tenant:
                by_status[view.status.value] = by_status.get(view.status.value, 0) + 1
        counted = views.current_state.counts_by_status(tenant=tenant)
        assert {status.value: n for status, n in counted.items()} == by_status
        assert all(s.tenant == tenant for s in views.current_state.open(tenant=tenant))
    some = truth[0][0]
    assert some.category is not None
    product = some.category.product
    assert views.current_state.count(tenant=some.tenant, product=product) == sum(
        1
        for view, _ in truth
        if view.tenant == some.tenant and view.category and view.category.product == product
    )


def _stored(views_store_url: str) -> None:
    if views_store_url == "memory://":
        pytest.skip(
            "in memory, each Projections has views of its own: nothing is stored between them"
        )


def test_opening_with_another_tenants_policy_is_refused_naming_it(
    shared: tuple[ComplaintLog, Projections], views_store_url: str
) -> None:
    _stored(views_store_url)
    log, views = shared
    positions = views.positions()
    with pytest.raises(ViewPolicyMismatchError, match="tenant 'brand-b'") as raised:
        Projections(log, policy="default", tenant_policies={"brand-a": "fca", "brand-b": "cfpb"})
    assert raised.value.tenants == ["brand-b"]
    assert "tenant='brand-b'" in str(raised.value)  # how to change it
    with pytest.raises(ViewPolicyMismatchError, match="tenant 'brand-a'"):
        Projections(log, policy="default", tenant_policies={"brand-b": "psd2"})  # one left out
    with pytest.raises(ViewPolicyMismatchError, match="tenant 'default'"):
        Projections(log, policy="fca", tenant_policies=POLICIES)
    assert views.positions() == positions  # nothing was rebuilt or reset


def test_changing_one_tenants_policy_is_an_explicit_command(
    shared: tuple[ComplaintLog, Projections],
    separate: dict[str, tuple[ComplaintLog, Projections]],
    views_store_url: str,
) -> None:
    _stored(views_store_url)
    log, _views = shared
    changed = {"brand-a": "fca", "brand-b": "cfpb"}
    with pytest.raises(ViewPolicyMismatchError, match="tenant 'brand-a'"):
        # naming brand-b, but brand-a's policy would change too: refused, nothing changed
        Projections.change_policy(
            log,
            policy="default",
            tenant_policies={"brand-a": "ru", "brand-b": "cfpb"},
            tenant="brand-b",
        ).close()
    with Projections(log, policy="default", tenant_policies=POLICIES):
        pass  # still the stored set
    with Projections.change_policy(
        log, policy="default", tenant_policies=changed, tenant="brand-b"
    ) as after:
        with pytest.raises(ViewPolicyMismatchError, match="tenant 'brand-b'"):
            Projections(log, policy="default", tenant_policies=POLICIES)  # the old set now
        alone, _ = separate["brand-b"]
        with Projections(alone, policy="cfpb", store=_memory()) as oracle:
            oracle.catch_up()
            assert _clocks(log, after.sla.breaches(NOW, tenant="brand-b")) == _clocks(
                alone, oracle.sla.breaches(NOW)
            )
        brand_a, alone_a = separate["brand-a"][1], separate["brand-a"][0]
        assert _clocks(log, after.sla.breaches(NOW, tenant="brand-a")) == _clocks(
            alone_a, brand_a.sla.breaches(NOW)
        )
        assert after.policy_of("brand-b").name == "cfpb"
        assert after.policy_of("brand-c").name == "default"  # no policy of its own


def _memory() -> Any:
    from complaintlog.projections._store import SqliteViewStore

    return SqliteViewStore(":memory:")


def test_tenant_policies_are_checked(shared: tuple[ComplaintLog, Projections]) -> None:
    log, _ = shared
    with pytest.raises(InvalidValueError, match="tenant_policies") as raised:
        Projections(log, tenant_policies={"Brand A": "fca"}, store=_memory())
    assert "lowercase" in str(raised.value)
    with pytest.raises(InvalidValueError, match="policy="):
        Projections(log, tenant_policies={"default": "fca"}, store=_memory())


def test_a_tenant_is_a_lowercase_slug_and_nothing_is_recorded_otherwise() -> None:
    with ComplaintLog("memory://") as log:
        for bad in ("Brand-A", "", "-a", "a b", "x" * 65, 7):
            with pytest.raises(InvalidValueError, match="tenant") as raised:
                log.receive(
                    customer={"id": "C-1"},
                    channel="web",
                    subject="s",
                    description="d",
                    tenant=bad,  # type: ignore[arg-type]
                )
            assert raised.value.field == "tenant"
        assert log.max_position() == 0
        good = log.receive(
            customer={"id": "C-1"}, channel="web", subject="s", description="d", tenant="x" * 64
        )
        assert log.get(good).tenant == "x" * 64


OLD_TABLES = {
    "complaintlog_current_state": (
        "complaintlog_current_state_tenant",
        "complaintlog_current_state_tenant_open",
    ),
    "complaintlog_sla_cases": ("complaintlog_sla_cases_tenant",),
    "complaintlog_statistics": ("complaintlog_statistics_tenant",),
}


def test_views_built_before_tenants_open_without_a_rebuild(views_store_url: str) -> None:
    """A store whose view tables have no tenant column (as before tenants): opening the views
    adds it, every row reads the default tenant, and the views carry on from their
    positions."""
    _stored(views_store_url)
    plans = _plans()
    with ComplaintLog(views_store_url, clock=lambda: NOW) as log:
        _record(log, [(t, p) for t, p in plans[:30] if t == "default"], tagged=False)
        with Projections(log) as views:
            views.catch_up()
            with views.store.transaction() as tx:  # back to the tables of before
                for table, indexes in OLD_TABLES.items():
                    for index in indexes:
                        tx.execute(f"DROP INDEX IF EXISTS {index}")
                    tx.execute(f"ALTER TABLE {table} DROP COLUMN tenant")
            before = views.positions()
            counted = views.current_state.count()
        _record(log, [(t, p) for t, p in plans[30:] if t == "brand-a"], tagged=True)
        with Projections(log) as views:  # no tenant policies: the stored configuration
            assert views.positions() == before  # nothing was reset
            assert views.current_state.count(tenant="default") == counted == 10
            views.catch_up()
            assert views.current_state.count(tenant="brand-a") == 10
            assert views.current_state.count() == 20
            assert len(views.sla.breaches(NOW, tenant="default")) == len(
                [c for c in views.sla.breaches(NOW) if log.get(c.complaint_id).tenant == "default"]
            )


def test_a_holding_reply_moves_the_reply_under_its_tenants_policy_only() -> None:
    """PSD2's holding reply (issue #14) in a store whose default policy has none: the psd2
    tenant's reply moves to the promised date as in a PSD2-only store (the dates are counted
    by hand in test_holding_reply.py: received Mon 2 June 2025 10:00 Brussels, reply due
    Tue 24 June 17:00, a holding reply can move it to Wed 23 July 17:00 at most)."""
    from zoneinfo import ZoneInfo

    brussels = ZoneInfo("Europe/Brussels")
    received = datetime(2025, 6, 2, 10, tzinfo=brussels)
    final = datetime(2025, 7, 10, 17, tzinfo=brussels)
    with ComplaintLog("memory://", clock=lambda: NOW) as log:
        made = {}
        for tenant in ("brand-p", "default"):
            cid = log.receive(
                customer={"id": "c"},
                channel="email",
                subject="Card payment",
                description="Charged twice",
                tenant=tenant,
                at=received,
            )
            log.acknowledge(cid, at=datetime(2025, 6, 3, 9, tzinfo=brussels))
            log.make_promise(
                cid,
                promise="Our final reply",
                due=final,
                delay_reason="The card scheme has not yet decided",
                at=datetime(2025, 6, 20, 11, tzinfo=brussels),
            )
            made[tenant] = cid
        with Projections(log, policy="default", tenant_policies={"brand-p": "psd2"}) as views:
            views.catch_up()
            reply = [c for c in views.sla.clocks(made["brand-p"]) if c.target == "reply"]
            assert [c.due for c in reply] == [final]
            assert not [c for c in views.sla.clocks(made["default"]) if c.target == "reply"]

"""One tenant's policy change folds again only that tenant's complaints (issue #21).

Three tenants (brand-a, brand-b and the default one) with two complaints each, received
Monday 2 March 2026 10:00 UTC on the office calendar (Mon-Fri 09:00-17:00 UTC); one of each
is acknowledged at 13:00. The deadlines below are counted by hand:

* QUICK: acknowledge within 2 business hours -> Mon 12:00; resolve within 16 -> Mon 7 h,
  Tue 8 h, 1 h more: Wed 4 March 10:00.
* SLOW: acknowledge within 8 business hours -> Mon 7 h, 1 h more: Tue 3 March 10:00; resolve
  within 24 -> Mon 7, Tue 8, Wed 8, 1 h more: Thu 5 March 10:00.

The acknowledgement at 13:00 breaches QUICK's and meets SLOW's. Besides the deadlines, the
views after a tenant's change must equal views rebuilt from scratch under the new policies
(every table, day totals included), and the other tenants' rows must not change at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from complaintlog import ComplaintLog
from complaintlog.domain.calendar import BusinessCalendar
from complaintlog.domain.sla_policy import SlaPolicy, SlaTarget
from complaintlog.projections import Projections, ViewPolicyMismatchError
from complaintlog.projections._framework.reader import LogReader
from complaintlog.projections._store import SqliteViewStore, ViewStore
from complaintlog.projections.sla import SlaProjection

from .conftest import DAY_TABLES, VIEW_TABLES

HOURS = dict.fromkeys(range(5), ((time(9), time(17)),))
OFFICE = BusinessCalendar("UTC", HOURS, name="office")
LONDON = BusinessCalendar("Europe/London", HOURS, name="office-london")
"""The same hours in London: UTC in March before the clocks change (29 March), so the
deadlines are the same, but day totals are kept in another zone."""


def _policy(name: str, ack: int, resolve: int, calendar: BusinessCalendar) -> SlaPolicy:
    return SlaPolicy(
        name,
        (
            SlaTarget("ack", "acknowledge", timedelta(hours=ack)),
            SlaTarget("resolve", "resolve", timedelta(hours=resolve)),
        ),
        calendar,
    )


QUICK = _policy("quick", 2, 16, OFFICE)
SLOW = _policy("slow", 8, 24, OFFICE)
SLOW_LONDON = _policy("slow-london", 8, 24, LONDON)
RECEIVED = datetime(2026, 3, 2, 10, tzinfo=UTC)
NOW = datetime(2026, 3, 9, 12, tzinfo=UTC)

DUE = {
    QUICK: {
        "ack": datetime(2026, 3, 2, 12, tzinfo=UTC),
        "resolve": datetime(2026, 3, 4, 10, tzinfo=UTC),
    },
    SLOW: {
        "ack": datetime(2026, 3, 3, 10, tzinfo=UTC),
        "resolve": datetime(2026, 3, 5, 10, tzinfo=UTC),
    },
}
DUE[SLOW_LONDON] = DUE[SLOW]
TENANTS = ("brand-a", "brand-b", "default")
PER_COMPLAINT = VIEW_TABLES
TOTALS = DAY_TABLES


def replayed_complaints(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the complaints whose events a change replays, in the order asked."""
    replayed: list[str] = []
    events_up_to = LogReader.events_up_to

    def spy(reader: LogReader, complaint_ids: Any, stop: int) -> Any:
        replayed.extend(complaint_ids)
        return events_up_to(reader, complaint_ids, stop)

    monkeypatch.setattr(LogReader, "events_up_to", spy)
    return replayed


@pytest.fixture
def log(views_store_url: str) -> Iterator[ComplaintLog]:
    with ComplaintLog(views_store_url, clock=lambda: NOW) as opened:
        yield opened


def _receive(log: ComplaintLog) -> dict[str, list[UUID]]:
    made: dict[str, list[UUID]] = {}
    for tenant in TENANTS:
        for number in range(2):
            cid = log.receive(
                customer={"id": f"{tenant}-{number}"},
                channel="email",
                subject="Charged twice",
                description="Two debits for one order",
                tenant=tenant,
                at=RECEIVED,
            )
            if number == 0:
                log.acknowledge(cid, at=RECEIVED + timedelta(hours=3))
            made.setdefault(tenant, []).append(cid)
    return made


def _rows(store: ViewStore, ids: list[UUID]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the per-complaint tables that belongs to these complaints."""
    wanted = {cid.hex for cid in ids}
    return {
        table: sorted(
            (tuple(row) for row in store.query(f"SELECT * FROM {table}") if row[0] in wanted),
            key=repr,
        )
        for table in PER_COMPLAINT
    }


def _dump(store: ViewStore) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted((tuple(row) for row in store.query(f"SELECT * FROM {table}")), key=repr)
        for table in (*PER_COMPLAINT, *TOTALS)
    }


def _due(views: Projections, cid: UUID) -> dict[str, datetime]:
    return {clock.target: clock.due for clock in views.sla.clocks(cid)}


def _breached(views: Projections, tenant: str) -> list[tuple[UUID, str]]:
    return sorted((c.complaint_id, c.target) for c in views.sla.breaches(NOW, tenant=tenant))


def _check(views: Projections, made: dict[str, list[UUID]], policies: dict[str, SlaPolicy]) -> None:
    """Hand-counted deadlines and breaches (module docstring) of every tenant's complaints."""
    for tenant, ids in made.items():
        policy = policies[tenant]
        for cid in ids:
            assert _due(views, cid) == DUE[policy]
        # never resolved, the second never acknowledged: due before NOW either way
        breached = [(ids[0], "resolve"), (ids[1], "ack"), (ids[1], "resolve")]
        if policy is QUICK:
            breached.append((ids[0], "ack"))  # acknowledged at 13:00, due at 12:00
        assert _breached(views, tenant) == sorted(breached)


def _scratch(log: ComplaintLog, policy: SlaPolicy, own: dict[str, SlaPolicy]) -> Any:
    """The same views rebuilt from the whole log, in a store of their own."""
    views = Projections(log, policy=policy, tenant_policies=own, store=SqliteViewStore(":memory:"))
    views.catch_up()
    return views


def test_one_tenants_change_folds_only_its_complaints(
    log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _receive(log)
    with Projections(log, policy=QUICK, tenant_policies={"brand-b": SLOW}) as views:
        views.catch_up()
        _check(views, made, {"brand-a": QUICK, "brand-b": SLOW, "default": QUICK})
        before = _rows(views.store, made["brand-b"] + made["default"])
    # recorded after the views' position: folded by the catch-up that follows the change
    log.resolve(made["brand-a"][0], remedy="refund", summary="Refunded", at=NOW)
    replayed = replayed_complaints(monkeypatch)
    own = {"brand-a": SLOW, "brand-b": SLOW}
    with Projections.change_policy(
        log, policy=QUICK, tenant_policies=own, tenant="brand-a"
    ) as after:
        if log.settings.kind != "memory":  # memory views are rebuilt whole: nothing stored
            assert sorted(set(replayed)) == sorted(cid.hex for cid in made["brand-a"])
            assert _rows(after.store, made["brand-b"] + made["default"]) == before
        assert _due(after, made["brand-a"][0]) == DUE[SLOW]
        assert _due(after, made["brand-a"][1]) == DUE[SLOW]
        assert [(c.target, c.met_at) for c in after.sla.clocks(made["brand-a"][0])] == [
            ("ack", RECEIVED + timedelta(hours=3)),  # on time under SLOW
            ("resolve", NOW),  # the resolution recorded after the change's position
        ]
        a0, a1 = made["brand-a"]
        assert _breached(after, "brand-a") == sorted(
            [(a0, "resolve"), (a1, "ack"), (a1, "resolve")]  # a0's ack on time under SLOW
        )
        d0, d1 = made["default"]
        assert _breached(after, "default") == sorted(
            [(d0, "ack"), (d0, "resolve"), (d1, "ack"), (d1, "resolve")]
        )
        with _scratch(log, QUICK, own) as scratch:
            assert _dump(after.store) == _dump(scratch.store)


def test_the_default_policys_change_folds_the_complaints_without_their_own(
    log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _receive(log)
    own = {"brand-b": SLOW}
    with Projections(log, policy=QUICK, tenant_policies=own) as views:
        views.catch_up()
        before = _rows(views.store, made["brand-b"])
    replayed = replayed_complaints(monkeypatch)
    if log.settings.kind != "memory":  # memory views keep no policy to compare with
        with pytest.raises(ViewPolicyMismatchError, match="tenant 'brand-b'"):
            Projections.change_policy(
                log, policy=SLOW, tenant_policies={"brand-b": QUICK}, tenant="default"
            ).close()
    with Projections.change_policy(
        log, policy=SLOW, tenant_policies=own, tenant="default"
    ) as after:
        if log.settings.kind != "memory":
            # brand-a has no policy of its own: the default's change is its change too
            ids = made["brand-a"] + made["default"]
            assert sorted(set(replayed)) == sorted(cid.hex for cid in ids)
            assert _rows(after.store, made["brand-b"]) == before
        _check(after, made, {"brand-a": SLOW, "brand-b": SLOW, "default": SLOW})
        with _scratch(log, SLOW, own) as scratch:
            assert _dump(after.store) == _dump(scratch.store)
    # a default calendar in another time zone: statistics fold again, every day total moves
    with Projections.change_policy(
        log, policy=SLOW_LONDON, tenant_policies=own, tenant="default"
    ) as after:
        if log.settings.kind != "memory":
            assert _rows(after.store, made["brand-b"]) == before
        _check(after, made, {"brand-a": SLOW_LONDON, "brand-b": SLOW, "default": SLOW_LONDON})
        with _scratch(log, SLOW_LONDON, own) as scratch:
            assert _dump(after.store) == _dump(scratch.store)
        zones = after.store.query("SELECT DISTINCT zone FROM complaintlog_sla_outcome_days")
        assert [tuple(row) for row in zones] == [("Europe/London",)]


def test_a_change_that_fails_midway_leaves_the_old_views(
    log: ComplaintLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    if log.settings.kind == "memory":
        pytest.skip("memory views live and die with their Projections: nothing to keep")
    made = _receive(log)
    with Projections(log, policy=QUICK, tenant_policies={"brand-b": SLOW}) as views:
        views.catch_up()
        before = _dump(views.store)

    def crash(projection: SlaProjection, tx: Any) -> None:
        raise RuntimeError("power cut")  # after every row of brand-a was written again

    monkeypatch.setattr(SlaProjection, "refolded", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        Projections.change_policy(
            log, policy=QUICK, tenant_policies={"brand-a": SLOW, "brand-b": SLOW}, tenant="brand-a"
        )
    monkeypatch.undo()
    with Projections(log, policy=QUICK, tenant_policies={"brand-b": SLOW}) as views:
        assert _dump(views.store) == before  # the old rows, under the old policies
        _check(views, made, {"brand-a": QUICK, "brand-b": SLOW, "default": QUICK})

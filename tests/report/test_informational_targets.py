"""Informational SLA targets: measured, shown apart, never a breach or part of a rate.

The FCA's summary resolution (DISP 1.5: resolved by close of the third business day) only
decides which letter a complaint gets; missing it is no breach of DISP. Times below are
counted by hand on the FCA calendar (London, Monday to Friday 09:00-17:00; in early March
London is on UTC).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy, SlaTarget
from complaintlog.errors import InvalidValueError
from complaintlog.projections import Projections, Rate
from complaintlog.report import report_data, what_if

FCA = SlaPolicy.preset("fca")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026; 2 March is a Monday."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_the_flag_defaults_to_false_and_is_read_from_toml() -> None:
    assert SlaTarget("r", "resolve", timedelta(hours=8)).informational is False
    assert FCA.target("summary_resolution").informational is True
    assert FCA.target("final_response").informational is False
    policy = SlaPolicy.from_toml(
        'name = "p"\n[[targets]]\nname = "r"\nmetric = "resolve"\nwithin = "8h"\n'
        "informational = true\n"
    )
    assert policy.target("r").informational is True
    assert "informational=True" in repr(policy)  # a view built under the old flag rebuilds


def test_a_flag_that_is_not_a_boolean_is_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        SlaPolicy.from_toml(
            'name = "p"\n[[targets]]\nname = "r"\nmetric = "resolve"\nwithin = "8h"\n'
            'informational = "yes"\n'
        )
    assert caught.value.field == "targets[0].informational"
    with pytest.raises(InvalidValueError):
        SlaTarget("r", "resolve", timedelta(hours=8), informational="yes")  # type: ignore[arg-type]


@pytest.fixture
def log() -> Iterator[ComplaintLog]:
    with ComplaintLog("memory://", clock=lambda: utc(31, 12)) as log:
        complaint = log.receive(
            customer={"id": "C1"},
            channel="email",
            subject="Card fee",
            description="Charged twice",
            external_ref="X",
            at=utc(2, 10),
        )
        log.acknowledge(complaint, at=utc(2, 11))
        log.resolve(complaint, remedy="refund", summary="Refunded", at=utc(6, 12))
        yield log


def test_breach_and_at_risk_lists_leave_informational_targets_out(log: ComplaintLog) -> None:
    with Projections(log, policy=FCA) as views:
        views.catch_up()
        sla = views.sla
        # Summary resolution due at close of Thursday 5 March (17:00); its warning point is
        # 75 % of the 31 business hours from Monday 10:00: 23.25 h, Thursday 09:15.
        thursday = utc(5, 12)
        assert sla.at_risk(thursday) == []
        assert [c.target for c in sla.at_risk(thursday, include_informational=True)] == [
            "summary_resolution"
        ]
        assert [c.target for c in sla.at_risk(thursday, target="summary_resolution")] == [
            "summary_resolution"
        ]
        friday = utc(6, 9)  # past due, not yet resolved
        assert sla.breaches(friday, ongoing_only=True) == []
        assert sla.count_breaches(friday) == 0
        missed = sla.breaches(friday, ongoing_only=True, include_informational=True)
        assert [(c.target, c.due) for c in missed] == [("summary_resolution", utc(5, 17))]
        assert sla.count_breaches(friday, include_informational=True) == 1
        assert len(sla.breaches(friday, target="summary_resolution")) == 1


def test_informational_targets_count_towards_no_compliance_rate(log: ComplaintLog) -> None:
    with Projections(log, policy=FCA) as views:
        views.catch_up()
        (march,) = views.statistics.monthly(utc(1, 0), utc(31, 23), as_of=utc(31, 12))
        # resolved Friday: summary resolution missed (informational), final response met
        assert march.sla_compliance == {"resolve": Rate(1, 1)}


def test_the_report_shows_them_apart(log: ComplaintLog) -> None:
    data = report_data(log, policy=FCA, as_of=utc(6, 9))
    assert data.breaches == []
    assert [(row.target, row.missed, row.still_open) for row in data.informational] == [
        ("summary_resolution", 1, 1)
    ]
    assert [row.complaint for row in data.informational_open] == ["X"]
    assert [m.targets for m in data.metrics if m.metric == "resolve"] == [("final_response",)]


def test_what_if_an_informational_target_were_binding(log: ComplaintLog) -> None:
    binding = attrs.evolve(
        FCA,
        name="fca-binding",
        targets=tuple(attrs.evolve(t, informational=False) for t in FCA.targets),
    )
    diff = what_if(log, policy=FCA, against=binding, as_of=utc(6, 9))
    assert diff.breaches == []
    assert [row.target for row in diff.against_breaches] == ["summary_resolution"]
    assert diff.only_against == ["X"]

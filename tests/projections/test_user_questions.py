"""The questions issue 3 promises to answer in a few lines, under the FCA preset.

FCA DISP: summary resolution by close of the 3rd business day after receipt (London business
days, 09:00-17:00 in the preset), final response within 8 weeks of calendar time. Expected
values are counted by hand below.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from complaintlog import ComplaintLog
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.projections import Projections, Rate

TODAY = datetime(2026, 3, 10, 12, tzinfo=UTC)


def t(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)  # London is on GMT = UTC here


@pytest.fixture
def log() -> Iterator[ComplaintLog]:
    with ComplaintLog("memory://", clock=lambda: TODAY) as complaint_log:
        x = complaint_log.receive(
            customer={"id": "X"},
            channel="letter",
            subject="Mortgage fee",
            description="An unexpected fee",
            category={"cause": "billing", "product": "Mortgage"},
            at=t(1, 5, 10),
        )
        complaint_log.acknowledge(x, at=t(1, 5, 11))
        y = complaint_log.receive(
            customer={"id": "Y"},
            channel="phone",
            subject="Card fee",
            description="Charged twice",
            category={"cause": "billing", "product": "Card"},
            at=t(2, 2, 9),
        )
        complaint_log.acknowledge(y, at=t(2, 2, 10))
        complaint_log.make_promise(y, promise="call back", due=t(2, 6, 12), at=t(2, 2, 11))
        complaint_log.inform(y, message="still checking", at=t(2, 9, 9))  # too late
        complaint_log.resolve(y, remedy="refund", summary="refunded", at=t(2, 10, 15))
        z = complaint_log.receive(
            customer={"id": "Z"},
            channel="web",
            subject="Late card",
            description="The card never came",
            category={"cause": "delay", "product": "Card"},
            at=t(2, 3, 10),
        )
        complaint_log.resolve(
            z, remedy="replacement", summary="sent", first_contact=True, at=t(2, 4, 11)
        )
        yield complaint_log


def test_which_complaints_breach_the_fca_policy_today(log: ComplaintLog) -> None:
    with Projections(log, policy=SlaPolicy.preset("fca")) as views:
        views.catch_up()
        breaching = views.sla.breaches(TODAY, ongoing_only=True, target="final_response")
        # X: received 5 January, no final response 8 weeks later (2 March 10:00)
        assert [(c.target, c.due) for c in breaching] == [("final_response", t(3, 2, 10))]
        # summary_resolution is informational: missing it is no breach of DISP
        assert views.sla.breaches(TODAY, ongoing_only=True) == breaching
        every_target = views.sla.breaches(TODAY, ongoing_only=True, include_informational=True)
        # its summary-resolution deadline passed at close of Thursday 8 January
        assert [(c.target, c.due) for c in every_target] == [
            ("summary_resolution", t(1, 8, 17)),
            ("final_response", t(3, 2, 10)),
        ]


def test_which_promises_were_broken_last_month(log: ComplaintLog) -> None:
    with Projections(log, policy=SlaPolicy.preset("fca")) as views:
        views.catch_up()
        broken = views.sla.broken_promises(TODAY, due_from=t(2, 1, 0), due_until=t(3, 1, 0))
        assert [(c.due, c.met_at) for c in broken] == [(t(2, 6, 12), t(2, 9, 9))]


def test_monthly_count_median_time_to_resolve_and_compliance_per_category(
    log: ComplaintLog,
) -> None:
    with Projections(log, policy=SlaPolicy.preset("fca")) as views:
        views.catch_up()
        report = views.statistics.monthly(t(1, 1, 0), t(3, 1, 0), group_by="cause", as_of=TODAY)
        table = [
            (
                row.period,
                row.group,
                row.received,
                row.resolve_median,
                row.sla_compliance.get("resolve"),
            )
            for row in report
        ]
        # The informational summary resolution counts towards no compliance rate.
        assert table == [
            # X missed its summary resolution (8 January); its 8 weeks end in March
            ("2026-01", "billing", 1, None, None),
            # Y: 2 Feb 09:00 to 10 Feb 15:00 is 54 business hours; final response met
            ("2026-02", "billing", 1, timedelta(hours=54), Rate(1, 1)),
            # Z: 3 Feb 10:00 to 4 Feb 11:00 is 9 business hours; final response met
            ("2026-02", "delay", 1, timedelta(hours=9), Rate(1, 1)),
        ]
        february_billing = report[1]
        assert february_billing.promise_kept == Rate(0, 1)

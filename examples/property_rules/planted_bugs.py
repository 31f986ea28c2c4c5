"""Two mistakes a rule author makes, planted in copies of the house rules.

``test_house_rules.py`` shows the property test catches both, and
``measure_planted_bugs.py`` counts how many examples that takes.
"""

from __future__ import annotations

from house_rules import (
    CompensationLimit,
    PromiseWithinDeadline,
    escalate_before_third_resolution,
    mortgage_compensation_needs_management,
)

from complaintlog.rules import ProcessRule, all_of


class CompensationLimitAtLimitToo(CompensationLimit):
    """``>=`` for ``>``: exactly 500.00 EUR is refused too."""

    def within_limit(self, over: float) -> bool:
        return over < 0  # planted: the author wrote `amount >= limit` for "above the limit"


def _house(limit: CompensationLimit) -> ProcessRule:
    return all_of(
        "house rules",
        [
            mortgage_compensation_needs_management,
            limit,
            PromiseWithinDeadline(),
            escalate_before_third_resolution,
        ],
    )


FOUR_EYES_OMITTED = _house(CompensationLimit(four_eyes=False))
GREATER_OR_EQUAL = _house(CompensationLimitAtLimitToo())
PLANTED = {"four eyes omitted": FOUR_EYES_OMITTED, ">= for >": GREATER_OR_EQUAL}

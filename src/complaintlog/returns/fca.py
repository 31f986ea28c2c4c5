"""The FCA complaints return (DISP 1 Annex 1R) for any window, from the recorded history.

Per product or service (grouped as the return groups them) and per cause: complaints
outstanding at the start, opened, closed, closed by the close of the third business day
after receipt, closed after that but within eight weeks, closed later, upheld (fully or
partly) and its share of the closed complaints whose outcome is known, redress paid, and
the median time to close; then the same for the whole window. A complaint reopened and
resolved again in the window is closed once, at its last resolution there; its redress
counts every payment in the window. Timeliness uses the ``fca`` policy's own targets
(``summary_resolution``, ``final_response``) and its London business calendar.
"""

from __future__ import annotations

import statistics
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

import attrs

from complaintlog.domain.holiday_coverage import coverage_warning
from complaintlog.domain.sla_policy import SlaPolicy
from complaintlog.errors import InvalidValueError
from complaintlog.report.scope import TenantScope
from complaintlog.returns._facts import ComplaintFacts
from complaintlog.returns._table import ReturnTable

__all__ = ["COLUMNS", "FcaMapping", "fca_return"]

COLUMNS = (
    "outstanding_at_start",
    "opened",
    "closed",
    "closed_within_3_business_days",
    "closed_within_8_weeks",
    "closed_after_8_weeks",
    "upheld",
    "not_upheld",
    "outcome_unknown",
    "upheld_share",
    "redress",
    "median_days_to_close",
    "outstanding_at_end",
)
UNMAPPED = "Unmapped"


@attrs.frozen
class FcaMapping:
    """The firm's products and causes -> the return's products, groups and causes."""

    products: Mapping[str, str]
    causes: Mapping[str, str]
    groups: Mapping[str, str]
    """The return's product -> its group."""
    default_cause: str = "Other"

    @classmethod
    def load(cls, path: Path | None = None) -> FcaMapping:
        """The shipped defaults, or a firm's own file in the same format."""
        try:
            text = (
                path.read_text(encoding="utf-8")
                if path is not None
                else (files("complaintlog.returns") / "fca_mapping.toml").read_text("utf-8")
            )
            raw = tomllib.loads(text)
            groups = {product: group for group, items in raw["groups"].items() for product in items}
            products = {k.casefold(): str(v) for k, v in raw.get("products", {}).items()}
            causes = {k.casefold(): str(v) for k, v in raw.get("causes", {}).items()}
        except (OSError, KeyError, TypeError, AttributeError, tomllib.TOMLDecodeError) as error:
            raise InvalidValueError("mapping", str(path), f"not an FCA mapping: {error}") from None
        unknown = sorted(set(products.values()) - groups.keys())
        if unknown:
            rule = f"products {unknown} are in no [groups] entry"
            raise InvalidValueError("mapping", str(path), rule)
        return cls(products, causes, groups, str(raw.get("default_cause", "Other")))

    def product(self, firm_product: str | None) -> str:
        return self.products.get((firm_product or "").casefold(), UNMAPPED)

    def cause(self, firm_cause: str | None) -> str:
        return self.causes.get((firm_cause or "").casefold(), self.default_cause)


@attrs.define
class _Sums:
    counts: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(COLUMNS[:9], 0))
    redress: dict[str, Decimal] = attrs.field(factory=dict)
    days: list[float] = attrs.field(factory=list)
    outstanding_at_end: int = 0

    def row(self) -> dict[str, Any]:
        known = self.counts["upheld"] + self.counts["not_upheld"]
        return {
            **self.counts,
            "upheld_share": round(self.counts["upheld"] / known, 4) if known else None,
            "redress": {c: str(a) for c, a in sorted(self.redress.items())},
            "median_days_to_close": round(statistics.median(self.days), 1) if self.days else None,
            "outstanding_at_end": self.outstanding_at_end,
        }


def _add(
    sums: _Sums, facts: ComplaintFacts, since: datetime, until: datetime, policy: SlaPolicy
) -> None:
    if facts.open_at(since) and facts.received_at < since:
        sums.counts["outstanding_at_start"] += 1
    if since <= facts.received_at <= until:
        sums.counts["opened"] += 1
    if facts.open_at(until):
        sums.outstanding_at_end += 1
    for resolution in facts.resolutions:
        if since <= resolution.at <= until and resolution.compensation is not None:
            amount, currency = resolution.compensation
            sums.redress[currency] = sums.redress.get(currency, Decimal(0)) + amount
    closing = facts.last_resolution_in(since, until)
    if closing is None or facts.open_at(until):
        return  # not closed in the window, or reopened again before its end
    sums.counts["closed"] += 1
    calendar = policy.calendar
    summary = policy.target("summary_resolution").due(facts.received_at, calendar)
    final = policy.target("final_response").due(facts.received_at, calendar)
    if closing.at <= summary:
        sums.counts["closed_within_3_business_days"] += 1
    elif closing.at <= final:
        sums.counts["closed_within_8_weeks"] += 1
    else:
        sums.counts["closed_after_8_weeks"] += 1
    outcome = {"fully": "upheld", "partly": "upheld", "not": "not_upheld"}.get(
        closing.upheld or "", "outcome_unknown"
    )
    sums.counts[outcome] += 1
    sums.days.append((closing.at - facts.received_at).total_seconds() / 86400)


def fca_return(
    facts: Iterable[ComplaintFacts],
    *,
    since: datetime,
    until: datetime,
    policy: SlaPolicy,
    mapping: FcaMapping,
    tenant: str | None = None,
) -> ReturnTable:
    """The return for complaints handled from ``since`` to ``until`` (business time), of
    ``tenant``'s complaints only if given: a return is filed per legal entity."""
    if until < since:
        raise InvalidValueError("until", until.isoformat(), "must not be before since")
    scope = TenantScope.of(policy, tenant=tenant)
    by_product: dict[tuple[str, str], _Sums] = defaultdict(_Sums)
    by_cause: dict[str, _Sums] = defaultdict(_Sums)
    totals = _Sums()
    unmapped: set[str] = set()
    for complaint in facts:
        if complaint.received_at > until or not scope.covers(complaint.tenant):
            continue
        product = mapping.product(complaint.product)
        if product == UNMAPPED:
            unmapped.add(complaint.product or "(no product)")
        group = mapping.groups.get(product, UNMAPPED)
        for sums in (
            by_product[(group, product)],
            by_cause[mapping.cause(complaint.cause)],
            totals,
        ):
            _add(sums, complaint, since, until, policy)
    notes = [
        "A complaint reopened and resolved again in the window is closed once, at its last "
        "resolution there; redress sums every payment in the window.",
        "upheld_share is of the closed complaints whose outcome was recorded.",
    ]
    if unmapped:
        notes.append(
            f"Products not in the mapping, counted as {UNMAPPED!r}: " + ", ".join(sorted(unmapped))
        )
    warning = coverage_warning(policy.calendar, since, until)
    if warning:
        notes.append(f"warning: {warning}")
    zone = policy.calendar.time_zone
    return ReturnTable(
        name="fca",
        title="FCA complaints return (DISP 1 Annex 1R)",
        since=since.astimezone(zone),
        until=until.astimezone(zone),
        policy=policy.name,
        time_zone=str(zone),
        columns=COLUMNS,
        sections={
            "products": [
                {"group": group, "product": product, **sums.row()}
                for (group, product), sums in sorted(by_product.items())
                if any(sums.row()[c] for c in ("outstanding_at_start", "opened", "closed"))
                or sums.outstanding_at_end
            ],
            "causes": [{"cause": cause, **sums.row()} for cause, sums in sorted(by_cause.items())],
            "totals": [{"total": "all complaints", **totals.row()}],
        },
        notes=tuple(notes),
        tenant=scope.tenant,
    )

"""The US CFPB Consumer Complaint Database export, in both of its column layouts.

How a CFPB row becomes a lifecycle (see docs/importing.md for the reasons):

- ``Date received`` -> Received, channel from ``Submitted via`` (Web -> web, Phone ->
  phone, Postal mail -> letter, Email -> email, Fax and Referral -> other; the raw value
  is kept in the attributes).
- ``Date sent to company`` -> Assigned to the company (assignee = ``Company``).
- ``Company response to consumer`` -> Resolved with a remedy: ``Closed with explanation``
  -> explanation, ``Closed with monetary relief`` -> compensation (amount unknown, so no
  money), ``Closed with non-monetary relief`` -> non_monetary_relief (the company set
  something right without money: a credit report corrected, collection stopped),
  ``Closed with relief`` (older exports) -> repair, ``Closed without relief`` and ``Closed``
  -> no_action. ``In progress`` and ``Untimely response`` stay open; the latter is flagged
  in the attribute ``untimely_response``. Whether it was upheld, as the FCA and the
  ombudsmen count it: relief (monetary or not) -> ``fully``, ``Closed with explanation``
  and ``Closed without relief`` -> ``not``; plain ``Closed`` says nothing, so unknown.
- ``Consumer disputed? = Yes`` -> Reopened with the reason ``dispute``.

CFPB gives dates only, and no acknowledgement, resolution or dispute times. Every date is
placed at noon US/Eastern (the CFPB's zone); the acknowledgement that a resolution needs,
the resolution and the dispute are recorded at the time the complaint was sent to the
company, and each of those events says so in its text. Every event's actor is
``import:cfpb``. Nothing else is invented: there is no personal data, so the customer is
known by the complaint's reference only.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import attrs

from complaintlog.domain.sla_policy import LATE_BY_SOURCE, SOURCE_TIME_ZONE
from complaintlog.domain.values import Channel, Remedy, ReopenReason, Upheld
from complaintlog.importing.errors import RowRejectedError
from complaintlog.importing.plan import ComplaintPlan, Step
from complaintlog.importing.source import SourceRow
from complaintlog.importing.times import TimeReader, zone

__all__ = ["CFPB_14", "CFPB_18", "CFPB_LAYOUTS", "CfpbFormat"]

ACTOR = "import:cfpb"
CFPB_ZONE = "America/New_York"

_COMMON = (
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
)
COLUMNS_18 = (
    *_COMMON,
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
)
COLUMNS_14 = (
    *_COMMON,
    "Company",
    "State",
    "ZIP code",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
)

CHANNELS = {
    "web": Channel.WEB,
    "phone": Channel.PHONE,
    "postal mail": Channel.LETTER,
    "email": Channel.EMAIL,
    "fax": Channel.OTHER,
    "referral": Channel.OTHER,
}
"""``Submitted via`` -> channel. Fax and Referral (another agency passed it on) are other."""

REMEDIES = {
    "closed with explanation": Remedy.EXPLANATION,
    "closed with monetary relief": Remedy.COMPENSATION,
    "closed with non-monetary relief": Remedy.NON_MONETARY_RELIEF,
    "closed with relief": Remedy.REPAIR,
    "closed without relief": Remedy.NO_ACTION,
    "closed": Remedy.NO_ACTION,
}
"""``Company response to consumer`` -> remedy of the resolution."""

UPHELD = {
    "closed with monetary relief": Upheld.FULLY,
    "closed with non-monetary relief": Upheld.FULLY,
    "closed with relief": Upheld.FULLY,
    "closed with explanation": Upheld.NOT,
    "closed without relief": Upheld.NOT,
}
"""``Company response to consumer`` -> upheld outcome; a response not listed is unknown."""

NOT_RECORDED = ("acknowledge", "first_response", "resolve", "follow_up", "survey")
"""The metrics whose times CFPB never gives (see :data:`STEPS_NOT_RECORDED`)."""

OPEN_RESPONSES = frozenset({"in progress", "untimely response"})
"""Responses that leave the complaint open."""

# Columns whose verbatim value an event field already holds; every other non-empty cell
# is kept as an attribute of Received under its own column name.
_IN_FIELDS = frozenset({"Consumer complaint narrative", "Company", "Product", "Complaint ID"})
_ZIP = re.compile(r"^[0-9]{1,5}$")


@attrs.frozen
class CfpbFormat:
    """One of the two CFPB layouts; ``plan`` maps a row onto the lifecycle."""

    name: str
    columns: tuple[str, ...]
    dates: TimeReader

    @property
    def has_complaint_id(self) -> bool:
        return "Complaint ID" in self.columns

    def matches(self, header: tuple[str, ...]) -> bool:
        return header == self.columns

    def external_ref(self, row: SourceRow) -> str:
        """``cfpb:<Complaint ID>``; rows without an ID are keyed by their digest."""
        if self.has_complaint_id:
            complaint_id = row.get("Complaint ID")
            if not complaint_id:
                msg = "'Complaint ID' is empty"
                raise RowRejectedError(msg)
            return f"cfpb:{complaint_id}"
        return f"cfpb-row:{row.row_key}"

    def plan(self, row: SourceRow) -> ComplaintPlan:
        if len(row.cells) != len(self.columns):
            msg = f"{len(row.cells)} cells where the {self.name} layout has {len(self.columns)}"
            raise RowRejectedError(msg)
        ref = self.external_ref(row)
        received_raw = row.get("Date received")
        sent_raw = row.get("Date sent to company")
        received_at = self.dates.read(received_raw, "Date received")
        sent_at = self.dates.read(sent_raw, "Date sent to company")
        company = row.get("Company")
        if not company:
            msg = "'Company' is empty: the complaint was sent to nobody"
            raise RowRejectedError(msg)
        response = row.get("Company response to consumer")
        disputed = row.get("Consumer disputed?").lower() == "yes"
        steps = [
            Step(
                "assign",
                sent_at,
                ACTOR,
                {"assignee": company, "team": None},
                source=f"Date sent to company = {sent_raw}",
            )
        ]
        attributes = self._attributes(row)
        key = response.lower()
        if key in REMEDIES:
            steps.extend(self._resolution(response, REMEDIES[key], sent_at, sent_raw, disputed))
        elif key in OPEN_RESPONSES:
            if key == "untimely response":
                attributes["untimely_response"] = "yes"
            if disputed:
                attributes["correction"] = (
                    f"Consumer disputed? = Yes but the response is {response!r}: "
                    "an open complaint cannot be reopened, so no Reopened is recorded"
                )
        else:
            known = ", ".join(sorted({*REMEDIES, *OPEN_RESPONSES}))
            msg = f"Company response to consumer = {response!r} is not one of: {known}"
            raise RowRejectedError(msg)
        product = row.get("Product")
        issue = row.get("Issue") or "(no issue given)"
        description = row.get("Consumer complaint narrative") or _issue_text(row)
        receive: dict[str, Any] = {
            "customer": {"id": ref},
            "channel": CHANNELS.get(row.get("Submitted via").lower(), Channel.OTHER),
            "subject": _clip(f"{product}: {issue}" if product else issue, 200),
            "description": description,
            "category": {"product": product} if product else None,
            "attributes": attributes,
        }
        corrections = (attributes["correction"],) if "correction" in attributes else ()
        # CFPB records no acknowledgement, follow-up or survey, and no response time but
        # its own "Timely response?" verdict: the resolution time is assumed.
        return ComplaintPlan(
            line=row.line,
            external_ref=ref,
            received_at=received_at,
            day_precision=True,
            actor=ACTOR,
            receive=receive,
            steps=tuple(steps),
            corrections=corrections,
            received_source=f"Date received = {received_raw}",
            not_recorded=NOT_RECORDED,
        )

    def _resolution(
        self, response: str, remedy: Remedy, sent_at: datetime, sent_raw: str, disputed: bool
    ) -> list[Step]:
        assumed = f"recorded at the date sent to company ({sent_raw}, noon US/Eastern)"
        steps = [
            Step(
                "acknowledge",
                sent_at,
                ACTOR,
                {
                    "message": "time assumed: CFPB gives no acknowledgement time; the company "
                    f"had the complaint from the date it was sent; {assumed}"
                },
                source=f"Date sent to company = {sent_raw}",
                assumed=True,
                text_argument="message",
            ),
            Step(
                "resolve",
                sent_at,
                ACTOR,
                {
                    "remedy": remedy,
                    "upheld": UPHELD.get(response.casefold()),
                    "summary": f"CFPB company response: {response}. "
                    f"Time assumed: CFPB gives no resolution time; {assumed}",
                },
                source=f"Date sent to company = {sent_raw}",
                assumed=True,
                fact=f"CFPB company response: {response}.",
                text_argument="summary",
            ),
        ]
        if disputed:
            steps.append(
                Step(
                    "reopen",
                    sent_at,
                    ACTOR,
                    {
                        "reason": ReopenReason.DISPUTE,
                        "note": "CFPB: Consumer disputed? = Yes. Time assumed: CFPB gives no "
                        "dispute time; recorded at the resolution time",
                    },
                    source=f"Date sent to company = {sent_raw}",
                    assumed=True,
                    fact="CFPB: Consumer disputed? = Yes.",
                    text_argument="note",
                )
            )
        return steps

    def _attributes(self, row: SourceRow) -> dict[str, str]:
        attributes = {
            column: value
            for column, value in zip(self.columns, row.cells, strict=True)
            if column not in _IN_FIELDS and value.strip()
        }
        zip_code = row.get("ZIP code")
        if _ZIP.match(zip_code):
            attributes["zip5"] = zip_code.zfill(5)  # the 2017 export lost leading zeros
        attributes["source_format"] = self.name
        attributes[SOURCE_TIME_ZONE] = CFPB_ZONE
        if row.get("Timely response?").lower() == "no":
            attributes[LATE_BY_SOURCE] = "Timely response? = No"
        attributes["row_sha256"] = row.digest
        return attributes


def _issue_text(row: SourceRow) -> str:
    parts = [row.get("Issue"), row.get("Sub-issue")]
    text = " - ".join(part for part in parts if part)
    return f"{text} (CFPB gives no narrative for this complaint)" if text else "(no narrative)"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_EASTERN = zone(CFPB_ZONE)

CFPB_18 = CfpbFormat("cfpb-18", COLUMNS_18, TimeReader(_EASTERN, ("%Y-%m-%d", "%m/%d/%Y")))
"""The current 18-column export: ISO dates, Complaint ID."""

CFPB_14 = CfpbFormat("cfpb-14", COLUMNS_14, TimeReader(_EASTERN, ("%m/%d/%Y", "%Y-%m-%d")))
"""The 2017-era 14-column export: M/D/YYYY dates, no Complaint ID, ZIPs without zeros."""

CFPB_LAYOUTS = (CFPB_18, CFPB_14)

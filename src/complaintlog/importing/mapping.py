"""The generic import format: a TOML file says which column holds what.

.. code-block:: toml

    [source]
    name = "acme"                       # events' actor is "import:acme"
    timezone = "Europe/Zagreb"          # for times without an offset
    date_formats = ["%d.%m.%Y %H:%M", "%d.%m.%Y"]   # tried in order; "iso" = ISO 8601
    time_of_day = "12:00"               # for date-only values
    external_ref = "acme:{Ticket}"      # omit to key each row by its digest

    [steps]                             # the column holding each step's time
    received = "Opened"                 # required
    acknowledged = "Acknowledged"
    assigned = "Assigned"
    promise_due = "Promised by"         # a PromiseMade, due then
    resolved = "Closed"

    [fields]                            # templates: "{Column}", literal text, or both
    customer_id = "{Customer no}"
    channel = "{Channel}"
    subject = "{Product}: {Issue}"
    description = "{Text}"
    remedy = "{Outcome}"
    tenant = "{Brand}"                  # or a constant: tenant = "brand-a"

    [values.remedy]                     # raw value -> code; "*" catches every other value
    "Refund issued" = "refund"
    "*" = "explanation"

Every column that no template or step names is kept as an attribute of Received. A
step the domain needs but the file has no time for (the acknowledgement before a
resolution) is recorded at the next known time, and its text says it was assumed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from complaintlog.domain.sla_policy import SOURCE_TIME_ZONE
from complaintlog.domain.values import Channel, ReopenReason, Severity
from complaintlog.importing._mapping_file import (
    _ENUMS,
    _FIELD_COMMAND,
    _PLACEHOLDER,
    _STEP_COMMAND,
    FieldName,
    Mapping,
    StepName,
    load_mapping,
)
from complaintlog.importing.errors import RowRejectedError
from complaintlog.importing.plan import ComplaintPlan, Step
from complaintlog.importing.source import SourceRow
from complaintlog.importing.times import TimeReader, zone

__all__ = ["Mapping", "MappedFormat", "load_mapping"]


@attrs.frozen
class MappedFormat:
    """A CSV layout described by a :class:`Mapping`."""

    mapping: Mapping
    header: tuple[str, ...]
    name: str = "mapping"

    @property
    def actor(self) -> str:
        return f"import:{self.mapping.source.name}"

    @property
    def dates(self) -> TimeReader:
        source = self.mapping.source
        return TimeReader(zone(source.timezone), source.date_formats, source.time_of_day)

    def _recorded_columns(self, row: SourceRow, steps: tuple[Step, ...]) -> set[str]:
        """The columns whose values an event of this row holds as they are: the time
        columns of the steps recorded, and the columns of the fields recorded verbatim.
        Every other column is kept as an attribute, so nothing in the file is lost."""
        commands = {step.command for step in steps} | {"receive"}
        used = {self.mapping.steps["received"]}
        used.update(
            column
            for step, column in self.mapping.steps.items()
            if _STEP_COMMAND.get(step) in commands
        )
        for name, template in self.mapping.fields.items():
            if _FIELD_COMMAND.get(name, "receive") not in commands:
                continue
            raw = _render(template, row).strip()
            try:
                verbatim = self._field(name, row) == raw
            except RowRejectedError:
                verbatim = False
            if verbatim:
                used.update(_PLACEHOLDER.findall(template))
        for column in _PLACEHOLDER.findall(self.mapping.source.external_ref or ""):
            used.add(column)
        return used

    def external_ref(self, row: SourceRow) -> str:
        template = self.mapping.source.external_ref
        if template is None:
            return f"{self.mapping.source.name}-row:{row.row_key}"
        ref = _render(template, row)
        if not ref.strip() or _PLACEHOLDER.sub("", template) == ref:
            msg = f"source.external_ref {template!r} is empty in this row"
            raise RowRejectedError(msg)
        return ref

    def _field(self, name: FieldName, row: SourceRow) -> str | None:
        template = self.mapping.fields.get(name)
        if template is None:
            return None
        raw = _render(template, row).strip()
        table = self.mapping.values.get(name)
        if table is not None:
            if raw in table:
                return table[raw]
            if "*" in table:
                return table["*"]
        if name in _ENUMS and raw:
            code = raw.lower()
            if name == "channel" and code not in _ENUMS[name]:
                return Channel.OTHER.value  # never refused; the column keeps the raw value
            if code not in _ENUMS[name] and not (name == "remedy" and code == "open"):
                msg = f"fields.{name} = {raw!r} is not a known {name}: add it to values.{name}"
                raise RowRejectedError(msg)
            return code
        return raw or None

    def _time(self, step: StepName, row: SourceRow) -> tuple[datetime, str] | None:
        column = self.mapping.steps.get(step)
        if column is None:
            return None
        value = row.get(column)
        if not value:
            return None
        return self.dates.read(value, column), f"{column} = {value}"

    def plan(self, row: SourceRow) -> ComplaintPlan:
        if len(row.cells) != len(self.header):
            msg = f"{len(row.cells)} cells where the header has {len(self.header)}"
            raise RowRejectedError(msg)
        ref = self.external_ref(row)
        received = self._time("received", row)
        if received is None:
            msg = f"{self.mapping.steps['received']!r} is empty: no time received"
            raise RowRejectedError(msg)
        received_at, received_source = received
        field = self._field
        customer = {
            "id": field("customer_id", row) or ref,
            "name": field("customer_name", row),
            "email": field("customer_email", row),
            "phone": field("customer_phone", row),
            "address": field("customer_address", row),
        }
        category = {
            "product": field("product", row),
            "cause": field("cause", row),
            "dimension": field("dimension", row),
        }
        steps = tuple(self._steps(row, received_at))
        used = self._recorded_columns(row, steps)
        attributes = {
            column: value
            for column, value in zip(self.header, row.cells, strict=True)
            if column not in used and value.strip()
        }
        attributes["source_format"] = self.mapping.source.name
        attributes[SOURCE_TIME_ZONE] = self.mapping.source.timezone
        attributes["row_sha256"] = row.digest
        receive: dict[str, Any] = {
            "customer": {k: v for k, v in customer.items() if v is not None},
            "channel": field("channel", row) or Channel.OTHER,
            "subject": field("subject", row) or "(no subject given)",
            "description": field("description", row) or "(no description given)",
            "category": {k: v for k, v in category.items() if v} or None,
            "severity": field("severity", row) or Severity.NORMAL,
            "desired_outcome": field("desired_outcome", row),
            "attributes": attributes,
        }
        tenant = field("tenant", row)
        if tenant is not None:  # a column ({Brand}) or a constant; checked on receive
            receive["tenant"] = tenant
        raw_channel = _render(self.mapping.fields.get("channel", ""), row).strip()
        table = self.mapping.values.get("channel", {})
        unknown = (
            raw_channel
            and raw_channel not in table
            and "*" not in table
            and raw_channel.lower() not in _ENUMS["channel"]
        )
        return ComplaintPlan(
            line=row.line,
            external_ref=ref,
            received_at=received_at,
            actor=self.actor,
            receive=receive,
            steps=steps,
            received_source=received_source,
            not_recorded=self._not_recorded(steps),
            channel_source=raw_channel if unknown else None,
        )

    def _not_recorded(self, steps: tuple[Step, ...]) -> tuple[str, ...]:
        """The metrics this row's source gives no real time for: the mapping has no column
        for the step, or this row's time for it was assumed."""
        named = self.mapping.steps
        missing: list[str] = []
        assumed = {step.command for step in steps if step.assumed}
        if "acknowledged" not in named or "acknowledge" in assumed:
            missing.append("acknowledge")
            if not any(s.command == "make_promise" and not s.assumed for s in steps):
                missing.append("first_response")
        for step_name, metric in (
            ("resolved", "resolve"),
            ("followed_up", "follow_up"),
            ("surveyed", "survey"),
        ):
            if step_name not in named:
                missing.append(metric)
        return tuple(missing)

    def _steps(self, row: SourceRow, received_at: datetime) -> list[Step]:
        actor, field, source_name = self.actor, self._field, self.mapping.source.name
        steps: list[Step] = []

        def add(step: StepName, command: str, **arguments: Any) -> None:
            timed = self._time(step, row)
            if timed is not None:
                steps.append(Step(command, timed[0], actor, arguments, source=timed[1]))

        resolved = self._time("resolved", row)
        remedy = field("remedy", row) if resolved is not None else None
        if remedy == "open":
            resolved = None  # the value map says this outcome leaves the complaint open
        acknowledged = self._time("acknowledged", row)
        if acknowledged is not None:
            steps.append(Step("acknowledge", *acknowledged[:1], actor, source=acknowledged[1]))
        assignee, team = field("assignee", row), field("team", row)
        if "assigned" in self.mapping.steps:
            if assignee is not None or team is not None:
                add("assigned", "assign", assignee=assignee or team, team=team)
        elif assignee is not None or team is not None:
            # no routing time in the source: responsible from receipt (a team alone is
            # the one responsible, so it is the assignee too); first, at the receipt time
            steps.insert(
                0,
                Step(
                    "assign",
                    received_at,
                    actor,
                    {"assignee": assignee or team, "team": team},
                    source=f"{self.mapping.steps['received']} (responsible from receipt)",
                ),
            )
        if "escalated" in self.mapping.steps:
            add(
                "escalated",
                "escalate",
                level=field("escalation_level", row),
                reason=field("escalation_reason", row)
                or f"escalated (imported from {source_name})",
            )
        due = self._time("promise_due", row)
        if due is not None:
            promise = field("promise", row) or "an answer by the promised time"
            made = self._time("promise_made", row)
            if made is None:
                made = (steps[-1].at if steps else received_at, "")
                promise += (
                    f" (time assumed: {source_name} gives no time the promise was made; "
                    "recorded at the previous step)"
                )
            steps.append(
                Step(
                    "make_promise",
                    made[0],
                    actor,
                    {"promise": promise, "due": due[0]},
                    source=made[1] or due[1],
                    assumed=not made[1],
                )
            )
        add("informed", "inform", message=field("inform_message", row) or "progress update")
        if resolved is not None:
            resolved_at, resolved_source = resolved
            if acknowledged is None:
                steps.append(
                    Step(
                        "acknowledge",
                        resolved_at,
                        actor,
                        {
                            "message": f"time assumed: {source_name} gives no acknowledgement "
                            "time; recorded at the resolution time"
                        },
                        source=resolved_source,
                        assumed=True,
                    )
                )
            steps.append(
                Step("resolve", resolved_at, actor, self._resolution(row, remedy), resolved_source)
            )
            add(
                "followed_up",
                "follow_up",
                solved=field("solved", row) == "true",
                note=field("follow_up_note", row),
            )
            if "surveyed" in self.mapping.steps:
                score = field("survey_score", row) or ""
                if score and not (score.isascii() and score.isdigit()):
                    msg = f"fields.survey_score = {score!r} is not a whole number from 1 to 5"
                    raise RowRejectedError(msg)
                if score:
                    add(
                        "surveyed",
                        "record_survey",
                        score=int(score),
                        comment=field("survey_comment", row),
                    )
            add(
                "reopened",
                "reopen",
                reason=field("reopen_reason", row) or ReopenReason.OTHER,
                note=field("reopen_note", row),
            )
        add("withdrawn", "withdraw", reason=field("withdraw_reason", row))
        return steps

    def _resolution(self, row: SourceRow, remedy: str | None) -> dict[str, Any]:
        field = self._field
        if remedy is None:
            msg = "resolved, but fields.remedy is empty in this row"
            raise RowRejectedError(msg)
        amount = field("compensation_amount", row)
        compensation = None
        if amount:
            currency = field("compensation_currency", row)
            if not currency:
                msg = f"compensation {amount!r} has no currency: map fields.compensation_currency"
                raise RowRejectedError(msg)
            compensation = {"amount": amount, "currency": currency}
        accepted = field("accepted", row)
        return {
            "remedy": remedy,
            "summary": field("resolution_summary", row) or f"resolved ({remedy})",
            "compensation": compensation,
            "accepted": None if accepted is None else accepted == "true",
        }


def _render(template: str, row: SourceRow) -> str:
    return _PLACEHOLDER.sub(lambda match: row.get(match.group(1)), template)

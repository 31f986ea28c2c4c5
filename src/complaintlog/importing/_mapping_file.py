"""The mapping file itself: its TOML schema, what it may name, and its checks.

:mod:`complaintlog.importing.mapping` describes the format and turns rows into plans.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from complaintlog.domain.values import Channel, EscalationLevel, Remedy, ReopenReason, Severity
from complaintlog.importing.errors import MappingFileError
from complaintlog.importing.times import zone

__all__ = ["FieldName", "Mapping", "StepName", "load_mapping"]

_OWN_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

StepName = Literal[
    "received",
    "acknowledged",
    "assigned",
    "escalated",
    "promise_made",
    "promise_due",
    "informed",
    "resolved",
    "followed_up",
    "surveyed",
    "reopened",
    "withdrawn",
]

FieldName = Literal[
    "customer_id",
    "customer_name",
    "customer_email",
    "customer_phone",
    "customer_address",
    "channel",
    "subject",
    "description",
    "desired_outcome",
    "product",
    "cause",
    "dimension",
    "severity",
    "assignee",
    "team",
    "escalation_level",
    "escalation_reason",
    "promise",
    "inform_message",
    "remedy",
    "resolution_summary",
    "compensation_amount",
    "compensation_currency",
    "accepted",
    "solved",
    "follow_up_note",
    "survey_score",
    "survey_comment",
    "reopen_reason",
    "reopen_note",
    "withdraw_reason",
    "tenant",
]

_ENUMS: dict[str, frozenset[str]] = {
    "channel": frozenset(Channel),
    "severity": frozenset(Severity),
    "remedy": frozenset(Remedy),
    "escalation_level": frozenset(EscalationLevel),
    "reopen_reason": frozenset(ReopenReason),
    "accepted": frozenset({"true", "false"}),
    "solved": frozenset({"true", "false"}),
}


_STEP_COMMAND = {
    "received": "receive",
    "acknowledged": "acknowledge",
    "assigned": "assign",
    "escalated": "escalate",
    "promise_made": "make_promise",
    "promise_due": "make_promise",
    "informed": "inform",
    "resolved": "resolve",
    "followed_up": "follow_up",
    "surveyed": "record_survey",
    "reopened": "reopen",
    "withdrawn": "withdraw",
}
"""The command each step column times."""

_FIELD_COMMAND = {
    "assignee": "assign",
    "team": "assign",
    "escalation_level": "escalate",
    "escalation_reason": "escalate",
    "promise": "make_promise",
    "inform_message": "inform",
    "remedy": "resolve",
    "resolution_summary": "resolve",
    "compensation_amount": "resolve",
    "compensation_currency": "resolve",
    "accepted": "resolve",
    "solved": "follow_up",
    "follow_up_note": "follow_up",
    "survey_score": "record_survey",
    "survey_comment": "record_survey",
    "reopen_reason": "reopen",
    "reopen_note": "reopen",
    "withdraw_reason": "withdraw",
}
"""The command recording each field; the others are recorded by ``receive``."""


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="csv", pattern=r"^[a-z0-9][a-z0-9_.-]{0,40}$")
    timezone: str = "UTC"
    date_formats: tuple[str, ...] = ("iso",)
    time_of_day: time = time(12, 0)
    external_ref: str | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value


class Mapping(BaseModel):
    """A parsed mapping file. Build one with :func:`load_mapping` or from a dict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: _Source = _Source()
    steps: dict[StepName, str]
    fields: dict[FieldName, str] = {}
    values: dict[FieldName, dict[str, str]] = {}

    @field_validator("steps")
    @classmethod
    def _received_given(cls, steps: dict[str, str]) -> dict[str, str]:
        if "received" not in steps:
            msg = "steps.received is required: the column with the time each complaint arrived"
            raise ValueError(msg)
        return steps

    def problems(self, header: tuple[str, ...]) -> list[str]:
        """What the mapping needs that the file's header or the domain does not give."""
        found: list[str] = []
        for step, column in self.steps.items():
            if column not in header:
                found.append(f"steps.{step}: no column {column!r} in the file")
        for name, template in self.fields.items():
            for column in _PLACEHOLDER.findall(template):
                if column not in header:
                    found.append(f"fields.{name}: no column {column!r} in the file")
        for column in _PLACEHOLDER.findall(self.source.external_ref or ""):
            if column not in header:
                found.append(f"source.external_ref: no column {column!r} in the file")
        needs = {
            "resolved": "remedy",
            "escalated": "escalation_level",
            "followed_up": "solved",
            "surveyed": "survey_score",
        }
        for step_name, needed in needs.items():
            if step_name in self.steps and needed not in self.fields:
                found.append(f"steps.{step_name} needs fields.{needed}")
        for name, template in self.fields.items():
            allowed = _ENUMS.get(name)
            literal = template.strip()
            if allowed is None or _PLACEHOLDER.search(template) or not literal:
                continue
            table = self.values.get(name, {})
            code = table.get(literal, table.get("*", literal.lower()))
            own = name == "remedy" and code in table.values()  # a company's own code
            if code not in allowed and not own and not (name == "remedy" and code == "open"):
                found.append(
                    f"fields.{name} = {template!r} is a literal that is never a valid {name}: "
                    f"use one of {sorted(allowed)}"
                )
        for field, table in self.values.items():
            allowed = _ENUMS.get(field)
            if allowed is None:
                continue
            for raw, code in table.items():
                if field == "remedy" and (code == "open" or _OWN_CODE.match(code)):
                    continue  # remedies take a company's own lowercase codes too
                if code not in allowed:
                    found.append(
                        f"values.{field}: {raw!r} -> {code!r} is not one of {sorted(allowed)}"
                    )
        return found


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a TOML mapping file; :class:`MappingFileError` names the problem."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingFileError(file, "no such file") from None
    except OSError as error:
        raise MappingFileError(file, f"cannot read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MappingFileError(file, f"not valid TOML: {error}") from None
    try:
        return Mapping.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise MappingFileError(file, f"{where}: {first['msg']}") from None

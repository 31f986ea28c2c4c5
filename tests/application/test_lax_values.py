"""Values pydantic's lax mode used to let through are refused with the field named and
nothing recorded: bytes for text, currencies that are no money, ten thousand attributes."""

from __future__ import annotations

import pytest

from complaintlog import ComplaintLog, InvalidValueError
from complaintlog.application.commands import MAX_ATTRIBUTES


def receive(log: ComplaintLog, **overrides: object) -> object:
    arguments: dict[str, object] = {
        "customer": {"id": "C-1"},
        "channel": "web",
        "subject": "s",
        "description": "d",
    }
    arguments.update(overrides)
    return log.receive(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", b"Bill"),
        ("description", b"Wrong"),
        ("actor", b"ana"),
        ("external_ref", b"R-1"),
        ("attributes", {"product": b"Mortgage"}),
        ("attributes", {f"k{n}": "v" for n in range(10_000)}),
        ("attributes", {f"k{n}": "v" for n in range(MAX_ATTRIBUTES + 1)}),
    ],
)
def test_lax_values_are_refused(any_log: ComplaintLog, field: str, value: object) -> None:
    with pytest.raises(InvalidValueError) as refused:
        receive(any_log, **{field: value})
    assert refused.value.field.startswith(field)
    assert any_log.max_position() == 0


def test_the_attribute_limit_itself_is_accepted(log: ComplaintLog) -> None:
    receive(log, attributes={f"k{n}": "v" for n in range(MAX_ATTRIBUTES)})


@pytest.mark.parametrize("currency", ["XXX", "XTS", "XAU", "XAG", "XDR", "XUA"])
def test_codes_that_are_no_money_are_refused(log: ComplaintLog, currency: str) -> None:
    complaint_id = receive(log)
    log.acknowledge(complaint_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"compensation\.currency") as refused:
        log.resolve(
            complaint_id,  # type: ignore[arg-type]
            remedy="refund",
            summary="s",
            compensation={"amount": "10", "currency": currency},
        )
    assert "not a metal, fund or test code" in str(refused.value)
    log.resolve(
        complaint_id,  # type: ignore[arg-type]
        remedy="refund",
        summary="s",
        compensation={"amount": "10", "currency": "XAF"},  # the Central African franc is
    )

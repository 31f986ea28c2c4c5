"""A row altered behind the application's back makes `show`, `report` and `export` stop
with one line that names its position and points to `audit verify`: no traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from complaintlog import ComplaintLog
from complaintlog.cli import app
from complaintlog.errors import UnreadableRecordError

COMMANDS = (["show", "CRM-0"], ["report"])
EXPORTS = (["export"], ["export", "-f", "csv"])
"""``export`` writes stored records as they are: it stops only at one that is not JSON."""


def run(url: str, *args: str) -> Any:
    return CliRunner().invoke(app, ["--store", url, *args])


def one_line_naming(result: Any, position: int) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: the stored record at position {position}")
    assert line.endswith("run `complaintlog audit verify`")


@pytest.mark.parametrize(
    ("damage", "readable"),
    [
        pytest.param(lambda state: b"{{" + state[2:], False, id="not-json"),
        pytest.param(lambda state: state.replace(b'"web"', b'"wxb"'), True, id="bad-channel"),
        pytest.param(lambda state: orjson.dumps([1, 2]), False, id="not-an-object"),
    ],
)
def test_a_damaged_received_event(
    audited_url: str,
    tamper_with: Callable[[ComplaintLog], Any],
    fill_log: Callable[[ComplaintLog], Any],
    damage: Callable[[bytes], bytes],
    readable: bool,
) -> None:
    with ComplaintLog(audited_url) as log:
        fill_log(log)
        tamper = tamper_with(log)
        tamper.set_state(1, damage(tamper.state(1)))  # complaint 0's Received
        tamper.close()
        with pytest.raises(UnreadableRecordError, match="position 1 "):
            log.get(log.find("CRM-0"))  # type: ignore[arg-type]
    for command in COMMANDS:
        one_line_naming(run(audited_url, *command), 1)
    for command in EXPORTS:
        if readable:
            assert run(audited_url, *command).exit_code == 0
        else:
            one_line_naming(run(audited_url, *command), 1)


def test_a_damaged_later_event(
    audited_url: str,
    tamper_with: Callable[[ComplaintLog], Any],
    fill_log: Callable[[ComplaintLog], Any],
) -> None:
    with ComplaintLog(audited_url) as log:
        fill_log(log)
        tamper = tamper_with(log)
        # Resolved: a currency that does not exist (a remedy may be any company code now)
        tamper.set_state(4, tamper.state(4).replace(b'"EUR"', b'"EUX"'))
        one_line_naming(run(audited_url, "show", "CRM-0"), 4)
        tamper.set_state(4, b"\x00" + tamper.state(4))
        tamper.close()
    for command in (*COMMANDS, *EXPORTS):
        one_line_naming(run(audited_url, *command), 4)

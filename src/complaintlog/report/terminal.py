"""Stored text shown in a terminal as text: never as Rich markup, never as control codes.

Complaint data comes from customers and imported files. Printed raw, ``[/bold]`` would be
read as Rich markup (and crash it), and an escape sequence could retitle or clear the
user's terminal; both are shown here as visible characters instead.
"""

from __future__ import annotations

import re

from rich.text import Text

__all__ = ["safe_text", "visible"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(value: str) -> str:
    """Control characters (other than tab and line feed) as ``\\xNN``."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", value)


def safe_text(value: str, style: str = "") -> Text:
    """A Rich ``Text`` of ``value``: markup characters stay literal, controls visible."""
    return Text(visible(value), style=style)

"""Cells that a spreadsheet would run: neutralised as OWASP recommends (CSV injection).

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as
a formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``, ``+cmd|...``,
``@SUM(...)``). Such a cell gets a leading apostrophe, which spreadsheets show as text and
do not display; plain numbers (``-3``, ``+1.5``) are left as they are, since they cannot
be formulas. See https://owasp.org/www-community/attacks/CSV_Injection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["safe_cell", "safe_row"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value``, or, for text a spreadsheet would run as a formula, the text after ``'``."""
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(cell) for cell in row]

"""Cells Kizuna writes into CSV and Excel files, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula
by Excel and its kin (OWASP, "CSV Injection"): a customer's comment could call a URL or a
program on the analyst's machine. Every CSV or Excel file Kizuna writes passes its text
cells through `safe_cell`, which puts an apostrophe in front (shown as written, never run).
Numbers stay numbers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_FIRST", "safe_cell", "safe_row"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The first characters `safe_cell` changes, for writers that test a cell before calling it.
FORMULA_FIRST = frozenset(_FORMULA_START)


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Any) -> list[Any]:
    return [safe_cell(v) for v in values]

"""Rejected rows: how a row is kept as written, and the `--report` CSV of a run's rejections."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kizuna.app import Kizuna
from kizuna.cells import safe_cell
from kizuna.ingest.models import ImportRejection
from kizuna.ingest.safety import check_json, has_unsafe_text, replace_unsafe
from kizuna.ingest.values import RowRejected

__all__ = ["ORDER_KEY", "raw_row", "write_rejections_csv"]

# Key of a rejection's raw row that lists its columns in file order.
ORDER_KEY = "_columns"


def write_rejections_csv(kz: Kizuna, run_id: int, path: Path) -> int:
    """Write a run's rejected rows (line, reason_code, reason, raw columns); returns the count.

    UTF-8 with BOM, so Excel opens the Japanese text correctly.
    """
    query = (
        select(
            ImportRejection.line,
            ImportRejection.reason_code,
            ImportRejection.reason,
            ImportRejection.raw,
        )
        .where(ImportRejection.run_id == run_id)
        .order_by(ImportRejection.line, ImportRejection.id)
    )
    columns: dict[str, None] = {}
    with kz.engine.connect() as conn:
        for raw in conn.execute(query.with_only_columns(ImportRejection.raw)).scalars():
            columns.update(dict.fromkeys(raw.get(ORDER_KEY) or raw))
        columns.pop(ORDER_KEY, None)
        written = 0
        with Path(path).open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "reason_code", "reason", *columns])
            for line, code, reason, raw in conn.execute(query.execution_options(yield_per=1000)):
                writer.writerow([line, code, reason, *(_cell(raw.get(c)) for c in columns)])
                written += 1
    return written


def _cell(value: Any) -> Any:
    return "" if value is None else safe_cell(value)


def raw_row(header: tuple[str, ...], cells: Sequence[Any]) -> dict[str, Any]:
    """The row as written: column -> value, and the columns' order (JSONB forgets it).

    What no database can store is kept visibly, not silently dropped: a NUL or a lone
    surrogate becomes U+FFFD, and JSON too deep or too large is replaced by a note.
    """
    raw: dict[str, Any] = {}
    for index, value in enumerate(cells):
        name = header[index] if index < len(header) else f"column_{index + 1}"
        name = _storable_text(name) or f"column_{index + 1}"
        if isinstance(value, float) and not math.isfinite(value):
            raw[name] = str(value)  # JSON has no NaN
        elif isinstance(value, str):
            raw[name] = _storable_text(value)
        elif isinstance(value, dict | list):
            try:
                check_json(value, name)
                raw[name] = value
            except RowRejected as why:
                raw[name] = f"(not kept: {why.code})"
        elif value is None or isinstance(value, int | float | bool):
            raw[name] = value
        else:
            raw[name] = _storable_text(str(value))
    raw[ORDER_KEY] = list(raw)
    return raw


def _storable_text(text: str) -> str:
    return replace_unsafe(text) if has_unsafe_text(text) else text

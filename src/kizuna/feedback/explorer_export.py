"""The voice explorer's export: the matching voices with every analysis column and their
tags, as CSV (UTF-8 with the BOM Japanese Excel needs to read it as UTF-8, CRLF) or XLSX.

`write_voices` streams to a file a batch at a time (the CLI, any number of voices);
`export_voices` gives bytes for a download, at most MAX_EXPORT voices. Text cells pass
through `kizuna.cells.safe_cell`, so a comment can never run as a formula (codes and
numbers need no such care).
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.cells import safe_cell
from kizuna.errors import InvalidInput
from kizuna.feedback.explorer import matching_rows
from kizuna.feedback.explorer_filter import EMOTIONS, VoiceFilter

__all__ = ["EXPORT_COLUMNS", "FORMATS", "MAX_EXPORT", "export_voices", "write_voices"]

MAX_EXPORT = 100_000
FORMATS = ("csv", "xlsx")

EXPORT_COLUMNS = (
    "id", "received_at", "channel", "touchpoint", "source", "customer_id", "customer_ref",
    "nps", "csat", "ces", "rating", "text", "language", "sentiment", "sentiment_score",
    "delight", "expectation", *(f"emotion_{e}" for e in EMOTIONS), "topics",
    "experience_values", "engine_version", "tags",
)  # fmt: skip


def _topics(topics: list[dict[str, Any]] | None) -> str:
    return "; ".join(
        f"{t.get('topic')}:{t.get('sentiment')}" + (f"({t['score']:+.2f})" if "score" in t else "")
        for t in topics or ()
    )


def _row(row: Row[Any], tags: list[str]) -> list[Any]:
    emotions = row.emotions or {}
    return [
        row.id,
        row.received_at.isoformat(timespec="seconds"),
        safe_cell(row.channel),
        safe_cell(row.touchpoint),
        safe_cell(row.source),
        row.customer_id,
        safe_cell(row.customer_ref),
        row.nps,
        row.csat,
        row.ces,
        row.rating,
        safe_cell(row.text),
        row.analysis_language or row.voice_language,
        row.sentiment,
        row.sentiment_score,
        row.delight,
        row.expectation,
        *(emotions.get(e) for e in EMOTIONS),
        safe_cell(_topics(row.topics)),
        " ".join(row.experience_values or ()),
        row.engine_version,
        safe_cell(", ".join(tags)),
    ]


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(
            f"Export format must be csv or xlsx (got {fmt!r}).",
            f"書き出し形式は csv か xlsx にしてください(指定 {fmt!r})。",
        )


def write_voices(
    session: Session,
    workspace: Workspace,
    wanted: VoiceFilter,
    fmt: str,
    out: IO[bytes],
    *,
    limit: int | None = None,
) -> int:
    """Write the matching voices (newest first, at most `limit`) to a binary file; how many."""
    _check(fmt)
    rows = 0
    found = matching_rows(session, workspace, wanted, cues=False)
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for row, tags in found:
            if rows == limit:
                break
            writer.writerow(_row(row, tags))
            rows += 1
        text.flush()
        text.detach()
        return rows
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("voices")
    sheet.append(list(EXPORT_COLUMNS))
    for row, tags in found:
        if rows == limit:
            break
        sheet.append(_row(row, tags))
        rows += 1
    book.save(out)
    return rows


def export_voices(
    session: Session, workspace: Workspace, wanted: VoiceFilter, fmt: str
) -> tuple[bytes, int]:
    """The matching voices (at most MAX_EXPORT, newest first) with every analysis column, as
    CSV (UTF-8 with the BOM Japanese Excel needs) or XLSX bytes; and how many rows."""
    _check(fmt)
    data = io.BytesIO()
    rows = write_voices(session, workspace, wanted, fmt, data, limit=MAX_EXPORT)
    return data.getvalue(), rows

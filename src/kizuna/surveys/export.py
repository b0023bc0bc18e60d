"""Export a survey's responses: CSV that Japanese Excel opens as UTF-8, or an Excel workbook.

One row per response: its id, state, channel, language, when it started and was completed,
seconds taken, the customer's reference and touchpoint, the hidden fields, then one column
per question (the current version's first, then those only earlier versions asked). Scores
are numbers; choices are their labels in the export's language, several joined by " / ";
"other" is the text written there. CSV is UTF-8 with a byte-order mark, which Excel needs to
read it as UTF-8 instead of Shift_JIS (the mojibake Japanese users know too well); the
workbook (openpyxl, write-only, so large surveys stream) needs no such care and also lists
the questions' texts on a second sheet. Text that a spreadsheet would run as a formula gets
an apostrophe in front in both (`kizuna.cells`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.cells import safe_row
from kizuna.errors import InvalidInput
from kizuna.surveys.definition import Question
from kizuna.surveys.logic import answer_text
from kizuna.surveys.models import Survey, SurveyResponse
from kizuna.surveys.service import definition_of, survey_versions

__all__ = ["EXPORT_FORMATS", "export_responses", "response_table"]

EXPORT_FORMATS = ("csv", "xlsx")
FIXED = (
    "response_id",
    "state",
    "channel",
    "language",
    "started_at",
    "completed_at",
    "seconds",
    "customer_ref",
    "touchpoint",
)


def _questions(session: Session, survey: Survey) -> list[Question]:
    current = definition_of(survey)
    found = list(current.questions)
    known = {q.id for q in found}
    for _, row in sorted(survey_versions(session, survey).items(), reverse=True):
        for question in definition_of(survey, row).questions:
            if question.id not in known:
                found.append(question)
                known.add(question.id)
    return found


def response_table(
    session: Session, survey: Survey, language: str = "ja"
) -> tuple[list[str], Iterator[list[Any]], list[Question]]:
    """(header, rows, questions) of the export; rows are read lazily, oldest first."""
    questions = _questions(session, survey)
    hidden = [h for h in survey.definition.get("hidden", []) if h not in ("customer", "touchpoint")]
    header = [*FIXED, *(f"hidden.{h}" for h in hidden), *(q.id for q in questions)]

    def rows() -> Iterator[list[Any]]:
        query = (
            select(SurveyResponse)
            .where(SurveyResponse.survey_id == survey.id)
            .order_by(SurveyResponse.id)
            .execution_options(yield_per=1000)
        )
        for response in session.scalars(query):
            answers = response.answers or {}
            yield [
                response.id,
                response.state,
                response.channel,
                response.language,
                response.started_at.isoformat(timespec="seconds"),
                response.completed_at.isoformat(timespec="seconds")
                if response.completed_at
                else "",
                response.seconds if response.seconds is not None else "",
                response.customer_ref or "",
                response.touchpoint or "",
                *((response.hidden or {}).get(h, "") for h in hidden),
                *(_cell(q, answers, language) for q in questions),
            ]

    return header, rows(), questions


def _cell(question: Question, answers: dict[str, Any], language: str) -> Any:
    value = answers.get(question.id)
    if value is None or value == "" or value == []:
        return ""
    if question.is_score:
        return int(value)
    if question.type == "text":
        return str(value)
    text = answer_text(question, value, language, answers.get(f"{question.id}.other"))
    return text.replace("、", " / ").replace(", ", " / ") if question.type == "multiple" else text


def export_responses(session: Session, survey: Survey, fmt: str, language: str = "ja") -> bytes:
    """The responses as CSV (UTF-8 with BOM) or XLSX bytes."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            f"Export format must be csv or xlsx (got {fmt!r}).",
            f"書き出し形式は csv か xlsx にしてください(指定 {fmt!r})。",
        )
    header, rows, questions = response_table(session, survey, language)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(safe_row(header))
        writer.writerows(safe_row(row) for row in rows)
        return out.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses" if language == "en" else "回答")
    sheet.append(safe_row(header))
    for row in rows:
        sheet.append(safe_row(row))
    legend = book.create_sheet("questions" if language == "en" else "質問")
    legend.append(["id", "type", "text"])
    for question in questions:
        legend.append(safe_row([question.id, question.type, question.text.get(language, "")]))
    out_bytes = io.BytesIO()
    book.save(out_bytes)
    return out_bytes.getvalue()

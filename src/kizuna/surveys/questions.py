"""Questions of a survey definition: their types, scales, options, display logic, jumps and
piping, read and checked (`read_questions`).

What a question is lives in `kizuna.surveys.question_types`; the checks that its logic only
looks back (so every path through a survey ends) in `kizuna.surveys.question_logic`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kizuna.surveys.problems import MAX_TEXT, Checker
from kizuna.surveys.question_logic import check_condition as _check_condition
from kizuna.surveys.question_logic import check_jump as _check_jump
from kizuna.surveys.question_logic import check_pipes as _check_pipes
from kizuna.surveys.question_types import (
    FIXED_SCALES,
    NPS_GROUPS,
    QUESTION_TYPES,
    SCORE_TYPES,
    Option,
    Question,
)

__all__ = [
    "FIXED_SCALES",
    "NPS_GROUPS",
    "QUESTION_TYPES",
    "SCORE_TYPES",
    "Option",
    "Question",
    "read_questions",
]

# Hidden fields with a meaning of their own in the voice; others go to its properties.
MAX_QUESTIONS = 100
MAX_OPTIONS = 50
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_QUESTION_KEYS = {
    "id",
    "type",
    "text",
    "help",
    "required",
    "page",
    "options",
    "other",
    "min",
    "max",
    "style",
    "labels",
    "max_length",
    "show_if",
    "jump",
}


def read_questions(
    check: Checker, value: Any, hidden: tuple[str, ...]
) -> tuple[list[Question], tuple[tuple[str, ...], ...]]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        check.add("questions", "a survey needs at least one question", "質問が 1 つ以上必要です")
        return [], ()
    if len(value) > MAX_QUESTIONS:
        check.add(
            "questions", f"at most {MAX_QUESTIONS} questions", f"質問は {MAX_QUESTIONS} 個までです"
        )
    order: dict[str, int] = {}
    page_of: dict[str, int] = {}
    pages: list[list[str]] = []
    previous_page: Any = object()
    drafts: list[tuple[str, Mapping[str, Any], str]] = []
    for index, item in enumerate(value):
        place = f"questions[{index}]"
        if not isinstance(item, Mapping):
            check.add(
                place,
                "a question is a mapping with id, type and text",
                "質問は id・type・text を持つ形式で書いてください",
            )
            continue
        qid = str(item.get("id") or "")
        if not _ID.match(qid):
            check.add(
                f"{place}.id",
                "an id is a lower-case name such as why_low (letters, digits, _)",
                "id は why_low のような英小文字の名前にしてください",
            )
            continue
        place = f"questions[{index}] ({qid})"
        if qid in order:
            check.add(place, f"the id '{qid}' is used twice", f"id「{qid}」が重複しています")
            continue
        page_value = item.get("page")
        if page_value is None or page_value != previous_page:
            pages.append([])
        previous_page = page_value if page_value is not None else object()
        order[qid] = index
        page_of[qid] = len(pages) - 1
        pages[-1].append(qid)
        drafts.append((qid, item, place))
    questions = []
    for qid, item, place in drafts:
        question = _question(check, qid, item, place, page_of[qid])
        if question is None:
            continue
        questions.append(question)
    known = {q.id: q for q in questions}
    for question in questions:
        place = f"questions[{order[question.id]}] ({question.id})"
        if question.show_if is not None:
            _check_condition(
                check,
                question.show_if,
                f"{place}.show_if",
                question,
                known,
                page_of,
                hidden,
                "show_if",
            )
        for j, rule in enumerate(question.jump):
            _check_jump(check, rule, f"{place}.jump[{j}]", question, known, page_of, hidden)
        for language, text in question.text.items():
            _check_pipes(check, text, f"{place}.text.{language}", question, known, page_of, hidden)
    return questions, tuple(tuple(p) for p in pages)


def _question(
    check: Checker, qid: str, item: Mapping[str, Any], place: str, page: int
) -> Question | None:
    for key in sorted(set(map(str, item)) - _QUESTION_KEYS):
        check.add(
            f"{place}.{key}", f"unknown question setting '{key}'", f"不明な質問の設定「{key}」です"
        )
    kind = str(item.get("type") or "")
    if kind not in QUESTION_TYPES:
        check.add(
            f"{place}.type",
            f"unknown question type '{kind}'; use one of {', '.join(QUESTION_TYPES)}",
            f"不明な質問タイプ「{kind}」です。{', '.join(QUESTION_TYPES)} のいずれかにしてください",
        )
        return None
    text = check.text(item.get("text"), f"{place}.text")
    help_text = check.text(item.get("help"), f"{place}.help", required=False)
    required = item.get("required", kind in FIXED_SCALES or kind in ("rating", "number", "single"))
    values: dict[str, Any] = {"required": bool(required)}
    if kind in FIXED_SCALES:
        values["min"], values["max"] = FIXED_SCALES[kind]
    elif kind in ("rating", "number"):
        low = item.get("min", 1)
        high = item.get("max", 5 if kind == "rating" else 10)
        lo = check.integer(low, f"{place}.min", 0, 100)
        hi = check.integer(high, f"{place}.max", 1, 100)
        if lo is not None and hi is not None:
            if hi <= lo or hi - lo > 20:
                check.add(
                    f"{place}.max",
                    "max must be above min, at most 20 steps apart",
                    "max は min より大きく、差は 20 以内にしてください",
                )
            values["min"], values["max"] = lo, hi
        style = str(item.get("style") or ("stars" if kind == "rating" else "numbers"))
        if style not in ("stars", "numbers"):
            check.add(
                f"{place}.style",
                "style is stars or numbers",
                "style は stars か numbers にしてください",
            )
        values["style"] = style
    if kind in SCORE_TYPES and item.get("labels") is not None:
        labels = item["labels"]
        if isinstance(labels, Mapping):
            values["low_label"] = check.text(labels.get("low"), f"{place}.labels.low")
            values["high_label"] = check.text(labels.get("high"), f"{place}.labels.high")
        else:
            check.add(
                f"{place}.labels",
                "labels is a mapping with low and high",
                "labels は low と high で書いてください",
            )
    if kind in ("single", "multiple"):
        values["options"] = _options(check, item.get("options"), place)
        values["other"] = bool(item.get("other", False))
    elif item.get("options") is not None:
        check.add(
            f"{place}.options",
            f"a {kind} question has no options",
            f"{kind} の質問に選択肢は使えません",
        )
    if kind == "text" and item.get("max_length") is not None:
        values["max_length"] = (
            check.integer(item["max_length"], f"{place}.max_length", 1, 5000) or MAX_TEXT
        )
    show_if = item.get("show_if")
    if show_if is not None and not isinstance(show_if, Mapping):
        check.add(
            f"{place}.show_if",
            "show_if is a condition such as {question: nps, group: detractor}",
            "show_if は {question: nps, group: detractor} のような条件で書いてください",
        )
        show_if = None
    jump = item.get("jump") or []
    if isinstance(jump, Mapping):
        jump = [jump]
    if not isinstance(jump, Sequence) or isinstance(jump, str):
        check.add(
            f"{place}.jump",
            "jump is a list such as [{if: {...}, to: question_id}]",
            "jump は [{if: {...}, to: 質問id}] のように書いてください",
        )
        jump = []
    if text is None:
        return None
    return Question(
        id=qid,
        type=kind,
        text=text,
        page=page,
        help=help_text,
        show_if=dict(show_if) if show_if is not None else None,
        jump=tuple(dict(j) if isinstance(j, Mapping) else {"invalid": j} for j in jump),
        **values,
    )


def _options(check: Checker, value: Any, place: str) -> tuple[Option, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        check.add(f"{place}.options", "give at least one option", "選択肢を 1 つ以上書いてください")
        return ()
    if len(value) > MAX_OPTIONS:
        check.add(
            f"{place}.options",
            f"at most {MAX_OPTIONS} options",
            f"選択肢は {MAX_OPTIONS} 個までです",
        )
    options: list[Option] = []
    for index, item in enumerate(value):
        where = f"{place}.options[{index}]"
        if not isinstance(item, Mapping):
            check.add(
                where,
                "an option is a mapping with id and text",
                "選択肢は id と text で書いてください",
            )
            continue
        oid = str(item.get("id") or "")
        if not _OPTION_ID.match(oid) or oid == "other":
            check.add(
                f"{where}.id",
                "an option id is a short lower-case name (not 'other': use other: true)",
                "選択肢の id は英小文字の短い名前にしてください(「その他」は other: true で)",
            )
            continue
        if any(o.id == oid for o in options):
            check.add(
                f"{where}.id",
                f"the option id '{oid}' is used twice",
                f"選択肢の id「{oid}」が重複しています",
            )
            continue
        text = check.text(item.get("text"), f"{where}.text")
        if text is not None:
            options.append(Option(oid, text))
    return tuple(options)

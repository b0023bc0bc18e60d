"""Display logic, jumps and piping: which pages a respondent sees, given what they answered.

Pure functions over a checked `Definition` (`kizuna.surveys.definition`), the answers so far
(question id -> value) and the hidden fields. A page is shown when at least one of its
questions is (`show_if` holds, or there is none); after a page, its questions' jumps are
tried in order and the first that holds moves on to the target's page (or ends). Definitions
only allow conditions on earlier pages and forward jumps, so a path always ends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kizuna.surveys.definition import Definition, Question

__all__ = [
    "clean_answers",
    "evaluate",
    "next_page",
    "nps_group",
    "page_path",
    "path_questions",
    "pipe_text",
    "visible_questions",
]

_PIPE = re.compile(r"\{\{\s*([a-z][a-z0-9_.]*)\s*\}\}")


def nps_group(score: Any) -> str | None:
    """detractor (0-6), passive (7-8) or promoter (9-10); None when not a score."""
    if isinstance(score, bool) or not isinstance(score, int | float):
        return None
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def evaluate(
    condition: Mapping[str, Any], answers: Mapping[str, Any], hidden: Mapping[str, Any]
) -> bool:
    """Whether a (checked) condition holds; an unanswered question satisfies no test."""
    if "all" in condition:
        return all(evaluate(c, answers, hidden) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, answers, hidden) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], answers, hidden)
    if "hidden" in condition:
        value = hidden.get(str(condition["hidden"]))
        return _test(condition, value)
    value = answers.get(str(condition.get("question")))
    if "answered" in condition:
        return _answered(value) == bool(condition["answered"])
    if not _answered(value):
        return False
    if "group" in condition:
        wanted = condition["group"]
        groups = wanted if isinstance(wanted, list) else [wanted]
        return nps_group(value) in groups
    return _test(condition, value)


def _answered(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _test(condition: Mapping[str, Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if "equals" in condition:
        return any(_same(v, condition["equals"]) for v in values)
    if "in" in condition:
        wanted = condition["in"] if isinstance(condition["in"], list) else [condition["in"]]
        return any(_same(v, w) for v in values for w in wanted)
    if "gte" in condition:
        return _number(value) is not None and _number(value) >= float(condition["gte"])  # type: ignore[operator]
    if "lte" in condition:
        return _number(value) is not None and _number(value) <= float(condition["lte"])  # type: ignore[operator]
    return False


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return bool(left == right)
    return str(left) == str(right)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def visible_questions(
    definition: Definition, page: int, answers: Mapping[str, Any], hidden: Mapping[str, Any]
) -> list[Question]:
    """The questions of `page` that this respondent is shown."""
    shown = []
    for question_id in definition.pages[page]:
        question = definition.question(question_id)
        if question is None:
            continue
        if question.show_if is None or evaluate(question.show_if, answers, hidden):
            shown.append(question)
    return shown


def page_path(
    definition: Definition, answers: Mapping[str, Any], hidden: Mapping[str, Any]
) -> list[int]:
    """The pages this respondent goes through, in order, given the answers so far.

    Pages after the first unanswered required question are still listed: the path is where
    the respondent would go, and `next_page` stops at what is missing.
    """
    return [page for page, _ in path_questions(definition, answers, hidden)]


def path_questions(
    definition: Definition, answers: Mapping[str, Any], hidden: Mapping[str, Any]
) -> list[tuple[int, list[Question]]]:
    """`page_path` with the questions each of its pages shows (each page's conditions are
    evaluated once: checking and cleaning a completed answer need both)."""
    path: list[tuple[int, list[Question]]] = []
    index = 0
    total = len(definition.pages)
    while index < total:
        shown = visible_questions(definition, index, answers, hidden)
        if not shown:
            index += 1
            continue
        path.append((index, shown))
        target = _jump_target(definition, shown, answers, hidden)
        if target == "end":
            break
        if target is not None:
            question = definition.question(target)
            index = question.page if question is not None and question.page > index else index + 1
        else:
            index += 1
    return path


def _jump_target(
    definition: Definition,
    shown: list[Question],
    answers: Mapping[str, Any],
    hidden: Mapping[str, Any],
) -> str | None:
    for question in shown:
        for rule in question.jump:
            condition = rule.get("if")
            if condition is None or evaluate(condition, answers, hidden):
                return str(rule["to"])
    return None


def next_page(
    definition: Definition,
    answers: Mapping[str, Any],
    hidden: Mapping[str, Any],
    after: int | None,
) -> int | None:
    """The page to show after page `after` (None: the first page); None when the survey is done."""
    path = page_path(definition, answers, hidden)
    if after is None:
        return path[0] if path else None
    later = [p for p in path if p > after]
    return later[0] if later else None


def clean_answers(
    definition: Definition, answers: Mapping[str, Any], hidden: Mapping[str, Any]
) -> dict[str, Any]:
    """Only the answers to questions the respondent's path shows (a changed earlier answer
    can hide a follow-up answered before); unknown ids are dropped."""
    kept: dict[str, Any] = {}
    for _, shown in path_questions(definition, answers, hidden):
        for question in shown:
            if question.id in answers:
                kept[question.id] = answers[question.id]
                other = f"{question.id}.other"
                if question.other and answers.get(other):
                    kept[other] = answers[other]
    return kept


def pipe_text(
    text: str,
    definition: Definition,
    answers: Mapping[str, Any],
    hidden: Mapping[str, Any],
    language: str,
) -> str:
    """`text` with {{question_id}} and {{hidden.name}} replaced by the respondent's values
    (a choice by its label in `language`); unknown or unanswered names become empty."""

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("hidden."):
            return str(hidden.get(name[7:]) or "")
        question = definition.question(name)
        value = answers.get(name)
        if question is None or not _answered(value):
            return ""
        return answer_text(question, value, language, answers.get(f"{name}.other"))

    return _PIPE.sub(value_of, text)


def answer_text(question: Question, value: Any, language: str, other: Any = None) -> str:
    """An answer as a person reads it: a choice by its label ("other" by the text written
    there), consent as yes/no, a score as its number."""
    if question.options or question.other:
        items = value if isinstance(value, list) else [value]
        names = []
        for item in items:
            option = question.option(str(item))
            if option is not None:
                names.append(option.text.get(language) or next(iter(option.text.values())))
            elif item == "other":
                names.append(str(other) if other else ("その他" if language == "ja" else "Other"))
        return "、".join(names) if language == "ja" else ", ".join(names)
    if isinstance(value, bool):
        return ("はい" if value else "いいえ") if language == "ja" else ("yes" if value else "no")
    return str(value)

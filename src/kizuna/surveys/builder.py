"""The web builder's actions on a stored definition, and reading a pasted YAML or JSON one.

The builder never keeps a state of its own: each form names one action on the survey's
current definition (`apply_action`) and the result goes through `update_survey`, which
checks it as it checks a file. Actions:

- `settings`: title, welcome and thank-you texts in each language, brand colour, close date,
  response cap, internal name;
- `add`, `update`: a question (type, texts per language, required, options one per line,
  "other", on a new page or with the one before, shown only to an NPS group);
- `delete`, `up`, `down`: remove or move a question;
- `yaml`: replace the whole definition with the YAML or JSON pasted.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import yaml

from kizuna.errors import InvalidInput
from kizuna.surveys.definition import (
    NPS_GROUPS,
    QUESTION_TYPES,
    InvalidSurvey,
    Problem,
)
from kizuna.surveys.models import Survey

__all__ = ["apply_action", "builder_context", "read_text", "to_yaml"]

ACTIONS = ("settings", "add", "update", "delete", "up", "down", "yaml")
CHOICE_TYPES = ("single", "multiple")


def read_text(text: str) -> dict[str, Any]:
    """A definition from YAML or JSON text; InvalidSurvey with the line of a syntax error."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark is not None else "(text)"
        raise InvalidSurvey(
            [
                Problem(
                    place,
                    f"not valid YAML or JSON ({getattr(exc, 'problem', exc)})",
                    "YAML または JSON として読めません",
                )
            ]
        ) from None
    if not isinstance(loaded, dict):
        raise InvalidSurvey(
            [
                Problem(
                    "(top)",
                    "a definition is a mapping with title and questions",
                    "定義は title と questions を持つ形式で書いてください",
                )
            ]
        )
    return loaded


def to_yaml(definition: Mapping[str, Any]) -> str:
    """The definition as YAML people can read and edit (Japanese kept as written)."""
    return yaml.safe_dump(
        json.loads(json.dumps(definition)), allow_unicode=True, sort_keys=False, width=100
    )


def builder_context(
    survey: Survey, problems: list[str], fields: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What the builder page shows: settings, each question as a form, the YAML."""
    raw = survey.definition
    languages = list(raw.get("languages") or ["ja", "en"])
    questions = [dict(q) for q in raw.get("questions") or []]
    nps_ids = [q["id"] for q in questions if q.get("type") == "nps"]
    for index, question in enumerate(questions):
        question["_index"] = index
        question["_options"] = {
            lang: "\n".join(_text_of(o.get("text"), lang) for o in question.get("options") or [])
            for lang in languages
        }
        show = question.get("show_if") or {}
        question["_nps_group"] = show.get("group") if isinstance(show.get("group"), str) else ""
        question["_same_page"] = (
            index > 0
            and question.get("page") is not None
            and (question.get("page") == questions[index - 1].get("page"))
        )
    closes = raw.get("closes_at") or ""
    return {
        "survey": survey,
        "tab": "edit",
        "raw": raw,
        "languages": languages,
        "questions": questions,
        "nps_ids": nps_ids,
        "question_types": QUESTION_TYPES,
        "nps_groups": NPS_GROUPS,
        "yaml": (fields or {}).get("definition") or to_yaml(raw),
        "problems": problems,
        "texts": {
            key: {lang: _text_of(raw.get(key), lang) for lang in languages}
            for key in ("title", "welcome", "thank_you")
        },
        "brand_color": (raw.get("brand") or {}).get("color") or "",
        "closes_at": str(closes)[:16],
        "response_cap": raw.get("response_cap") or "",
    }


def _text_of(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or "")
    return str(value or "")


def apply_action(survey: Survey, fields: Mapping[str, str]) -> tuple[dict[str, Any], str | None]:
    """(the new definition, the new internal name or None) after one builder action."""
    action = fields.get("action", "")
    if action not in ACTIONS:
        raise InvalidInput(
            "Unknown builder action; reload the page and try again.",
            "不明な操作です。ページを再読み込みしてもう一度お試しください。",
        )
    if action == "yaml":
        return read_text(fields.get("definition", "")), None
    raw = copy.deepcopy(survey.definition)
    languages = list(raw.get("languages") or ["ja", "en"])
    questions: list[dict[str, Any]] = list(raw.get("questions") or [])
    if action == "settings":
        return _settings(raw, languages, fields), (fields.get("name") or "").strip() or None
    if action == "add":
        questions.append(_question(fields, languages, questions, None))
    else:
        index = _index(questions, fields.get("question", ""))
        if action == "update":
            questions[index] = _question(fields, languages, questions, questions[index])
        elif action == "delete":
            del questions[index]
        elif action == "up" and index > 0:
            questions[index - 1], questions[index] = questions[index], questions[index - 1]
        elif action == "down" and index < len(questions) - 1:
            questions[index + 1], questions[index] = questions[index], questions[index + 1]
    raw["questions"] = questions
    return raw, None


def _index(questions: list[dict[str, Any]], question_id: str) -> int:
    for index, question in enumerate(questions):
        if question.get("id") == question_id:
            return index
    raise InvalidInput(
        f"There is no question '{question_id}' any more; reload the builder.",
        f"質問「{question_id}」はもうありません。ビルダーを再読み込みしてください。",
    )


def _texts(fields: Mapping[str, str], prefix: str, languages: list[str]) -> dict[str, str] | None:
    found = {lang: (fields.get(f"{prefix}_{lang}") or "").strip() for lang in languages}
    return found if any(found.values()) else None


def _settings(
    raw: dict[str, Any], languages: list[str], fields: Mapping[str, str]
) -> dict[str, Any]:
    for key in ("title", "welcome", "thank_you"):
        texts = _texts(fields, key, languages)
        if texts is not None:
            raw[key] = texts
        elif key != "title":
            raw.pop(key, None)
    colour = (fields.get("brand_color") or "").strip()
    if colour:
        raw["brand"] = {**(raw.get("brand") or {}), "color": colour}
    else:
        raw.pop("brand", None)
    closes = (fields.get("closes_at") or "").strip()
    if closes:
        moment = _local_moment(closes, fields.get("timezone") or "Asia/Tokyo")
        raw["closes_at"] = moment.isoformat()
    else:
        raw.pop("closes_at", None)
    cap = (fields.get("response_cap") or "").strip()
    if cap:
        if not cap.isdigit():
            raise InvalidSurvey(
                [Problem("response_cap", "must be a whole number", "整数にしてください")]
            )
        raw["response_cap"] = int(cap)
    else:
        raw.pop("response_cap", None)
    return raw


def _local_moment(text: str, timezone: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidSurvey(
            [
                Problem(
                    "closes_at",
                    "write a date and time such as 2027-03-31 23:59",
                    "2027-03-31 23:59 のような日時で書いてください",
                )
            ]
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _question(
    fields: Mapping[str, str],
    languages: list[str],
    questions: list[dict[str, Any]],
    before: dict[str, Any] | None,
) -> dict[str, Any]:
    kind = fields.get("type") or (before or {}).get("type") or "text"
    if kind not in QUESTION_TYPES:
        raise InvalidSurvey(
            [Problem("type", f"unknown question type '{kind}'", f"不明な質問タイプ「{kind}」です")]
        )
    taken = {q.get("id") for q in questions if q is not before}
    wanted = (fields.get("id") or "").strip() or (before or {}).get("id")
    question: dict[str, Any] = {"id": wanted or _free_id(kind, taken), "type": kind}
    question["text"] = _texts(fields, "text", languages) or {}
    help_text = _texts(fields, "help", languages)
    if help_text:
        question["help"] = help_text
    question["required"] = fields.get("required") == "on"
    if kind in CHOICE_TYPES:
        question["options"] = _options(fields, languages, (before or {}).get("options") or [])
        if fields.get("other") == "on":
            question["other"] = True
    if kind in ("rating", "number"):
        for bound in ("min", "max"):
            value = (fields.get(bound) or "").strip()
            if value.lstrip("-").isdigit():
                question[bound] = int(value)
        if kind == "rating":
            question["style"] = (
                fields.get("style") if fields.get("style") in ("stars", "numbers") else "stars"
            )
    low, high = _texts(fields, "low", languages), _texts(fields, "high", languages)
    if low and high:
        question["labels"] = {"low": low, "high": high}
    group = fields.get("nps_group") or ""
    source = fields.get("nps_question") or ""
    if group in NPS_GROUPS and source:
        question["show_if"] = {"question": source, "group": group}
    elif before and before.get("show_if") and fields.get("keep_logic") == "on":
        question["show_if"] = before["show_if"]
    if before and before.get("jump"):
        question["jump"] = before["jump"]
    if before is not None:
        if "page" in before:
            question["page"] = before["page"]
    else:
        _place_on_page(question, questions, fields.get("page_mode") == "same")
    if kind == "text" and before is not None and before.get("max_length"):
        question["max_length"] = before["max_length"]
    return question


def _place_on_page(question: dict[str, Any], questions: list[dict[str, Any]], same: bool) -> None:
    """A new question goes on a page of its own, or shares the last question's page."""
    if not questions:
        return
    last = questions[-1]
    if same:
        if last.get("page") is None:
            last["page"] = f"p{len(questions)}"
        question["page"] = last["page"]
    elif last.get("page") is not None:
        question["page"] = f"p{len(questions) + 1}"


def _options(
    fields: Mapping[str, str], languages: list[str], before: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    lines = {
        lang: [
            line.strip()
            for line in (fields.get(f"options_{lang}") or "").splitlines()
            if line.strip()
        ]
        for lang in languages
    }
    count = max((len(v) for v in lines.values()), default=0)
    options = []
    for index in range(count):
        option_id = before[index]["id"] if index < len(before) else f"o{index + 1}"
        text = {lang: lines[lang][index] if index < len(lines[lang]) else "" for lang in languages}
        options.append({"id": option_id, "text": text})
    return options


def _free_id(kind: str, taken: set[Any]) -> str:
    number = 1
    while f"{kind}_{number}" in taken or (number == 1 and kind in taken):
        number += 1
    return kind if kind not in taken and kind in ("nps", "csat", "ces") else f"{kind}_{number}"

"""A survey definition: read from YAML, JSON, the web builder or the API, checked, and typed.

    definition = parse_definition(yaml.safe_load(text))     # InvalidSurvey when it is wrong

A definition is a mapping (see `data/*.yaml` for complete examples):

    title: {ja: ご宿泊アンケート, en: Your stay}      # every text in every language listed
    languages: [ja, en]                               # the first is the default
    source: survey                                    # or employee (eNPS pulses)
    welcome / thank_you: {ja: ..., en: ...}
    brand: {color: "#8c2f39"}                         # the logo is uploaded separately
    closes_at: 2027-03-31T23:59:00+09:00
    response_cap: 500
    hidden: [customer, touchpoint, store, staff, order]
    reminders: {after_days: 3, max: 1}
    triggers: [{interaction: check_out, delay: 2h, within_days: 7}]
    email: {subject: {...}, intro: {...}}
    questions:
      - id: nps
        type: nps                # nps csat ces rating number single multiple text consent
        text: {ja: "{{hidden.store}}を...", en: ...}     # piping: {{question_id}}, {{hidden.x}}
        page: 1                  # questions with the same page value share a page
        show_if: {question: nps, group: detractor}        # display logic
        jump: [{if: {question: nps, gte: 9}, to: praise}] # forward only; "end" ends it

Everything wrong is reported at once, each problem with its place (`questions[2] (why).
show_if.question`) and its reason in English and Japanese: unknown question types, logic
that loops (a condition or jump pointing back) or names a missing question, piping from a
later page, missing translations, bad scales, options and ids.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kizuna.surveys.problems import LANGUAGE_NAMES, LANGUAGES, Checker, InvalidSurvey, Problem, Text
from kizuna.surveys.questions import (
    FIXED_SCALES,
    NPS_GROUPS,
    QUESTION_TYPES,
    SCORE_TYPES,
    Option,
    Question,
    read_questions,
)

__all__ = [
    "FIXED_SCALES",
    "HIDDEN_FIELDS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "NPS_GROUPS",
    "QUESTION_TYPES",
    "SCORE_TYPES",
    "Definition",
    "InvalidSurvey",
    "Option",
    "Problem",
    "Question",
    "Trigger",
    "parse_definition",
    "parse_delay",
]

# Hidden fields with a meaning of their own in the voice; others go to its properties.
HIDDEN_FIELDS = ("customer", "touchpoint", "store", "staff", "order", "interaction")
SOURCES = ("survey", "employee")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_DELAY = re.compile(r"^\s*(\d+)\s*([mhd]?)\s*$")
_KNOWN_KEYS = {
    "title",
    "name",
    "languages",
    "source",
    "welcome",
    "thank_you",
    "brand",
    "closes_at",
    "response_cap",
    "hidden",
    "reminders",
    "triggers",
    "email",
    "questions",
    "qr_channel",
}


@dataclass(frozen=True)
class Trigger:
    """Invite the customer of an interaction of `interaction` kind after `delay_minutes`."""

    interaction: str
    delay_minutes: int
    touchpoint: str | None = None
    within_days: int = 7


@dataclass(frozen=True)
class Definition:
    """A checked definition; `data` is its normalised JSON form (what is stored)."""

    title: Text
    languages: tuple[str, ...]
    source: str
    questions: tuple[Question, ...]
    pages: tuple[tuple[str, ...], ...]
    data: dict[str, Any] = field(repr=False)
    welcome: Text | None = None
    thank_you: Text | None = None
    brand_color: str | None = None
    closes_at: dt.datetime | None = None
    response_cap: int | None = None
    hidden: tuple[str, ...] = ()
    reminder_days: int = 3
    max_reminders: int = 1
    triggers: tuple[Trigger, ...] = ()
    email_subject: Text | None = None
    email_intro: Text | None = None
    qr_channel: str = "store"

    @property
    def language(self) -> str:
        return self.languages[0]

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    @property
    def _by_id(self) -> dict[str, Question]:
        cached: dict[str, Question] | None = self.__dict__.get("_index")
        if cached is None:
            cached = {q.id: q for q in self.questions}
            object.__setattr__(self, "_index", cached)
        return cached

    def first_score_question(self) -> Question | None:
        """The first question, when it is a score (the one an invitation e-mail carries)."""
        first = self.questions[0] if self.questions else None
        return first if first is not None and first.is_score and not first.show_if else None


def parse_delay(value: Any) -> int | None:
    """Minutes of a delay written 90, "90m", "2h" or "1d"; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    match = _DELAY.match(str(value))
    if not match:
        return None
    number, unit = int(match.group(1)), match.group(2) or "m"
    return number * {"m": 1, "h": 60, "d": 1440}[unit]


def parse_definition(raw: Any) -> Definition:
    """A checked `Definition` of `raw` (a mapping); `InvalidSurvey` listing every problem."""
    check = Checker()
    if not isinstance(raw, Mapping):
        raise InvalidSurvey(
            [
                Problem(
                    "(top)",
                    "a definition is a mapping with title and questions",
                    "定義は title と questions を持つ形式で書いてください",
                )
            ]
        )
    for key in sorted(set(map(str, raw)) - _KNOWN_KEYS):
        check.add(key, f"unknown setting '{key}'", f"不明な設定「{key}」です")
    languages = _languages(check, raw.get("languages", list(LANGUAGES)))
    check.languages = languages
    title = check.text(raw.get("title") or raw.get("name"), "title")
    source = str(raw.get("source") or "survey")
    if source not in SOURCES:
        check.add(
            "source",
            "source must be survey or employee",
            "source は survey か employee にしてください",
        )
    hidden = _hidden(check, raw.get("hidden") or [])
    questions, pages = read_questions(check, raw.get("questions"), hidden)
    defn_extra = _settings(check, raw)
    if check.problems:
        raise InvalidSurvey(check.problems)
    assert title is not None
    data = _normalised(raw, languages, source, hidden, questions)
    return Definition(
        title=title,
        languages=languages,
        source=source,
        questions=tuple(questions),
        pages=pages,
        data=data,
        hidden=hidden,
        **defn_extra,
    )


def _languages(check: Checker, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not value:
        check.add(
            "languages", "list the languages, e.g. [ja, en]", "言語を並べてください(例: [ja, en])"
        )
        return LANGUAGES
    found = tuple(dict.fromkeys(str(v) for v in value))
    unknown = [v for v in found if v not in LANGUAGES]
    if unknown:
        check.add(
            "languages",
            f"unsupported language(s) {unknown}; use ja and en",
            f"未対応の言語 {unknown} です。ja と en を使ってください",
        )
        return tuple(v for v in found if v in LANGUAGES) or LANGUAGES
    return found


def _hidden(check: Checker, value: Any) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        check.add(
            "hidden",
            "list the hidden fields, e.g. [customer, touchpoint]",
            "隠しフィールドを並べてください(例: [customer, touchpoint])",
        )
        return ()
    names = []
    for index, name in enumerate(value):
        if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]{0,31}$", name):
            check.add(
                f"hidden[{index}]",
                "a hidden field is a lower-case name such as store",
                "隠しフィールド名は store のような英小文字の名前にしてください",
            )
            continue
        names.append(name)
    return tuple(dict.fromkeys(names))


def _settings(check: Checker, raw: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in ("welcome", "thank_you"):
        if raw.get(name) is not None:
            found[name] = check.text(raw.get(name), name)
    brand = raw.get("brand") or {}
    if not isinstance(brand, Mapping):
        check.add(
            "brand",
            "brand is a mapping such as {color: '#8c2f39'}",
            "brand は {color: '#8c2f39'} のように書いてください",
        )
    elif brand.get("color") is not None:
        if not _COLOUR.match(str(brand["color"])):
            check.add("brand.color", "colour must be #RRGGBB", "色は #RRGGBB の形式にしてください")
        else:
            found["brand_color"] = str(brand["color"]).lower()
    if raw.get("closes_at") is not None:
        found["closes_at"] = _moment(check, raw["closes_at"], "closes_at")
    if raw.get("response_cap") is not None:
        found["response_cap"] = check.integer(raw["response_cap"], "response_cap", 1, 10_000_000)
    reminders = raw.get("reminders") or {}
    if isinstance(reminders, Mapping):
        if "after_days" in reminders:
            found["reminder_days"] = (
                check.integer(reminders["after_days"], "reminders.after_days", 1, 60) or 3
            )
        if "max" in reminders:
            found["max_reminders"] = check.integer(reminders["max"], "reminders.max", 0, 3) or 0
    else:
        check.add(
            "reminders",
            "reminders is a mapping such as {after_days: 3, max: 1}",
            "reminders は {after_days: 3, max: 1} のように書いてください",
        )
    found["triggers"] = _triggers(check, raw.get("triggers") or [])
    email = raw.get("email") or {}
    if isinstance(email, Mapping):
        if email.get("subject") is not None:
            found["email_subject"] = check.text(email["subject"], "email.subject")
        if email.get("intro") is not None:
            found["email_intro"] = check.text(email["intro"], "email.intro")
    if raw.get("qr_channel") is not None:
        found["qr_channel"] = str(raw["qr_channel"])
    return found


def _moment(check: Checker, value: Any, place: str) -> dt.datetime | None:
    moment = value if isinstance(value, dt.datetime) else None
    if moment is None:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            check.add(
                place,
                "write a date and time such as 2027-03-31T23:59:00+09:00",
                "2027-03-31T23:59:00+09:00 のような日時で書いてください",
            )
            return None
    if moment.tzinfo is None:
        check.add(
            place, "add the time zone, e.g. +09:00", "タイムゾーンを付けてください(例: +09:00)"
        )
        return None
    return moment.astimezone(dt.UTC)


def _triggers(check: Checker, value: Any) -> tuple[Trigger, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        check.add(
            "triggers",
            "triggers is a list such as [{interaction: check_out, delay: 2h}]",
            "triggers は [{interaction: check_out, delay: 2h}] のように書いてください",
        )
        return ()
    found = []
    for index, item in enumerate(value):
        place = f"triggers[{index}]"
        if not isinstance(item, Mapping) or not item.get("interaction"):
            check.add(
                place,
                "name the interaction kind, e.g. {interaction: check_out, delay: 2h}",
                "接点の種別を書いてください(例: {interaction: check_out, delay: 2h})",
            )
            continue
        delay = parse_delay(item.get("delay", 0))
        if delay is None or delay > 60 * 24 * 60:
            check.add(
                f"{place}.delay",
                "delay is minutes, or a number with m, h or d (at most 60d)",
                "delay は分数か、m・h・d 付きの数にしてください(最大 60d)",
            )
            continue
        within = item.get("within_days", 7)
        within_days = check.integer(within, f"{place}.within_days", 1, 365) or 7
        touchpoint = item.get("touchpoint")
        found.append(
            Trigger(
                str(item["interaction"]),
                delay,
                str(touchpoint) if touchpoint else None,
                within_days,
            )
        )
    return tuple(found)


def _normalised(
    raw: Mapping[str, Any],
    languages: tuple[str, ...],
    source: str,
    hidden: tuple[str, ...],
    questions: list[Question],
) -> dict[str, Any]:
    """The definition as stored: JSON values only, languages and source filled in."""
    data = {str(k): _jsonable(v) for k, v in raw.items()}
    data["languages"] = list(languages)
    data["source"] = source
    data["hidden"] = list(hidden)
    if "name" in data and "title" not in data:
        data["title"] = data.pop("name")
    for text_key in ("title",):
        if isinstance(data.get(text_key), str):
            data[text_key] = {languages[0]: data[text_key]}
    data["questions"] = [_jsonable(dict(q)) for q in raw["questions"]]
    for stored, question in zip(data["questions"], questions, strict=False):
        if isinstance(stored.get("text"), str):
            stored["text"] = question.text
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value

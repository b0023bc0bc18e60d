"""What a respondent sent, checked against the survey: pure functions, no database.

`parse_answers` checks each answer of a submission (a question of this page, a score in
range, a known option, text within its length, "other" text only where "other" is offered);
`progress` decides the page to show next and whether the survey is done (every required
question the respondent was shown is answered, or MissingAnswers says which are not);
`score_link_answers` takes the score of an invitation e-mail's link, unless the clicks look
like a link scanner's. The errors say which question and why, in English and Japanese.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kizuna.errors import InvalidInput, NotFound
from kizuna.surveys.definition import Definition, Question
from kizuna.surveys.logic import next_page, path_questions, visible_questions

__all__ = [
    "InvalidAnswer",
    "MissingAnswers",
    "Submission",
    "SurveyUnavailable",
    "blank",
    "hidden_of",
    "new_response_key",
    "parse_answer",
    "parse_answers",
    "progress",
    "score_link_answers",
    "valid_response_key",
]

RESPONSE_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
HIDDEN_MAX = 100
OTHER_MAX = 500
# Two different scores through the e-mail's links this quickly is a link scanner, not a person.
SCANNER_SECONDS = 60
_TRUE = {"yes", "true", "1", "on", "はい"}
_FALSE = {"no", "false", "0", "off", "いいえ"}


class SurveyUnavailable(NotFound):
    """No such survey, or not open for answers (draft)."""

    code = "survey_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "This survey does not exist or is not open yet. Check the address you were given.",
            "このアンケートは存在しないか、まだ公開されていません。お知らせされたアドレスをご確認ください。",
        )


class InvalidAnswer(InvalidInput):
    """An answer that cannot be taken: an unknown question, a score out of range, ..."""

    code = "invalid_answer"

    def __init__(self, question: str, en: str, ja: str) -> None:
        super().__init__(
            f"The answer to '{question}' cannot be taken: {en}. Fix it and send it again.",
            f"「{question}」への回答を受け付けられません: {ja}。直してからもう一度送ってください。",
            question=question,
        )
        self.question = question
        self.reason_en, self.reason_ja = en, ja


class MissingAnswers(InvalidInput):
    """Required questions shown to the respondent were left blank."""

    code = "missing_answers"

    def __init__(self, questions: list[str]) -> None:
        super().__init__(
            f"Please answer the required question(s): {', '.join(questions)}.",
            f"必須の質問にお答えください: {', '.join(questions)}。",
            questions=questions,
        )
        self.questions = questions


@dataclass(frozen=True)
class Submission:
    """What a respondent sent (see the module docstring)."""

    survey_key: str | None = None
    token: str | None = None
    response_key: str | None = None
    page: int | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    hidden: Mapping[str, Any] = field(default_factory=dict)
    channel: str = "link"
    language: str | None = None
    complete: bool = False
    save_only: bool = False
    score_link: bool = False


def new_response_key() -> str:
    return secrets.token_urlsafe(16)


def valid_response_key(key: str) -> bool:
    return 8 <= len(key) <= 64 and set(key) <= RESPONSE_KEY_CHARS


def parse_answer(question: Question, raw: Any) -> Any:
    """The stored value of one raw answer (form text, a list, or a JSON value); None when
    blank. InvalidAnswer says what is wrong."""
    if isinstance(raw, list) and question.type != "multiple":
        raw = raw[-1] if raw else None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if question.is_score:
        try:
            value = int(str(raw).strip()) if not isinstance(raw, int | float) else raw
        except ValueError:
            raise InvalidAnswer(
                question.id, "a score is a whole number", "点数は整数です"
            ) from None
        if isinstance(value, bool) or value != int(value):
            raise InvalidAnswer(question.id, "a score is a whole number", "点数は整数です")
        if not question.min <= value <= question.max:
            raise InvalidAnswer(
                question.id,
                f"the score {value} is out of range ({question.min}-{question.max})",
                f"点数 {value} は範囲外です({question.min}〜{question.max})",
            )
        return int(value)
    if question.type == "single":
        choice = str(raw).strip()
        if question.option(choice) is None and not (question.other and choice == "other"):
            raise InvalidAnswer(
                question.id,
                f"'{choice}' is not one of its options",
                f"「{choice}」は選択肢にありません",
            )
        return choice
    if question.type == "multiple":
        items = raw if isinstance(raw, list) else [raw]
        chosen = []
        for item in items:
            choice = str(item).strip()
            if not choice:
                continue
            if question.option(choice) is None and not (question.other and choice == "other"):
                raise InvalidAnswer(
                    question.id,
                    f"'{choice}' is not one of its options",
                    f"「{choice}」は選択肢にありません",
                )
            chosen.append(choice)
        return list(dict.fromkeys(chosen)) or None
    if question.type == "consent":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise InvalidAnswer(question.id, "answer yes or no", "はい か いいえ で答えてください")
    text = str(raw).strip()
    if len(text) > question.max_length:
        raise InvalidAnswer(
            question.id,
            f"the text is {len(text):,} characters; at most {question.max_length:,} are taken",
            f"{len(text):,} 文字あります。{question.max_length:,} 文字以内にしてください",
        )
    return text


def blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def hidden_of(definition: Definition, given: Mapping[str, Any]) -> dict[str, Any]:
    """The declared hidden fields of a public link (others ignored), each cut to length."""
    kept: dict[str, Any] = {}
    for name in definition.hidden:
        value = given.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is not None and str(value).strip():
            kept[name] = str(value).strip()[:HIDDEN_MAX]
    return kept


def parse_answers(definition: Definition, sub: Submission) -> dict[str, Any]:
    """The submitted answers, each checked; a form page may only answer that page."""
    allowed: set[str] | None = None
    if sub.page is not None:
        if not 0 <= sub.page < len(definition.pages):
            raise InvalidInput(
                f"There is no page {sub.page + 1} in this survey.",
                f"このアンケートに {sub.page + 1} ページ目はありません。",
            )
        allowed = set(definition.pages[sub.page])
    received: dict[str, Any] = {}
    for name, raw in sub.answers.items():
        base, _, suffix = str(name).partition(".")
        question = definition.question(base)
        if question is None or (allowed is not None and base not in allowed):
            raise InvalidAnswer(
                base, "there is no such question here", "この質問はここにはありません"
            )
        if suffix:
            if suffix != "other" or not question.other:
                raise InvalidAnswer(
                    name, "there is no such question here", "この質問はここにはありません"
                )
            text = str(raw[-1] if isinstance(raw, list) else raw or "").strip()
            if len(text) > OTHER_MAX:
                raise InvalidAnswer(
                    name, f"at most {OTHER_MAX} characters", f"{OTHER_MAX} 文字以内にしてください"
                )
            received[name] = text or None
            continue
        received[base] = parse_answer(question, raw)
    if sub.page is not None and not sub.score_link:
        # A page sent without a question of it (a checkbox left clear) clears its answer.
        for question_id in definition.pages[sub.page]:
            received.setdefault(question_id, None)
    return received


def score_link_answers(
    definition: Definition,
    received: Mapping[str, Any],
    answers: Mapping[str, Any],
    meta: dict[str, Any],
    now: dt.datetime,
) -> dict[str, Any]:
    """A score from the e-mail's links, unless it looks like a link scanner: a different
    score through another link within seconds clears it for the person to choose."""
    first = definition.first_score_question()
    if first is None or first.id not in received:
        return {}
    before = meta.get("score_link_at")
    meta["score_link_at"] = now.isoformat()
    changed = isinstance(before, str) and answers.get(first.id) not in (None, received[first.id])
    if changed and (now - dt.datetime.fromisoformat(str(before))).total_seconds() < SCANNER_SECONDS:
        meta["score_link_doubt"] = True
    if meta.get("score_link_doubt"):
        return {first.id: None}
    return {first.id: received[first.id]}


def progress(
    definition: Definition,
    sub: Submission,
    answers: Mapping[str, Any],
    hidden: Mapping[str, Any],
    current_page: int | None,
) -> tuple[int | None, bool]:
    """(page to show next, completed now?) after this submission; MissingAnswers when a
    required question the respondent was shown is blank."""
    if sub.complete:
        missing = [
            q.id
            for _, shown in path_questions(definition, answers, hidden)
            for q in shown
            if q.required and blank(answers.get(q.id))
        ]
        if missing:
            raise MissingAnswers(missing)
        return None, True
    if sub.score_link or sub.page is None:
        return current_page if current_page is not None else 0, False
    if sub.save_only:
        return sub.page, False
    shown = visible_questions(definition, sub.page, answers, hidden)
    missing = [q.id for q in shown if q.required and blank(answers.get(q.id))]
    if missing:
        raise MissingAnswers(missing)
    after = next_page(definition, answers, hidden, sub.page)
    return after, after is None

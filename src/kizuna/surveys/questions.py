"""Questions of a survey definition: their types, scales, options, display logic, jumps and
piping, read and checked (`read_questions`).

Logic may only look back: a condition names a question of an earlier page (or, for a jump,
its own page), a jump goes forward to a later page or "end", piping names an earlier answer
or a declared hidden field. So every path through a survey ends, and a definition that
would loop is refused with the place and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kizuna.surveys.problems import MAX_TEXT, Checker, Text

__all__ = [
    "FIXED_SCALES",
    "NPS_GROUPS",
    "QUESTION_TYPES",
    "SCORE_TYPES",
    "Option",
    "Question",
    "read_questions",
]

QUESTION_TYPES = (
    "nps",
    "csat",
    "ces",
    "rating",
    "number",
    "single",
    "multiple",
    "text",
    "consent",
)
# Fixed scales (ARCHITECTURE.md, metric definitions); rating and number have their own.
FIXED_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
SCORE_TYPES = ("nps", "csat", "ces", "rating", "number")
NPS_GROUPS = ("detractor", "passive", "promoter")
# Hidden fields with a meaning of their own in the voice; others go to its properties.
MAX_QUESTIONS = 100
MAX_OPTIONS = 50
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_PIPE = re.compile(r"\{\{\s*([a-z][a-z0-9_.]*)\s*\}\}")
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


@dataclass(frozen=True)
class Option:
    id: str
    text: Text


@dataclass(frozen=True)
class Question:
    """One question; `page` is its page's index, `min`/`max` its scale (scores only)."""

    id: str
    type: str
    text: Text
    page: int
    required: bool
    help: Text | None = None
    options: tuple[Option, ...] = ()
    other: bool = False
    min: int = 0
    max: int = 0
    style: str = "numbers"
    low_label: Text | None = None
    high_label: Text | None = None
    max_length: int = MAX_TEXT
    show_if: dict[str, Any] | None = None
    jump: tuple[dict[str, Any], ...] = ()

    @property
    def is_score(self) -> bool:
        return self.type in SCORE_TYPES

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


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


def _check_reference(
    check: Checker,
    target: str,
    place: str,
    question: Question,
    known: Mapping[str, Question],
    page_of: Mapping[str, int],
    what: str,
    same_page: bool = False,
) -> Question | None:
    """The question a condition or a pipe names: it must exist and come on an earlier page
    (a jump, decided once its own page is answered, may also test that page)."""
    found = known.get(target)
    if found is None:
        check.add(
            place,
            f"{what} names the missing question '{target}'",
            f"{what} が存在しない質問「{target}」を指しています",
        )
        return None
    later = (
        page_of[target] > page_of[question.id]
        if same_page
        else (target == question.id or page_of[target] >= page_of[question.id])
    )
    if later:
        check.add(
            place,
            f"{what} depends on '{target}', which is not answered before this question's page "
            "(a loop); refer to a question on an earlier page",
            f"{what} が、このページより前に回答されない質問「{target}」に依存しています(ループ)。"
            "前のページの質問を指定してください",
        )
        return None
    return found


def _check_condition(
    check: Checker,
    cond: Any,
    place: str,
    question: Question,
    known: Mapping[str, Question],
    page_of: Mapping[str, int],
    hidden: tuple[str, ...],
    what: str,
    same_page: bool = False,
) -> None:
    if not isinstance(cond, Mapping):
        check.add(
            place,
            "a condition is a mapping such as {question: nps, group: detractor}",
            "条件は {question: nps, group: detractor} のように書いてください",
        )
        return
    for combinator in ("all", "any"):
        if combinator in cond:
            parts = cond[combinator]
            if not isinstance(parts, Sequence) or isinstance(parts, str) or not parts:
                check.add(
                    f"{place}.{combinator}",
                    f"{combinator} takes a list of conditions",
                    f"{combinator} には条件のリストを書いてください",
                )
                return
            for i, part in enumerate(parts):
                _check_condition(
                    check,
                    part,
                    f"{place}.{combinator}[{i}]",
                    question,
                    known,
                    page_of,
                    hidden,
                    what,
                    same_page,
                )
            return
    if "not" in cond:
        _check_condition(
            check, cond["not"], f"{place}.not", question, known, page_of, hidden, what, same_page
        )
        return
    tests = [t for t in ("group", "equals", "in", "gte", "lte", "answered") if t in cond]
    if "hidden" in cond:
        if cond["hidden"] not in hidden:
            check.add(
                f"{place}.hidden",
                f"'{cond['hidden']}' is not a hidden field of this survey (list it under hidden)",
                f"「{cond['hidden']}」はこのアンケートの隠しフィールドではありません(hidden に加えてください)",
            )
        if not tests:
            check.add(
                place,
                "say what the field must be: equals or in",
                "equals か in で値を指定してください",
            )
        return
    if "question" not in cond:
        check.add(
            place,
            "a condition names a question (or a hidden field), or combines others with all, any or not",
            "条件には question(または hidden)を書くか、all・any・not で組み合わせてください",
        )
        return
    target = _check_reference(
        check, str(cond["question"]), f"{place}.question", question, known, page_of, what, same_page
    )
    if target is None:
        return
    if len(tests) != 1:
        check.add(
            place,
            "give one test: group, equals, in, gte, lte or answered",
            "group・equals・in・gte・lte・answered のいずれか 1 つを書いてください",
        )
        return
    test = tests[0]
    if test == "group":
        if target.type != "nps":
            check.add(
                f"{place}.group",
                "group (detractor, passive, promoter) needs an NPS question",
                "group(批判者・中立者・推奨者)は NPS の質問にだけ使えます",
            )
        elif cond["group"] not in NPS_GROUPS and not (
            isinstance(cond["group"], list) and set(cond["group"]) <= set(NPS_GROUPS)
        ):
            check.add(
                f"{place}.group",
                "group is detractor, passive or promoter",
                "group は detractor・passive・promoter のいずれかにしてください",
            )
    elif test in ("gte", "lte") and not target.is_score:
        check.add(
            f"{place}.{test}",
            f"{test} compares scores; '{target.id}' is not a score",
            f"{test} は点数の比較です。「{target.id}」は点数の質問ではありません",
        )
    elif test in ("equals", "in") and target.type == "consent":
        wanted = cond[test] if isinstance(cond[test], list) else [cond[test]]
        if any(not isinstance(value, bool) for value in wanted):
            check.add(
                f"{place}.{test}",
                "a consent answer is true or false",
                "同意の回答は true か false です",
            )
    elif test in ("equals", "in") and target.options:
        wanted = cond[test] if isinstance(cond[test], list) else [cond[test]]
        allowed = {o.id for o in target.options} | ({"other"} if target.other else set())
        for value in wanted:
            if str(value) not in allowed:
                check.add(
                    f"{place}.{test}",
                    f"'{value}' is not an option of '{target.id}'",
                    f"「{value}」は「{target.id}」の選択肢ではありません",
                )


def _check_jump(
    check: Checker,
    rule: Mapping[str, Any],
    place: str,
    question: Question,
    known: Mapping[str, Question],
    page_of: Mapping[str, int],
    hidden: tuple[str, ...],
) -> None:
    if "invalid" in rule or "to" not in rule:
        check.add(
            place,
            "a jump is {if: condition, to: question_id or end}",
            "jump は {if: 条件, to: 質問id または end} で書いてください",
        )
        return
    target = str(rule["to"])
    if target != "end":
        if target not in known:
            check.add(
                f"{place}.to",
                f"jumps to the missing question '{target}'",
                f"存在しない質問「{target}」へジャンプしています",
            )
        elif page_of[target] <= page_of[question.id]:
            check.add(
                f"{place}.to",
                f"jumps back to '{target}' (a loop); jumps go forward to a later page",
                f"「{target}」へ戻るジャンプです(ループ)。ジャンプ先は後のページにしてください",
            )
    if "if" in rule:
        _check_condition(
            check, rule["if"], f"{place}.if", question, known, page_of, hidden, "jump", True
        )


def _check_pipes(
    check: Checker,
    text: str,
    place: str,
    question: Question,
    known: Mapping[str, Question],
    page_of: Mapping[str, int],
    hidden: tuple[str, ...],
) -> None:
    for name in _PIPE.findall(text):
        if name.startswith("hidden."):
            if name[7:] not in hidden:
                check.add(
                    place,
                    f"pipes the unknown hidden field '{name[7:]}'",
                    f"不明な隠しフィールド「{name[7:]}」を差し込んでいます",
                )
            continue
        _check_reference(check, name, place, question, known, page_of, "piping")

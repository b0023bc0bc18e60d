"""Checks of a question's display logic, jumps and piping, for `read_questions`
(`kizuna.surveys.questions`).

Logic may only look back: a condition names a question of an earlier page (or, for a jump,
its own page), a jump goes forward to a later page or "end", piping names an earlier answer
or a declared hidden field. So every path through a survey ends, and a definition that
would loop is refused with the place and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kizuna.surveys.problems import Checker
from kizuna.surveys.question_types import NPS_GROUPS, Question

__all__ = ["check_condition", "check_jump", "check_pipes"]


_PIPE = re.compile(r"\{\{\s*([a-z][a-z0-9_.]*)\s*\}\}")


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


def check_condition(
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
                check_condition(
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
        check_condition(
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


def check_jump(
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
        check_condition(
            check, rule["if"], f"{place}.if", question, known, page_of, hidden, "jump", True
        )


def check_pipes(
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

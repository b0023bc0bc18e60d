"""Next best action: rules as data, evaluated on one customer's facts. Pure.

A rule (YAML, see data/actions.yaml) has a code, a priority (1 = most urgent), an optional
deadline in hours, a condition tree and titles/reasons in Japanese and English:

    when: {all: [{field: nps_last, op: lte, value: 6}, {any: [...]}]}

Operators: eq, ne, in, not_in, gte, gt, lte, lt, is_null, not_null, in the one condition
language of rules, segments and next best actions (`kizuna.analytics.conditions`, which
checks values and evaluates). A missing fact (None) satisfies only `is_null` and
`ne`/`not_in`. Reasons name facts in braces with an optional format spec
(`{churn_probability:.0%}`); only plain names are substituted, nothing is evaluated, so a
rules file cannot run code. Facts are plain values the caller computes
(the customers room builds them from the profile, scores and dates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from kizuna.analytics.conditions import matches as holds
from kizuna.analytics.conditions import validate_conditions
from kizuna.analytics.yaml_file import read_yaml_file
from kizuna.errors import InvalidInput

__all__ = [
    "DEFAULT_RULES",
    "OPERATORS",
    "ActionRule",
    "Suggestion",
    "evaluate_rules",
    "fill_text",
    "load_action_rules",
    "matches",
    "parse_action_rules",
    "suggestion",
]

DEFAULT_RULES = Path(__file__).parent / "data" / "actions.yaml"
OPERATORS = ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt", "is_null", "not_null")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}")
_TEXTS = ("title_ja", "title_en", "reason_ja", "reason_en")


@dataclass(frozen=True)
class ActionRule:
    code: str
    priority: int
    due_within_hours: int | None
    when: Mapping[str, Any]
    title_ja: str
    title_en: str
    reason_ja: str
    reason_en: str


@dataclass(frozen=True)
class Suggestion:
    """A rule that fired, with its reasons filled in from the facts."""

    code: str
    priority: int
    due_within_hours: int | None
    title_ja: str
    title_en: str
    reason_ja: str
    reason_en: str


def load_action_rules(path: str | Path | None = None) -> list[ActionRule]:
    """Rules from a YAML file (default: the built-in data/actions.yaml)."""
    source = Path(path) if path is not None else DEFAULT_RULES
    data = read_yaml_file(source, "action rules", "アクションルール")
    return parse_action_rules(data, str(source))


def parse_action_rules(data: Any, origin: str = "rules") -> list[ActionRule]:
    """Validate a `{rules: [...]}` mapping; raises InvalidInput naming the faulty rule."""
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        _refuse(
            origin,
            "expected a mapping with a 'rules' list (see data/actions.yaml)",
            "「rules」のリストを持つマッピングにしてください(data/actions.yaml を参照)",
        )
    rules: list[ActionRule] = []
    for i, raw in enumerate(data["rules"]):
        where = f"{origin}: rule {i + 1}"
        where_ja = f"{origin}: {i + 1}番目のルール"
        if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
            _refuse(where, "needs a 'code'", "「code」が必要です", where_ja)
        where, where_ja = f"{where} ({raw['code']})", f"{where_ja}({raw['code']})"
        missing = [k for k in _TEXTS if not isinstance(raw.get(k), str)]
        if missing:
            _refuse(where, f"missing text {missing}", f"文言 {missing} がありません", where_ja)
        priority, due = raw.get("priority", 5), raw.get("due_within_hours")
        if not _is_int(priority) or (due is not None and not _is_int(due)):
            _refuse(
                where,
                "priority and due_within_hours are integers",
                "priority と due_within_hours は整数で指定してください",
                where_ja,
            )
        _check_condition(raw.get("when"), where, where_ja)
        rules.append(
            ActionRule(
                code=raw["code"],
                priority=priority,
                due_within_hours=due,
                when=raw["when"],
                **{k: raw[k] for k in _TEXTS},
            )
        )
    return rules


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _refuse(where: str, problem: str, problem_ja: str, where_ja: str | None = None) -> NoReturn:
    """Raise the error of a faulty rules file, naming the rule and what to fix."""
    raise InvalidInput(
        f"{where}: {problem}. Fix the rules file and try again.",
        f"{where_ja or where}: {problem_ja}。ルールファイルを直してからもう一度実行してください。",
        where=where,
    )


def _check_condition(node: Any, where: str, where_ja: str) -> None:
    if not isinstance(node, dict):
        _refuse(where, "a condition is a mapping", "条件はマッピングで書いてください", where_ja)
    for group in ("all", "any"):
        if group in node:
            if not isinstance(node[group], list) or not node[group]:
                _refuse(
                    where,
                    f"'{group}' needs a non-empty list",
                    f"「{group}」には空でないリストが必要です",
                    where_ja,
                )
            for child in node[group]:
                _check_condition(child, where, where_ja)
            return
    if not isinstance(node.get("field"), str) or node.get("op") not in OPERATORS:
        _refuse(
            where,
            f"needs 'field' and 'op' (one of {', '.join(OPERATORS)})",
            f"「field」と「op」({'、'.join(OPERATORS)} のいずれか)が必要です",
            where_ja,
        )
    if node["op"] in ("in", "not_in") and not isinstance(node.get("value"), list):
        _refuse(
            where,
            f"'{node['op']}' needs a list value",
            f"「{node['op']}」の value はリストにしてください",
            where_ja,
        )
    # The value itself is checked by the one condition language (rules, segments and next
    # best actions share it); facts are the caller's, so any field name is accepted.
    try:
        validate_conditions([node], {}, allow_groups=False, allow_unknown_fields=True)
    except InvalidInput as exc:
        _refuse(where, exc.message_en.rstrip("."), exc.message_ja.rstrip("。"), where_ja)


def matches(node: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether the condition tree holds for these facts (`kizuna.analytics.conditions`:
    a missing fact satisfies only `is_null`, `ne` and `not_in`)."""
    return holds(node, facts)


def fill_text(template: str, facts: Mapping[str, Any]) -> str:
    """Substitute {name} and {name:spec}; unknown or missing names show as '-'."""

    def one(match: re.Match[str]) -> str:
        value = facts.get(match.group(1))
        if value is None:
            return "-"
        try:
            return format(value, match.group(2) or "")
        except (TypeError, ValueError):
            return str(value)

    return _FIELD.sub(one, template)


def suggestion(rule: ActionRule, facts: Mapping[str, Any]) -> Suggestion:
    """The rule as fired for these facts, its titles and reasons filled in."""
    return Suggestion(
        code=rule.code,
        priority=rule.priority,
        due_within_hours=rule.due_within_hours,
        title_ja=fill_text(rule.title_ja, facts),
        title_en=fill_text(rule.title_en, facts),
        reason_ja=fill_text(rule.reason_ja, facts),
        reason_en=fill_text(rule.reason_en, facts),
    )


def evaluate_rules(rules: Iterable[ActionRule], facts: Mapping[str, Any]) -> list[Suggestion]:
    """The rules that hold for one customer, most urgent first (priority, then deadline)."""
    fired = [suggestion(r, facts) for r in rules if matches(r.when, facts)]
    return sorted(fired, key=_urgency)


def _urgency(s: Suggestion) -> tuple[int, int, str]:
    return (s.priority, s.due_within_hours if s.due_within_hours is not None else 10**6, s.code)

"""Next best action: rules as data, evaluated on one customer's facts. Pure.

A rule (YAML, see data/actions.yaml) has a code, a priority (1 = most urgent), an optional
deadline in hours, a condition tree and titles/reasons in Japanese and English:

    when: {all: [{field: nps_last, op: lte, value: 6}, {any: [...]}]}

Operators: eq, ne, in, not_in, gte, gt, lte, lt, is_null, not_null. A missing fact (None)
satisfies only `is_null` and `ne`/`not_in`. Reasons name facts in braces with an optional
format spec (`{churn_probability:.0%}`); only plain names are substituted, nothing is
evaluated, so a rules file cannot run code. Facts are plain values the caller computes
(the customers room builds them from the profile, scores and dates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    return parse_action_rules(data, str(source))


def parse_action_rules(data: Any, origin: str = "rules") -> list[ActionRule]:
    """Validate a `{rules: [...]}` mapping; raises ValueError naming the faulty rule."""
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ValueError(f"{origin}: expected a mapping with a 'rules' list")
    rules: list[ActionRule] = []
    for i, raw in enumerate(data["rules"]):
        where = f"{origin}: rule {i + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
            raise ValueError(f"{where}: needs a 'code'")
        missing = [k for k in _TEXTS if not isinstance(raw.get(k), str)]
        if missing:
            raise ValueError(f"{where} ({raw['code']}): missing text {missing}")
        priority, due = raw.get("priority", 5), raw.get("due_within_hours")
        if not isinstance(priority, int) or (due is not None and not isinstance(due, int)):
            raise ValueError(f"{where} ({raw['code']}): priority and due_within_hours are integers")
        _check_condition(raw.get("when"), f"{where} ({raw['code']})")
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


def _check_condition(node: Any, where: str) -> None:
    if not isinstance(node, dict):
        raise ValueError(f"{where}: a condition is a mapping")
    for group in ("all", "any"):
        if group in node:
            if not isinstance(node[group], list) or not node[group]:
                raise ValueError(f"{where}: '{group}' needs a non-empty list")
            for child in node[group]:
                _check_condition(child, where)
            return
    if not isinstance(node.get("field"), str) or node.get("op") not in OPERATORS:
        raise ValueError(f"{where}: needs 'field' and 'op' (one of {', '.join(OPERATORS)})")
    if node["op"] in ("in", "not_in") and not isinstance(node.get("value"), list):
        raise ValueError(f"{where}: '{node['op']}' needs a list value")


def matches(node: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether the condition tree holds for these facts."""
    if "all" in node:
        return all(matches(child, facts) for child in node["all"])
    if "any" in node:
        return any(matches(child, facts) for child in node["any"])
    op, want = node["op"], node.get("value")
    have = facts.get(node["field"])
    if op == "is_null":
        return have is None
    if op == "not_null":
        return have is not None
    if op == "ne":
        return bool(have != want)
    if op == "not_in":
        return have not in (want or [])
    if have is None:
        return False
    if op == "eq":
        return bool(have == want)
    if op == "in":
        return have in (want or [])
    try:
        if op == "gte":
            return bool(have >= want)
        if op == "gt":
            return bool(have > want)
        if op == "lte":
            return bool(have <= want)
        return bool(have < want)
    except TypeError:  # a text fact compared with a number: the rule does not apply
        return False


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


def evaluate_rules(rules: Iterable[ActionRule], facts: Mapping[str, Any]) -> list[Suggestion]:
    """The rules that hold for one customer, most urgent first (priority, then deadline)."""
    fired = [
        Suggestion(
            code=r.code,
            priority=r.priority,
            due_within_hours=r.due_within_hours,
            title_ja=fill_text(r.title_ja, facts),
            title_en=fill_text(r.title_en, facts),
            reason_ja=fill_text(r.reason_ja, facts),
            reason_en=fill_text(r.reason_en, facts),
        )
        for r in rules
        if matches(r.when, facts)
    ]
    return sorted(fired, key=_urgency)


def _urgency(s: Suggestion) -> tuple[int, int, str]:
    return (s.priority, s.due_within_hours if s.due_within_hours is not None else 10**6, s.code)

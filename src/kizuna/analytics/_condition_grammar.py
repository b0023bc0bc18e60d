"""The condition language's grammar and its reference meaning (behind `conditions`).

Operators per kind of field, `FieldSpec`, walking a condition tree (`leaves`,
`referenced_fields`) and `matches`, what a condition means for one mapping of facts: the
frame (`_condition_frames`) and SQL (`_condition_sql`) forms agree with it. Pure Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GROUPS",
    "KIND_OPS",
    "LIST_OPS",
    "OPERATORS",
    "FieldSpec",
    "Fields",
    "field_spec",
    "is_missing",
    "leaves",
    "matches",
    "referenced_fields",
]

OPERATORS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "gte",
    "gt",
    "lte",
    "lt",
    "is_null",
    "not_null",
    "contains",
    "contains_any",
    "not_contains",
    "has_words",
    "not_has_words",
)
KIND_OPS: dict[str, tuple[str, ...]] = {
    "number": ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt", "is_null", "not_null"),
    "text": ("eq", "ne", "in", "not_in", "is_null", "not_null"),
    "code": ("eq", "ne", "in", "not_in", "is_null", "not_null"),
    "bool": ("eq", "ne"),
    "list": ("contains", "contains_any", "not_contains"),
    "words": ("has_words", "not_has_words", "is_null", "not_null"),
    # an untyped fact (next best action facts): every comparison, checked when evaluated
    "any": ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt", "is_null", "not_null"),
}
LIST_OPS = ("in", "not_in", "contains_any", "has_words", "not_has_words")
GROUPS = ("all", "any", "not")


@dataclass(frozen=True)
class FieldSpec:
    """A field conditions may name: its kind, and what it can hold (for `impossible`).

    `low`/`high` bound a number (an NPS is 0-10); `values` lists a code's or a list's known
    values (None: any); `ops` narrows the kind's operators (segments offer fewer).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] | None = None
    ops: tuple[str, ...] | None = None

    @property
    def operators(self) -> tuple[str, ...]:
        return self.ops if self.ops is not None else KIND_OPS[self.kind]


Fields = Mapping[str, FieldSpec | str]


def field_spec(fields: Fields, name: str) -> FieldSpec:
    found = fields[name]
    return found if isinstance(found, FieldSpec) else FieldSpec(found)


# --- walking ----------------------------------------------------------------------------------


def leaves(node: Any) -> Iterator[dict[str, Any]]:
    """Every leaf condition, depth first (the order conditions are numbered in)."""
    if isinstance(node, list):
        for child in node:
            yield from leaves(child)
    elif isinstance(node, dict):
        if "all" in node or "any" in node:
            yield from leaves(node.get("all") or node.get("any") or [])
        elif "not" in node:
            yield from leaves(node["not"])
        else:
            yield node


def referenced_fields(node: Any) -> list[str]:
    """The fields a condition names, in first-use order."""
    return list(dict.fromkeys(str(leaf["field"]) for leaf in leaves(node)))


# --- one row of facts -----------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def matches(node: Any, facts: Mapping[str, Any]) -> bool:
    """Whether the condition holds for one mapping of facts (a missing fact is None)."""
    if isinstance(node, list):
        return all(matches(child, facts) for child in node)
    if "all" in node:
        return all(matches(child, facts) for child in node["all"])
    if "any" in node:
        return any(matches(child, facts) for child in node["any"])
    if "not" in node:
        return not matches(node["not"], facts)
    op, want = node["op"], node.get("value")
    have = facts.get(node["field"])
    missing = is_missing(have)
    if op == "is_null":
        return missing
    if op == "not_null":
        return not missing
    if op in ("ne", "not_in", "not_contains", "not_has_words") and missing:
        return True
    if missing:
        return False
    if op == "eq":
        return bool(have == want)
    if op == "ne":
        return bool(have != want)
    if op == "in":
        return have in (want or [])
    if op == "not_in":
        return have not in (want or [])
    if op in ("contains", "not_contains"):
        found = want in have if isinstance(have, list | tuple | set | frozenset) else False
        return found if op == "contains" else not found
    if op == "contains_any":
        return isinstance(have, list | tuple | set | frozenset) and any(w in have for w in want)
    if op in ("has_words", "not_has_words"):
        text = str(have).casefold()
        found = any(str(w).casefold() in text for w in want)
        return found if op == "has_words" else not found
    try:
        if op == "gte":
            return bool(have >= want)
        if op == "gt":
            return bool(have > want)
        if op == "lte":
            return bool(have <= want)
        return bool(have < want)
    except TypeError:  # a text fact compared with a number: the condition does not hold
        return False

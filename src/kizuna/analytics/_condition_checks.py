"""Checking conditions before they are used (behind `conditions`).

`validate_conditions` checks a condition against the fields and answers InvalidInput in
English and Japanese naming the condition ("Condition 2" / "条件 2"), within the sizes a
database takes as bound parameters; `impossible` finds conditions that can never hold (a
score above its scale, `nps gte 9` together with `nps lte 6`, a code that does not exist).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kizuna.analytics._condition_grammar import (
    GROUPS,
    LIST_OPS,
    Fields,
    FieldSpec,
    field_spec,
    leaves,
)
from kizuna.errors import InvalidInput

__all__ = [
    "MAX_CONDITIONS",
    "MAX_LIST_VALUES",
    "MAX_TOTAL_VALUES",
    "Impossible",
    "impossible",
    "validate_conditions",
]

_NO_VALUE = ("is_null", "not_null")

# --- validation -----------------------------------------------------------------------------

# Every value becomes a bound parameter: PostgreSQL takes at most 65,535 in one statement.
MAX_CONDITIONS = 200
MAX_LIST_VALUES = 1_000
MAX_TOTAL_VALUES = 10_000


def _refuse(en: str, ja: str, **details: Any) -> InvalidInput:
    return InvalidInput(en, ja, **details)


def validate_conditions(
    conditions: Any,
    fields: Fields,
    *,
    ops: Mapping[str, Sequence[str]] | None = None,
    allow_groups: bool = True,
    allow_unknown_fields: bool = False,
) -> Any:
    """The conditions, checked and normalised; InvalidInput names the first faulty one.

    `ops` maps a kind to its operators where the caller offers fewer than `KIND_OPS`;
    `allow_groups=False` accepts a flat list only (segments); `allow_unknown_fields`
    accepts any field name as kind "any" (next best action facts are the caller's).
    """
    counter = [0]
    checked: Any
    if isinstance(conditions, list):
        checked = [
            _check(c, fields, ops, allow_groups, allow_unknown_fields, counter) for c in conditions
        ]
    elif isinstance(conditions, dict) and allow_groups:
        checked = _check(conditions, fields, ops, allow_groups, allow_unknown_fields, counter)
    else:
        raise _refuse(
            "Conditions must be a list of {field, op, value}.",
            "条件は {field, op, value} のリストで指定してください。",
        )
    _check_size(checked)
    return checked


def _check_size(checked: Any) -> None:
    """Bound what one set of conditions may hold: every value becomes a query parameter, and
    a database takes a limited number (PostgreSQL: 65,535 per statement)."""
    conditions = list(leaves(checked))
    if len(conditions) > MAX_CONDITIONS:
        raise _refuse(
            f"{len(conditions)} conditions are too many; use at most {MAX_CONDITIONS}.",
            f"条件が {len(conditions)} 個あり多すぎます。{MAX_CONDITIONS} 個以内にしてください。",
        )
    total = 0
    for i, cond in enumerate(conditions, 1):
        value = cond.get("value")
        count = len(value) if isinstance(value, list) else 1
        if count > MAX_LIST_VALUES:
            raise _refuse(
                f"Condition {i}: {count:,} values are too many for one list; use at most "
                f"{MAX_LIST_VALUES:,}. For a longer list, tag those customers (an import with a "
                "tag or attribute column) and use that in a single condition.",
                f"条件 {i}: 値が {count:,} 個あり多すぎます。1 つのリストは {MAX_LIST_VALUES:,} 個"
                "以内にしてください。それより多い場合は、対象の顧客にタグや属性を付けて"
                "(タグ・属性の列を含むインポート)、その項目 1 つで条件を指定してください。",
                condition=i,
                field=cond.get("field"),
            )
        total += count
    if total > MAX_TOTAL_VALUES:
        raise _refuse(
            f"These conditions hold {total:,} values in all; use at most {MAX_TOTAL_VALUES:,}.",
            f"条件の値が合計 {total:,} 個あり多すぎます。合計 {MAX_TOTAL_VALUES:,} 個以内にしてください。",
        )


def _check(
    node: Any,
    fields: Fields,
    ops: Mapping[str, Sequence[str]] | None,
    groups: bool,
    unknown_ok: bool,
    counter: list[int],
) -> Any:
    if groups and isinstance(node, dict) and any(g in node for g in GROUPS):
        group = next(g for g in GROUPS if g in node)
        body = node[group]
        if group == "not":
            return {"not": _check(body, fields, ops, groups, unknown_ok, counter)}
        if not isinstance(body, list) or not body:
            number = counter[0] + 1
            raise _refuse(
                f"Condition {number}: '{group}' needs a non-empty list of conditions.",
                f"条件 {number}: 「{group}」には空でない条件のリストが必要です。",
                condition=number,
            )
        return {group: [_check(c, fields, ops, groups, unknown_ok, counter) for c in body]}
    counter[0] += 1
    return _check_leaf(node, counter[0], fields, ops, unknown_ok)


def _check_leaf(
    cond: Any,
    i: int,
    fields: Fields,
    ops: Mapping[str, Sequence[str]] | None,
    unknown_ok: bool,
) -> dict[str, Any]:
    field = cond.get("field") if isinstance(cond, dict) else None
    if field not in fields and not (unknown_ok and isinstance(field, str) and field):
        known = ", ".join(fields)
        raise _refuse(
            f"Condition {i}: unknown field {field!r}. Use one of: {known}.",
            f"条件 {i}: 項目 {field!r} は使えません。次のいずれかを指定してください: {known}",
            condition=i,
            field=field,
        )
    assert isinstance(cond, dict) and isinstance(field, str)
    spec = field_spec(fields, field) if field in fields else FieldSpec("any")
    kind, op, value = spec.kind, cond.get("op"), cond.get("value")
    allowed = tuple(ops[kind]) if ops is not None and kind in ops else spec.operators
    if op not in allowed:
        names = ", ".join(allowed)
        raise _refuse(
            f"Condition {i}: operator {op!r} does not apply to {field}. Use: {names}.",
            f"条件 {i}: 演算子 {op!r} は {field} に使えません。使える演算子: {names}",
            condition=i,
            field=field,
            op=op,
        )
    if op in _NO_VALUE:
        return {"field": field, "op": op, "value": None}
    values = value if op in LIST_OPS else [value]
    if op in LIST_OPS and (not isinstance(value, list) or not value):
        values = None
    if values is None or not all(_fits(kind, v) for v in values):
        raise _refuse(
            f"Condition {i}: {field} {op} needs {_expected(kind, op)}; got {value!r}.",
            f"条件 {i}: {field} {op} には{_expected_ja(kind, op)}を指定してください"
            f"(指定値: {value!r})。",
            condition=i,
            field=field,
            value=value,
        )
    return {"field": field, "op": op, "value": value}


def _fits(kind: str, value: Any) -> bool:
    if kind == "number":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "any":
        return value is None or isinstance(value, str | int | float | bool)
    return isinstance(value, str) and bool(value.strip())


def _expected(kind: str, op: str) -> str:
    one = {
        "number": "a number",
        "bool": "true or false",
        "any": "a value",
    }.get(kind, "text")
    return f"a non-empty list of {one} values" if op in LIST_OPS else one


def _expected_ja(kind: str, op: str) -> str:
    one = {"number": "数値", "bool": "true か false", "any": "値"}.get(kind, "文字列")
    return f"{one}の空でないリスト" if op in LIST_OPS else one


# --- conditions that can never hold ---------------------------------------------------------


@dataclass(frozen=True)
class Impossible:
    """Why a condition can never hold, in both languages."""

    en: str
    ja: str


def impossible(node: Any, fields: Fields) -> Impossible | None:
    """The reason the condition can never hold, or None when some facts could meet it."""
    numbered = {id(leaf): i for i, leaf in enumerate(leaves(node), start=1)}
    return _impossible(node, fields, numbered)


def _impossible(node: Any, fields: Fields, numbered: dict[int, int]) -> Impossible | None:
    if isinstance(node, list) or (isinstance(node, dict) and "all" in node):
        children = node if isinstance(node, list) else node["all"]
        for child in children:
            found = _impossible(child, fields, numbered)
            if found is not None:
                return found
        return _clash([c for c in children if _is_leaf(c)], fields, numbered)
    if "any" in node:
        reasons = [_impossible(child, fields, numbered) for child in node["any"]]
        if reasons and all(r is not None for r in reasons):
            return reasons[0]
        return None
    if "not" in node:
        return None
    return _leaf_impossible(node, fields, numbered.get(id(node), 0))


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and not any(g in node for g in GROUPS)


def _leaf_impossible(node: dict[str, Any], fields: Fields, i: int) -> Impossible | None:
    field, op = node["field"], node["op"]
    value: Any = node.get("value")
    if field not in fields:
        return None
    spec = field_spec(fields, field)
    if spec.kind == "number" and op in ("eq", "in", "gte", "gt", "lte", "lt"):
        low = -math.inf if spec.low is None else spec.low
        high = math.inf if spec.high is None else spec.high
        wanted = value if op == "in" else [value]
        outside: Callable[[Any], bool] = {
            "eq": lambda v: not low <= v <= high,
            "in": lambda v: not low <= v <= high,
            "gte": lambda v: v > high,
            "gt": lambda v: v >= high,
            "lte": lambda v: v < low,
            "lt": lambda v: v <= low,
        }[op]
        if all(outside(v) for v in wanted):
            return Impossible(
                f"Condition {i}: {field} runs from {_num(low)} to {_num(high)}, so "
                f"'{op} {value}' never holds.",
                f"条件 {i}: {field} は {_num(low)}〜{_num(high)} の値なので、「{op} {value}」に"
                "当てはまることはありません。",
            )
    known = spec.values
    if known is not None and op in ("eq", "in", "contains", "contains_any"):
        choices: list[Any] = value if op in ("in", "contains_any") else [value]
        if not any(v in known for v in choices):
            return Impossible(
                f"Condition {i}: {field} has no value {value!r}; known values: {', '.join(known)}.",
                f"条件 {i}: {field} に {value!r} という値はありません。使える値: {', '.join(known)}",
            )
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _clash(children: list[Any], fields: Fields, numbered: dict[int, int]) -> Impossible | None:
    """Leaves of one `all` group that contradict each other on the same field."""
    by_field: dict[str, list[dict[str, Any]]] = {}
    for leaf in children:
        by_field.setdefault(leaf["field"], []).append(leaf)
    for field, group in by_field.items():
        if len(group) < 2:
            continue
        low, high = -math.inf, math.inf
        allowed: set[Any] | None = None
        excluded: set[Any] = set()
        null = not_null = False
        for leaf in group:
            op = leaf["op"]
            value: Any = leaf.get("value")
            if op in ("gte", "gt") and isinstance(value, int | float):
                low = max(low, value + (1e-9 if op == "gt" else 0))
            elif op in ("lte", "lt") and isinstance(value, int | float):
                high = min(high, value - (1e-9 if op == "lt" else 0))
            elif op in ("eq", "in"):
                wanted = set(value if op == "in" else [value])
                allowed = wanted if allowed is None else allowed & wanted
            elif op in ("ne", "not_in"):
                excluded |= set(value if op == "not_in" else [value])
            elif op == "is_null":
                null = True
            elif op == "not_null":
                not_null = True
        needs_value = low > -math.inf or high < math.inf or allowed is not None or not_null
        numbers = [v for v in (allowed or set()) if isinstance(v, int | float)]
        empty = (
            low > high
            or (allowed is not None and not (allowed - excluded))
            or (null and needs_value)
            or (allowed is not None and numbers and not any(low <= v <= high for v in numbers))
        )
        if empty:
            which = ", ".join(str(numbered.get(id(leaf), "?")) for leaf in group)
            return Impossible(
                f"Conditions {which} on {field} contradict each other: no value meets them all.",
                f"条件 {which}({field})は互いに矛盾しており、すべてを満たす値がありません。",
            )
    return None

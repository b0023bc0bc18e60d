"""One condition language for rules, segments and next best actions. Pure.

A condition is a leaf `{"field", "op", "value"}` or a group `{"all": [...]}`,
`{"any": [...]}`, `{"not": condition}`; a plain list means "all of these" (segments store
that). Which fields exist, what kind each is and which operators apply are given by the
caller (a segment knows customers, a rule knows voices and customers), so one grammar
serves every room:

    kind    operators (default)                                   value
    number  eq ne in not_in gte gt lte lt is_null not_null         a number (a list for in)
    text    eq ne in not_in is_null not_null                       text (a list for in)
    code    eq ne in not_in is_null not_null                       a stored code
    bool    eq ne                                                  true or false
    list    contains contains_any not_contains                     text (a list for _any)
    words   has_words not_has_words is_null not_null               a list of words

A missing fact (None, NaN) satisfies only `ne`, `not_in`, `not_contains`, `not_has_words`
and `is_null`, the same way everywhere: `matches` (one mapping of facts), `evaluate_frame`
(a pandas frame, vectorised, for thousands of voices at once) and `compile_sql` (a
SQLAlchemy expression, for counting customers where they are stored).

`validate_conditions` checks a condition against the fields and answers InvalidInput in
English and Japanese naming the condition ("Condition 2" / "条件 2"); `impossible` finds
conditions that can never hold (a score above its scale, `nps gte 9` together with
`nps lte 6`, a code that does not exist) so a rule is refused before it is switched on.

Nothing here imports SQLAlchemy or pandas at module level: both are imported by the
functions that need them, so `kizuna.analytics.actions` stays light.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "KIND_OPS",
    "MAX_LIST_VALUES",
    "OPERATORS",
    "FieldSpec",
    "compile_sql",
    "evaluate_frame",
    "impossible",
    "leaves",
    "matches",
    "referenced_fields",
    "validate_conditions",
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
_LIST_OPS = ("in", "not_in", "contains_any", "has_words", "not_has_words")
_NO_VALUE = ("is_null", "not_null")
_GROUPS = ("all", "any", "not")


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


def _spec(fields: Fields, name: str) -> FieldSpec:
    found = fields[name]
    return found if isinstance(found, FieldSpec) else FieldSpec(found)


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
    if groups and isinstance(node, dict) and any(g in node for g in _GROUPS):
        group = next(g for g in _GROUPS if g in node)
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
    spec = _spec(fields, field) if field in fields else FieldSpec("any")
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
    values = value if op in _LIST_OPS else [value]
    if op in _LIST_OPS and (not isinstance(value, list) or not value):
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
    return f"a non-empty list of {one} values" if op in _LIST_OPS else one


def _expected_ja(kind: str, op: str) -> str:
    one = {"number": "数値", "bool": "true か false", "any": "値"}.get(kind, "文字列")
    return f"{one}の空でないリスト" if op in _LIST_OPS else one


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


def _missing(value: Any) -> bool:
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
    missing = _missing(have)
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


# --- a frame of many rows -------------------------------------------------------------------


def evaluate_frame(
    node: Any, frame: pd.DataFrame, cache: dict[tuple[str, str], Any] | None = None
) -> np.ndarray:
    """A boolean array, one per row of `frame` (a column per field), True where it holds.

    List fields hold a tuple, frozenset or list per row (None when unknown); words fields
    hold text. Results agree with `matches` row by row. Pass the same `cache` (a dict) when
    evaluating many conditions over one frame: each column is prepared once (numbers
    parsed, text folded, list members indexed) for all of them.
    """
    import numpy as np

    return np.asarray(_frame(node, frame, {} if cache is None else cache), dtype=bool)


def _frame(node: Any, frame: pd.DataFrame, cache: dict[tuple[str, str], Any]) -> Any:
    import numpy as np

    n = len(frame)
    if isinstance(node, list) or "all" in node:
        out = np.ones(n, dtype=bool)
        for child in node if isinstance(node, list) else node["all"]:
            out &= _frame(child, frame, cache)
            if not out.any():
                break
        return out
    if "any" in node:
        out = np.zeros(n, dtype=bool)
        for child in node["any"]:
            out |= _frame(child, frame, cache)
        return out
    if "not" in node:
        return ~_frame(node["not"], frame, cache)
    return _leaf_frame(node, frame, cache)


def _leaf_frame(
    node: dict[str, Any], frame: pd.DataFrame, cache: dict[tuple[str, str], Any]
) -> Any:
    import numpy as np
    import pandas as pd

    field, op = node["field"], node["op"]
    want: Any = node.get("value")
    n = len(frame)
    if field not in frame.columns:
        column = pd.Series([None] * n, index=frame.index, dtype=object)
    else:
        column = frame[field]
    if (field, "missing") not in cache:
        cache[(field, "missing")] = column.isna().to_numpy()
    missing = cache[(field, "missing")]
    if op == "is_null":
        return missing
    if op == "not_null":
        return ~missing
    if op in ("contains", "contains_any", "not_contains"):
        members = cache.get((field, "members"))
        if members is None:
            # value -> rows holding it, built in one pass and shared by every condition
            positions: dict[Any, list[int]] = {}
            for row, items in enumerate(column.to_numpy()):
                if isinstance(items, tuple | list | set | frozenset):
                    for item in items:
                        positions.setdefault(item, []).append(row)
            members = cache[(field, "members")] = positions
        found = np.zeros(n, dtype=bool)
        for value in want if op == "contains_any" else [want]:
            rows = members.get(value)
            if rows:
                found[rows] = True
        return ~found if op == "not_contains" else found
    if op in ("has_words", "not_has_words"):
        key = (field, "casefold")
        if key not in cache:
            cache[key] = column.astype("string").str.casefold()
        pattern = "|".join(re.escape(str(w).casefold()) for w in want)
        found = cache[key].str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
        return ~found if op == "not_has_words" else found
    numeric = isinstance(want, int | float) and not isinstance(want, bool)
    if op in ("in", "not_in"):
        found = column.isin(list(want)).to_numpy(dtype=bool) & ~missing
        return ~found if op == "not_in" else found
    if numeric and op in ("gte", "gt", "lte", "lt", "eq", "ne"):
        key = (field, "number")
        if key not in cache:
            cache[key] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        values = cache[key]
        with np.errstate(invalid="ignore"):
            compared = {
                "gte": values >= want,
                "gt": values > want,
                "lte": values <= want,
                "lt": values < want,
                "eq": values == want,
                "ne": values != want,
            }[op]
        known = ~np.isnan(values)
        if op == "ne":
            return compared | ~known
        return compared & known
    if op in ("gte", "gt", "lte", "lt"):  # text against text, as Python compares them
        return np.fromiter(
            (not _missing(v) and matches(node, {field: v}) for v in column.to_numpy()),
            dtype=bool,
            count=n,
        )
    equal = (column == want).to_numpy(dtype=bool) & ~missing
    return equal if op == "eq" else ~equal


# --- SQL ----------------------------------------------------------------------------------


def compile_sql(node: Any, column: Callable[[str], Any], dialect: str) -> Any:
    """A SQLAlchemy boolean expression of the condition; `column(field)` gives each column.

    List fields are JSON arrays: `contains` uses JSONB containment on PostgreSQL and
    json_each on SQLite.
    """
    from sqlalchemy import and_, not_, or_, true

    if isinstance(node, list):
        return and_(true(), *(compile_sql(c, column, dialect) for c in node))
    if "all" in node:
        return and_(true(), *(compile_sql(c, column, dialect) for c in node["all"]))
    if "any" in node:
        return or_(*(compile_sql(c, column, dialect) for c in node["any"]))
    if "not" in node:
        return not_(compile_sql(node["not"], column, dialect))
    return _leaf_sql(node, column(node["field"]), dialect)


def _json_has(col: Any, value: Any, dialect: str) -> Any:
    from sqlalchemy import exists, func, literal, select, type_coerce
    from sqlalchemy.dialects.postgresql import JSONB

    if dialect == "postgresql":
        return type_coerce(col, JSONB).contains([value])
    items = func.json_each(col).table_valued("value")
    return exists(select(literal(1)).select_from(items).where(items.c.value == value))


def _leaf_sql(node: dict[str, Any], col: Any, dialect: str) -> Any:
    from sqlalchemy import func, not_, or_

    op = node["op"]
    value: Any = node.get("value")
    if op == "is_null":
        return col.is_(None)
    if op == "not_null":
        return col.is_not(None)
    if op == "contains":
        return _json_has(col, value, dialect)
    if op == "contains_any":
        return or_(*(_json_has(col, v, dialect) for v in value))
    if op == "not_contains":
        return or_(col.is_(None), not_(_json_has(col, value, dialect)))
    if op in ("has_words", "not_has_words"):
        found = or_(*(func.lower(col).contains(str(w).lower(), autoescape=True) for w in value))
        return found if op == "has_words" else or_(col.is_(None), not_(found))
    if op == "eq":
        return col == value
    if op == "ne":
        return or_(col != value, col.is_(None))
    if op == "in":
        return col.in_(value)
    if op == "not_in":
        return or_(col.not_in(value), col.is_(None))
    return {"gte": col >= value, "gt": col > value, "lte": col <= value, "lt": col < value}[op]


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
    return isinstance(node, dict) and not any(g in node for g in _GROUPS)


def _leaf_impossible(node: dict[str, Any], fields: Fields, i: int) -> Impossible | None:
    field, op = node["field"], node["op"]
    value: Any = node.get("value")
    if field not in fields:
        return None
    spec = _spec(fields, field)
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

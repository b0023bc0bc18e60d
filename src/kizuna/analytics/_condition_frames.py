"""Conditions over a pandas frame of many rows, vectorised (behind `conditions`).

`evaluate_frame` agrees with `matches` row by row; pandas and NumPy are imported by the
functions, so importing the condition language stays light.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kizuna.analytics._condition_grammar import is_missing, matches

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["evaluate_frame"]


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
            (not is_missing(v) and matches(node, {field: v}) for v in column.to_numpy()),
            dtype=bool,
            count=n,
        )
    equal = (column == want).to_numpy(dtype=bool) & ~missing
    return equal if op == "eq" else ~equal

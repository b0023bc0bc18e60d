"""Conditions as SQLAlchemy expressions, for counting where the data is stored (behind
`conditions`). SQLAlchemy is imported by the functions, not at module level."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["compile_sql"]


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

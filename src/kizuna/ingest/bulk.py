"""Bulk INSERT and UPDATE of plain rows: tuples straight to SQLite, Core elsewhere.

At import volume SQLAlchemy's per-value bind processing costs more than SQLite's own
work, so on SQLite the values are converted once, into exactly the storage formats the
SQLAlchemy SQLite dialect writes (a test compares both paths byte for byte), and the
driver gets `executemany` with tuples. PostgreSQL goes through Core, whose psycopg
dialect already batches many rows per round trip.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Date, Table, bindparam, insert, update

from kizuna.db.base import UTCDateTime

__all__ = ["insert_rows", "update_rows"]

Convert = Callable[[Any], Any]


def _datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; attach a time zone first")
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    # SQLAlchemy's SQLite DATETIME format: "%Y-%m-%d %H:%M:%S.%f", naive UTC.
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _json(value: Any) -> str:
    if not value and isinstance(value, dict):
        return "{}"
    return json.dumps(value)  # the dialect's default serializer, default settings


@cache
def _converters(table: Table, columns: tuple[str, ...]) -> tuple[Convert | None, ...]:
    found: list[Convert | None] = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            found.append(_datetime)
        elif isinstance(kind, JSON):
            found.append(_json)
        elif isinstance(kind, Date):
            found.append(_date)
        else:
            found.append(None)
    return tuple(found)


def _memo(convert: Convert) -> Convert:
    """Per batch: the same instant (created_at, a repeated date) is formatted once."""
    seen: dict[Any, Any] = {}

    def convert_once(value: Any) -> Any:
        found = seen.get(value, seen)
        if found is seen:
            found = seen[value] = convert(value)
        return found

    return convert_once


def _tuples(table: Table, columns: tuple[str, ...], rows: Sequence[dict[str, Any]]) -> list[Any]:
    # Column by column: list comprehensions are several times faster than a per-row loop.
    values: list[list[Any]] = []
    for name, convert in zip(columns, _converters(table, columns), strict=True):
        if convert is None:
            values.append([r[name] for r in rows])
        else:
            once = convert if convert is _json else _memo(convert)
            values.append([once(r[name]) for r in rows])
    return list(zip(*values, strict=True))


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys) in one executemany."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    columns = tuple(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
    conn.exec_driver_sql(sql, _tuples(table, columns, rows))


def update_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE rows by primary key: each row's "id" picks the row, the rest are set."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        params = [{("row_id" if k == "id" else k): v for k, v in r.items()} for r in rows]
        conn.execute(update(table).where(table.c.id == bindparam("row_id")), params)
        return
    columns = tuple(c for c in rows[0] if c != "id")
    sets = ", ".join(f'"{c}" = ?' for c in columns)
    sql = f'UPDATE "{table.name}" SET {sets} WHERE id = ?'
    values = _tuples(table, (*columns, "id"), rows)
    conn.exec_driver_sql(sql, values)

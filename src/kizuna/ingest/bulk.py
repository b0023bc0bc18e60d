"""Bulk INSERT and UPDATE of plain rows: tuples straight to SQLite, Core elsewhere.

At import volume SQLAlchemy's per-value bind processing costs more than SQLite's own
work, so on SQLite the values are converted once, column by column, into exactly the
storage formats the SQLAlchemy SQLite dialect writes (a test compares both paths byte for
byte). Inserts go to the driver as multi-row VALUES statements (see `insert_columns`),
updates as `executemany` of tuples zipped from the columns. PostgreSQL inserts through COPY
and updates through Core, whose psycopg dialect batches many rows per round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, repeat
from typing import Any

from sqlalchemy import JSON, Connection, Date, Table, bindparam, insert, update

from kizuna.db.base import UTCDateTime
from kizuna.db.guard import TRUSTED
from kizuna.ingest.arrow_dates import Days, Instants
from kizuna.ingest.block import Values

__all__ = [
    "Column",
    "Same",
    "insert_columns",
    "insert_rows",
    "reserve_ids",
    "update_columns",
    "update_rows",
]

Convert = Callable[[Any], Any]
_EMPTY_JSON = "{}"
# SQLite's compiled-in limit on bound values since 3.32 (999 before); asked of the driver.
_SQLITE_DEFAULT_VARIABLES = 999
_MAX_ROWS = 5_000  # rows per INSERT statement: the statement's text stays under 1 MB


@dataclass(frozen=True)
class Same:
    """A column with one value on every row (the workspace, the batch's time)."""

    value: Any


Column = Values | Same


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
        return _EMPTY_JSON
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
    """Per batch: the same instant (a repeated date) is formatted once."""
    seen: dict[Any, Any] = {}

    def convert_once(value: Any) -> Any:
        found = seen.get(value, seen)
        if found is seen:
            found = seen[value] = convert(value)
        return found

    return convert_once


def _stored(convert: Convert | None, values: Column) -> Column:
    """A column in SQLite's storage form."""
    if convert is None:
        return values
    if isinstance(values, Instants | Days):  # rendered by pyarrow, not row by row
        return values.sqlite_texts()
    if isinstance(values, Same):
        return Same(convert(values.value))
    if convert is _json:
        return [_EMPTY_JSON if v == {} else _json(v) for v in values]  # mostly empty dicts
    if convert is _datetime:
        return [_utc_text(v) for v in values]
    once = _memo(convert)
    return [once(v) for v in values]


def _utc_text(value: dt.datetime | None) -> str | None:
    if value is not None and value.tzinfo is dt.UTC:  # what the converters give: no shift
        return value.isoformat(" ", "microseconds")[:26]
    return _datetime(value)


def _literal(value: Any) -> str | None:
    """SQL text for a value the same on every row (None when it must be bound)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"  # SQL's quoting: '' is one quote
    return None


def _bound(
    table: Table,
    names: Sequence[str],
    columns: Sequence[Column],
    n: int,
    *,
    inline_text: bool = True,
) -> tuple[list[str], list[Any]]:
    """Each column's place in the statement ("?" or a literal), and one tuple per row.

    Values the same on every row (the workspace, the source, a column empty in the whole
    batch) are written into the statement: SQLite's cost per bound value is most of an
    insert's, and binding the same value thousands of times tells it nothing new. With
    `inline_text=False` only NULLs and numbers are written in, so that the statement's text
    is the same from batch to batch (a batch's time is text) and SQLite prepares it once.
    """
    marks: list[str] = []
    lists: list[Any] = []
    for convert, column in zip(_converters(table, tuple(names)), columns, strict=True):
        stored = _stored(convert, column)
        literal = None
        if isinstance(stored, Same) and (inline_text or not isinstance(stored.value, str)):
            literal = _literal(stored.value)
        elif isinstance(stored, list) and stored.count(None) == n:
            literal = "NULL"
        if literal is not None:
            marks.append(literal)
        else:
            marks.append("?")
            lists.append(repeat(stored.value, n) if isinstance(stored, Same) else stored)
    rows = list(zip(*lists, strict=True)) if lists else [()] * n
    return marks, rows


def _as_dicts(names: Sequence[str], columns: Sequence[Column], n: int) -> list[dict[str, Any]]:
    lists = [repeat(c.value, n) if isinstance(c, Same) else c for c in columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


def insert_columns(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    columns: Sequence[Column],
    n: int,
    *,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]] | None:
    """INSERT `n` rows given column by column: on SQLite, thousands of rows per statement.

    `executemany` steps SQLite once per row and lets go of the GIL for each step; while
    another thread runs Python (the import converting its next batch) every step then waits
    up to the interpreter's switch interval (5 ms) to get it back, and the two threads take
    turns instead of overlapping (measured: 45 against 13 µs per row). A multi-row VALUES
    statement binds its rows once and runs them all in one step without the GIL. Its text
    depends only on the columns and the number of rows, so SQLite's prepared form of it
    (costly: about 7 µs per row) is reused from batch to batch.

    With `returning` (column names), SQLite's statements end in RETURNING those columns and
    the rows come back (in no particular order): the new ids without a second look-up.
    None elsewhere, and when nothing was asked.
    """
    if not n:
        return [] if returning and conn.dialect.name == "sqlite" else None
    if conn.dialect.name == "postgresql":
        _copy_columns(conn, table, names, columns, n)
        return None
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), _as_dicts(names, columns, n), execution_options=TRUSTED)
        return None
    marks, rows = _bound(table, names, columns, n, inline_text=False)
    quoted = ", ".join(f'"{c}"' for c in names)
    values = f"({', '.join(marks)})"
    tail = (" RETURNING " + ", ".join(f'"{c}"' for c in returning)) if returning else ""
    size = _rows_per_statement(conn, marks.count("?"))
    found: list[tuple[Any, ...]] = []
    for start in range(0, n, size):
        part = rows[start : start + size]
        sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES {",".join([values] * len(part))}'
        result = conn.exec_driver_sql(
            sql + tail, tuple(chain.from_iterable(part)), execution_options=TRUSTED
        )
        if returning:
            found.extend(result.all())
    return found if returning else None


def _copy_columns(
    conn: Connection, table: Table, names: Sequence[str], columns: Sequence[Column], n: int
) -> None:
    """PostgreSQL: the rows through COPY, in the batch's transaction (several times faster
    than multi-row INSERTs: no statement to parse, no parameters to bind one by one).

    Values are made once per column where they can be: a value the same on every row is
    converted once, and columns kept in NumPy go as the text pyarrow renders for them
    (naive UTC, ISO days), which COPY reads as it reads a datetime's own text, without a
    Python datetime per row (a third of the writer's CPU per row before).
    """
    from psycopg.types.json import Jsonb

    lists: list[Any] = []
    for name, column in zip(names, columns, strict=True):
        kind = table.c[name].type
        values: Any
        if isinstance(column, Same):
            value = column.value
            if isinstance(kind, JSON):
                value = _EMPTY_JSON if value == {} else None if value is None else Jsonb(value)
            elif isinstance(kind, UTCDateTime):
                value = _naive_utc(value)
            values = repeat(value, n)
        elif isinstance(column, Instants | Days):
            values = column.sqlite_texts()
        elif isinstance(kind, JSON):  # mostly empty: "{}" as text, the rest dumped once each
            values = [_EMPTY_JSON if v == {} else None if v is None else Jsonb(v) for v in column]
        elif isinstance(kind, UTCDateTime):  # stored as naive UTC, like the dialect does
            values = [_naive_utc(v) for v in column]
        else:
            values = column
        lists.append(values)
    quoted = ", ".join(f'"{c}"' for c in names)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in zip(*lists, strict=True):
            copy.write_row(row)


def reserve_ids(conn: Connection, table: Table, n: int) -> list[int] | None:
    """PostgreSQL: `n` new ids from the table's sequence, to be written with the rows, so
    the writer knows them without looking the rows up again after COPY (a second index
    probe per key: 25-40 ms a batch of 5,000). None elsewhere: SQLite gives ids as it inserts."""
    if conn.dialect.name != "postgresql" or not n:
        return None
    driver: Any = conn.connection.driver_connection
    # The sequence looked up once, not once per row (26 ms against 5 ms for 5,000 ids).
    sql = (
        "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) "
        "SELECT nextval(s.seq) FROM s, generate_series(1, %s)"
    )
    found = driver.execute(sql, (f'"{table.name}"', n)).fetchall()
    return [row_id for (row_id,) in found]


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; attach a time zone first")
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _rows_per_statement(conn: Connection, bound: int) -> int:
    """As many rows as SQLite's limit on bound values allows, at most _MAX_ROWS."""
    driver = conn.connection.driver_connection
    limit = _SQLITE_DEFAULT_VARIABLES
    if isinstance(driver, sqlite3.Connection):
        limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(_MAX_ROWS, limit // max(1, bound)))


def update_columns(
    conn: Connection, table: Table, names: Sequence[str], columns: Sequence[Column], n: int
) -> None:
    """UPDATE `n` rows by primary key: the column named "id" picks the row, the rest are set."""
    if not n:
        return
    if conn.dialect.name != "sqlite":
        renamed = ["row_id" if name == "id" else name for name in names]
        conn.execute(
            update(table).where(table.c.id == bindparam("row_id")),
            _as_dicts(renamed, columns, n),
            execution_options=TRUSTED,
        )
        return
    at = list(names).index("id")
    rest = [i for i in range(len(names)) if i != at]
    ordered = [columns[i] for i in rest] + [columns[at]]
    marks, rows = _bound(table, [names[i] for i in rest] + ["id"], ordered, n)
    sets = ", ".join(f'"{names[i]}" = {mark}' for i, mark in zip(rest, marks, strict=False))
    sql = f'UPDATE "{table.name}" SET {sets} WHERE id = {marks[-1]}'
    conn.exec_driver_sql(sql, rows, execution_options=TRUSTED)


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys) in one executemany."""
    if rows:
        names = list(rows[0])
        insert_columns(conn, table, names, [[r[c] for r in rows] for c in names], len(rows))


def update_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE rows by primary key: each row's "id" picks the row, the rest are set."""
    if rows:
        names = list(rows[0])
        update_columns(conn, table, names, [[r[c] for r in rows] for c in names], len(rows))

"""Helpers for the customers room's bulk paths (resolve, lifecycle): Core tables, frames.

`fetch_table` reads a query through the raw driver cursor into Arrow columns, chunk by
chunk: at a million rows, SQLAlchemy `Row` objects and object-dtype frames cost more CPU
and memory than the database's own work. `stage_rows` fills a temporary table the fastest
way each driver has (COPY on PostgreSQL), for an `INSERT ... SELECT` or `UPDATE ... FROM`
that then works inside the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Table
from sqlalchemy.types import TypeEngine

__all__ = [
    "column_frame",
    "driver_value",
    "fetch_table",
    "placeholders",
    "sqlite_bulk_cache",
    "stage_rows",
    "table_of",
]

# SQLite's default page cache is 2 MiB; a million customers' identity indexes are a few
# hundred MiB, and with the small cache every index insert goes back to the OS. At 256 MiB
# a resolve of 1 M customers still spilled dirty pages before its merges (merge step 4.9 s
# against 3.5 s at 512 MiB, for 30 MB more peak memory): the cache is a limit, not a fill.
_BULK_CACHE_KIB = 512 * 1024
_FETCH_ROWS = 100_000


def table_of(model: type[Any]) -> Table:
    """A mapped class's Core table, for bulk statements that must skip ORM bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def column_frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """Rows from SQLAlchemy as a frame, column-wise (pandas probes Row objects slowly)."""
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


def fetch_table(
    conn: Connection, statement: str, params: Sequence[Any], schema: pa.Schema
) -> pa.Table:
    """Run a driver-level query (`{m}` marks the placeholders) and return its rows as Arrow.

    The rows are fetched `_FETCH_ROWS` at a time and turned into columns at once, so the
    Python tuples of one chunk are all that is alive besides the Arrow buffers. Arrow reads
    the tuples as one struct array (about a quarter of the CPU of a column per `zip(*rows)`).
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    row_type = pa.struct(list(schema))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement.format(m=mark), tuple(params))
        batches: list[pa.RecordBatch] = []
        while rows := cursor.fetchmany(_FETCH_ROWS):
            struct = pa.array(rows, type=row_type)
            batches.append(pa.RecordBatch.from_struct_array(struct))
    finally:
        cursor.close()
    return pa.Table.from_batches(batches, schema=schema)


@contextmanager
def sqlite_bulk_cache(conn: Connection) -> Iterator[None]:
    """On SQLite, a large page cache for one bulk step; the connection's own is restored after."""
    if conn.dialect.name != "sqlite":
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache or -2000)}")


def placeholders(conn: Connection, count: int) -> str:
    """`?, ?` (SQLite) or `%s, %s` (psycopg) for driver-level statements."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def driver_value(conn: Connection, type_: TypeEngine[Any], value: Any) -> Any:
    """`value` as the driver gets it from SQLAlchemy (e.g. a UTC datetime for SQLite)."""
    process = type_.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process else value


def stage_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append rows to a temporary table: COPY on PostgreSQL (several times faster than
    psycopg's executemany), a driver executemany on SQLite."""
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None  # a live connection inside a transaction
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    statement = f"INSERT INTO {table} ({names}) VALUES ({placeholders(conn, len(columns))})"
    conn.exec_driver_sql(statement, list(rows))

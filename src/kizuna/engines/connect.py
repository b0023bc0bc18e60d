"""Open ibis backends over Kizuna's data and scope their tables to one workspace.

- `open_operational(kz)`: the database the application writes to (SQLite file or
  PostgreSQL), read through ibis's own driver for that engine.
- `open_parquet(folder)`: a connection to this process's in-memory DuckDB with one
  temporary view per Parquet file of a `kizuna export` (`feedback.parquet`,
  `interaction.parquet`, `customer.parquet`).

Both are context managers. A report over an export costs tens of milliseconds, and making
a DuckDB database (10-15 ms), a connection with its views and ibis settings (2 ms) and
reading the views' schemas (2-3 ms) would add a third to it. So the process keeps one
DuckDB database and lends each caller a connection, as an engine pool does: a connection
comes back to the pool with its views and the schemas ibis read through them, and is lent
again for the same export as long as its files are unchanged (same inode, size and
modification time). A connection is lent to one caller at a time; temporary views belong
to that connection alone, so a caller never sees another export's tables.

Every expression starts from `scoped_table`, which filters on `workspace_id`, so an
export or a shared database never leaks another workspace's rows into a result. The
`Engine` classes of `kizuna.engines.local` wrap these openers behind one interface.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend
from ibis.backends.duckdb import Backend as DuckDBBackend

from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = [
    "ANALYTIC_TABLES",
    "IDLE_CONNECTIONS",
    "export_tables",
    "open_operational",
    "open_parquet",
    "scoped_table",
]

# The tables an export holds and analytics read; names are the operational table names.
ANALYTIC_TABLES = ("feedback", "interaction", "customer")
# Connections kept between reports, over all exports; the least recently used goes first.
IDLE_CONNECTIONS = 8

_analytic_lock = threading.Lock()
_analytic_database: list[duckdb.DuckDBPyConnection] = []


def _analytic_connection() -> duckdb.DuckDBPyConnection:
    """A new connection to the process's in-memory DuckDB, made on first use."""
    with _analytic_lock:
        if not _analytic_database:
            _analytic_database.append(duckdb.connect())
        return _analytic_database[0].cursor()


def _connect_operational(kz: Kizuna) -> BaseBackend:
    url = kz.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise InvalidInput(
                "Metrics need the database in a file; an in-memory SQLite database cannot be "
                "shared with the analytics engine. Set KIZUNA_DATABASE_URL to sqlite:///path.db.",
                "メトリクスにはファイル上のデータベースが必要です。KIZUNA_DATABASE_URL を "
                "sqlite:///path.db のように設定してください。",
            )
        return ibis.sqlite.connect(url.database)
    if backend == "postgresql":
        options: dict[str, Any] = {str(k): v for k, v in url.query.items()}
        return ibis.postgres.connect(
            host=url.host or "localhost",
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
            **options,
        )
    raise InvalidInput(
        f"Metrics run on SQLite or PostgreSQL, not {backend}. Point KIZUNA_DATABASE_URL at "
        "one of them, or export the workspace and use --engine parquet.",
        f"メトリクスは SQLite または PostgreSQL で動きます（{backend} は不可）。"
        "KIZUNA_DATABASE_URL を変更するか、エクスポートして --engine parquet を使ってください。",
        backend=backend,
    )


@contextmanager
def open_operational(kz: Kizuna) -> Iterator[BaseBackend]:
    """An ibis backend on the application's own database, disconnected on leaving."""
    backend = _connect_operational(kz)
    try:
        yield backend
    finally:
        backend.disconnect()


class _ExportBackend(DuckDBBackend):  # type: ignore[misc]
    """ibis's DuckDB backend over one export's views; each table is described once.

    The views never change while the connection is lent for the same files, so the table
    expressions (and the DESCRIBE behind them) and their workspace filters are kept with
    the connection: building them again costs about 3 ms a report.
    """

    _tables: dict[str, ir.Table]
    _scoped: dict[tuple[str, int], ir.Table]

    def table(self, name: str, /, *, database: str | tuple[str, str] | None = None) -> ir.Table:
        if database is not None:
            return super().table(name, database=database)
        found = self._tables.get(name)
        if found is None:
            found = self._tables[name] = super().table(name)
        return found

    def scoped_table(self, name: str, workspace_id: int) -> ir.Table:
        found = self._scoped.get((name, workspace_id))
        if found is None:
            found = self._scoped[(name, workspace_id)] = _workspace_rows(
                self.table(name), workspace_id
            )
        return found


# (name, inode, size, modification time in ns) of each export file present.
Signature = tuple[tuple[str, int, int, int], ...]


@dataclass(frozen=True)
class _Lent:
    """A connection with the views of one export, as its files were when it was made."""

    folder: Path
    signature: Signature
    backend: _ExportBackend

    def close(self) -> None:
        self.backend.disconnect()


class _Pool:
    """Idle connections by (folder, signature), least recently returned first out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._idle: OrderedDict[tuple[Path, Signature], list[_Lent]] = OrderedDict()

    def take(self, folder: Path, signature: Signature) -> _Lent | None:
        with self._lock:
            waiting = self._idle.get((folder, signature))
            if not waiting:
                return None
            lent = waiting.pop()
            if not waiting:
                del self._idle[(folder, signature)]
            return lent

    def give_back(self, lent: _Lent) -> None:
        closing: list[_Lent] = []
        with self._lock:
            # Connections to older versions of the same export are never lent again.
            for key in [key for key in self._idle if key[0] == lent.folder]:
                if key[1] != lent.signature:
                    closing.extend(self._idle.pop(key))
            key = (lent.folder, lent.signature)
            self._idle.setdefault(key, []).append(lent)
            self._idle.move_to_end(key)
            while sum(len(waiting) for waiting in self._idle.values()) > self.size:
                oldest = next(iter(self._idle))
                closing.append(self._idle[oldest].pop(0))
                if not self._idle[oldest]:
                    del self._idle[oldest]
        for old in closing:
            old.close()


_pool = _Pool(IDLE_CONNECTIONS)


def _export_signature(folder: Path) -> Signature:
    """The export's files as they are now; InvalidInput when the folder holds none."""
    found: list[tuple[str, int, int, int]] = []
    for name in ANALYTIC_TABLES:
        try:
            stat = os.stat(folder / f"{name}.parquet")
        except FileNotFoundError:
            continue
        found.append((name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    if not found:
        raise InvalidInput(
            f"No Kizuna export found in {folder}. Create one with "
            f"`kizuna export --workspace SLUG --to {folder}` and try again.",
            f"{folder} に Kizuna のエクスポートがありません。"
            f"`kizuna export --workspace SLUG --to {folder}` で作成してから再実行してください。",
            folder=str(folder),
        )
    return tuple(found)


def export_tables(folder: Path) -> list[str]:
    """Names of the ANALYTIC_TABLES whose Parquet file is in the export folder.

    Raises InvalidInput, saying how to make an export, when the folder holds none.
    """
    return [name for name, *_ in _export_signature(folder)]


def _connect_export(folder: Path, signature: Signature) -> _Lent:
    connection = _analytic_connection()
    try:
        for name, *_ in signature:
            location = str(folder / f"{name}.parquet").replace("'", "''")
            connection.execute(
                f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet('{location}')"
            )
        backend = _ExportBackend.from_connection(connection)
    except BaseException:
        connection.close()
        raise
    backend._tables, backend._scoped = {}, {}
    return _Lent(folder, signature, backend)


@contextmanager
def open_parquet(folder: Path | str) -> Iterator[BaseBackend]:
    """A DuckDB backend whose tables are the Parquet files of one export.

    The connection goes back to the process's pool on leaving, or is closed if the block
    raised; callers must not disconnect it themselves.
    """
    path = Path(folder).resolve()
    signature = _export_signature(path)
    lent = _pool.take(path, signature) or _connect_export(path, signature)
    try:
        yield lent.backend
    except BaseException:
        lent.close()
        raise
    _pool.give_back(lent)


def scoped_table(backend: BaseBackend, name: str, workspace_id: int) -> ir.Table:
    """Table `name` of the backend, holding only the rows of one workspace."""
    if isinstance(backend, _ExportBackend):
        return backend.scoped_table(name, workspace_id)
    return _workspace_rows(backend.table(name), workspace_id)


def _workspace_rows(table: ir.Table, workspace_id: int) -> ir.Table:
    return table.filter(table.workspace_id == workspace_id)

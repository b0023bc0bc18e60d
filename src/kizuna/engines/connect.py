"""Open ibis backends over Kizuna's data and scope their tables to one workspace.

- `connect_operational(kz)`: the database the application writes to (SQLite file or
  PostgreSQL), read through ibis's own driver for that engine.
- `connect_parquet(folder)`: a connection to this process's in-memory DuckDB with one
  temporary view per Parquet file of a `kizuna export` (`feedback.parquet`,
  `interaction.parquet`, `customer.parquet`). Creating a DuckDB database costs 10-15 ms,
  as much as a metric query over a million answers, so the process keeps one and each
  caller gets its own connection to it (`cursor()`), as an engine pool would; temporary
  views belong to that connection alone and go when the caller disconnects.

Every expression starts from `scoped_table`, which filters on `workspace_id`, so an
export or a shared database never leaks another workspace's rows into a result.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = ["ANALYTIC_TABLES", "connect_operational", "connect_parquet", "scoped_table"]

# The tables an export holds and analytics read; names are the operational table names.
ANALYTIC_TABLES = ("feedback", "interaction", "customer")

_analytic_lock = threading.Lock()
_analytic_database: list[duckdb.DuckDBPyConnection] = []


def _analytic_connection() -> duckdb.DuckDBPyConnection:
    """A new connection to the process's in-memory DuckDB, made on first use."""
    with _analytic_lock:
        if not _analytic_database:
            _analytic_database.append(duckdb.connect())
        return _analytic_database[0].cursor()


def connect_operational(kz: Kizuna) -> BaseBackend:
    """An ibis backend on the application's own database (caller disconnects it)."""
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


def connect_parquet(folder: Path | str) -> BaseBackend:
    """An in-memory DuckDB whose tables are the Parquet files of one export."""
    path = Path(folder)
    found = [name for name in ANALYTIC_TABLES if (path / f"{name}.parquet").is_file()]
    if not found:
        raise InvalidInput(
            f"No Kizuna export found in {path}. Create one with "
            f"`kizuna export --workspace SLUG --to {path}` and try again.",
            f"{path} に Kizuna のエクスポートがありません。"
            f"`kizuna export --workspace SLUG --to {path}` で作成してから再実行してください。",
            folder=str(path),
        )
    connection = _analytic_connection()
    for name in found:
        location = str((path / f"{name}.parquet").resolve()).replace("'", "''")
        connection.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet('{location}')")
    return ibis.duckdb.from_connection(connection)


def scoped_table(backend: BaseBackend, name: str, workspace_id: int) -> ir.Table:
    """Table `name` of the backend, holding only the rows of one workspace."""
    table = backend.table(name)
    return table.filter(table.workspace_id == workspace_id)

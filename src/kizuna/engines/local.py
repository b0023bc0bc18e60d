"""The engines on this machine: the operational database, and DuckDB over a Parquet export.

Both wrap the openers of `kizuna.engines.connect` (the Parquet one lends pooled DuckDB
connections) and run queries through `execute_keyed`, which keeps each query's SQL: the
interface adds two small objects per report and nothing to the query itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from kizuna.engines.base import Connection, Engine, EngineKind
from kizuna.engines.connect import open_operational, open_parquet
from kizuna.engines.execute import execute_keyed

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = ["OperationalEngine", "ParquetEngine"]


class OperationalEngine(Engine):
    """The database the application writes to (SQLite file or PostgreSQL), read by ibis."""

    name: ClassVar[EngineKind] = "operational"

    def __init__(self, kz: Kizuna) -> None:
        self.kz = kz

    @contextmanager
    def open(self) -> Iterator[Connection]:
        with open_operational(self.kz) as backend:
            yield Connection(self.name, backend, partial(execute_keyed, backend))

    def __repr__(self) -> str:
        return f"OperationalEngine({self.kz.engine.url.get_backend_name()})"


class ParquetEngine(Engine):
    """DuckDB over the Parquet files of one `kizuna export`, on a pooled connection."""

    name: ClassVar[EngineKind] = "parquet"

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    @contextmanager
    def open(self) -> Iterator[Connection]:
        with open_parquet(self.folder) as backend:
            yield Connection(self.name, backend, partial(execute_keyed, backend))

    def __repr__(self) -> str:
        return f"ParquetEngine({str(self.folder)!r})"

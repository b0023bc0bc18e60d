"""The one interface every engine offers: open it, take workspace tables, run queries.

An `Engine` says where a report's tables live (the operational database, DuckDB over a
Parquet export, Spark over the same export) and holds no connection itself, so building
one costs nothing. `engine.open()` is a context manager that yields a `Connection` for
the block:

    with engine.open() as connection:
        feedback = connection.table("feedback", workspace_id)
        frame = compute_metric_frame(feedback, "nps", run=connection.run)

`Connection.table` starts every expression from the rows of one workspace, and
`Connection.run(key, build)` runs a counting query as the engine runs best (kept SQL on
the operational database and DuckDB, Spark's own collect on Spark). This room knows no
feature's rules and no particular engine; the engines live beside it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import ClassVar, Literal

import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from kizuna.engines.connect import scoped_table

__all__ = ["Connection", "Engine", "EngineKind", "QueryRunner"]

# The engines by their own names; `kizuna.engines.choose` also takes "duckdb" for "parquet".
EngineKind = Literal["operational", "parquet", "spark"]
# `run(key, build)`: the rows of the expression `build()` makes; `key` names that query
# exactly, so a runner may reuse the work done for an equal key (as `execute_keyed` does).
QueryRunner = Callable[[Hashable, Callable[[], ir.Table]], pd.DataFrame]


@dataclass(frozen=True)
class Connection:
    """An engine while it is open: its ibis backend, workspace tables and a query runner.

    Valid only inside the `with engine.open()` block that yielded it.
    """

    engine: EngineKind
    backend: BaseBackend
    runner: QueryRunner

    def table(self, name: str, workspace_id: int) -> ir.Table:
        """Table `name` (feedback, interaction, customer) holding one workspace's rows."""
        return scoped_table(self.backend, name, workspace_id)

    def run(self, key: Hashable, build: Callable[[], ir.Table]) -> pd.DataFrame:
        """The rows of `build()` as a pandas frame; a `QueryRunner` for the analytics."""
        return self.runner(key, build)


class Engine(ABC):
    """Where a report's tables live. Cheap to build; `open()` connects for one block."""

    name: ClassVar[EngineKind]

    @abstractmethod
    def open(self) -> AbstractContextManager[Connection]:
        """Connect for the length of a `with` block; the connection is released after it."""

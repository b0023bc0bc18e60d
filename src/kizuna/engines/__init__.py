"""Engines behind one interface: the operational database, DuckDB over Parquet, Spark.

Analytics take ibis tables; this room opens the engines that hold them (`Engine.open()`
yields a `Connection` whose tables are scoped to one workspace and whose `run` executes a
counting query) and picks one by name (`pick_engine`). It reads nothing at import time,
imports pyspark only when a Spark engine opens, and knows no feature's rules.
"""

from kizuna.engines.base import Connection, Engine, EngineKind, QueryRunner
from kizuna.engines.choose import (
    ENGINE_NAMES,
    EXPORT_ENGINES,
    EngineName,
    engine_kind,
    pick_engine,
)
from kizuna.engines.connect import (
    ANALYTIC_TABLES,
    export_tables,
    open_operational,
    open_parquet,
    scoped_table,
)
from kizuna.engines.execute import execute_keyed
from kizuna.engines.local import OperationalEngine, ParquetEngine
from kizuna.engines.spark import SparkEngine, spark_master, spark_session, stop_spark

__all__ = [
    "ANALYTIC_TABLES",
    "ENGINE_NAMES",
    "EXPORT_ENGINES",
    "Connection",
    "Engine",
    "EngineKind",
    "EngineName",
    "OperationalEngine",
    "ParquetEngine",
    "QueryRunner",
    "SparkEngine",
    "engine_kind",
    "execute_keyed",
    "export_tables",
    "open_operational",
    "open_parquet",
    "pick_engine",
    "scoped_table",
    "spark_master",
    "spark_session",
    "stop_spark",
]

"""ibis connections: the operational database, DuckDB over a Parquet export (Spark later).

Analytics take ibis tables; this room opens the backends that hold them and scopes every
table to one workspace. It reads nothing at import time and knows no feature's rules.
"""

from kizuna.engines.connect import (
    ANALYTIC_TABLES,
    open_operational,
    open_parquet,
    scoped_table,
)
from kizuna.engines.execute import execute_keyed

__all__ = [
    "ANALYTIC_TABLES",
    "execute_keyed",
    "open_operational",
    "open_parquet",
    "scoped_table",
]

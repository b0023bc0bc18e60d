"""Run ibis table expressions into pandas frames, compiling each shape of query once.

ibis turns an expression into SQL afresh on every `execute`: 10-20 ms for a metric's
two-stage group-by, as long as DuckDB takes to count a million answers. Reports and
dashboards ask the same few shapes of query over and over, so `execute_frame` keeps the
SQL of recent expressions, keyed by the backend's dialect and the expression itself
(ibis expressions compare by structure: table names, schemas, filters and literals, never
the connection). On DuckDB the cached SQL runs straight into pandas; other engines take
ibis's own `execute`, where the query, not the compilation, is the cost. Callers normalise
the frame's types (dates, labels, integer counts) themselves, as `finish_metric` does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

__all__ = ["compiled_sql", "execute_frame"]

CACHE_SIZE = 256

_lock = threading.Lock()
_compiled: OrderedDict[tuple[str, ops.Node], str] = OrderedDict()


def compiled_sql(backend: BaseBackend, expression: ir.Table) -> str:
    """The backend's SQL for `expression`, compiled once per dialect and expression shape."""
    key = (backend.name, expression.op())
    with _lock:
        sql = _compiled.get(key)
        if sql is not None:
            _compiled.move_to_end(key)
            return sql
    sql = str(backend.compile(expression))
    with _lock:
        _compiled[key] = sql
        while len(_compiled) > CACHE_SIZE:
            _compiled.popitem(last=False)
    return sql


def execute_frame(expression: ir.Table) -> pd.DataFrame:
    """The rows of `expression` as a pandas frame (column names as in the expression)."""
    backend = expression.get_backend()
    if backend.name != "duckdb" or expression.op().find(ops.InMemoryTable):
        # In-memory tables need ibis's pre-execute registration; other engines gain little.
        result = expression.execute()
        assert isinstance(result, pd.DataFrame)
        return result
    relation = backend.con.sql(compiled_sql(backend, expression))
    frame = relation.df()
    assert isinstance(frame, pd.DataFrame)
    return frame

"""NPS, CSAT, CES and eNPS with intervals and period-over-period change.

Counting happens where the data lives: `count_metric` builds one ibis expression that runs
unchanged on SQLite, PostgreSQL, DuckDB (Parquet) or Spark; weeks and months are counted per
day first and the days then added up, so only the day-level rows are truncated. The small
aggregated frame is then finished here with NumPy/SciPy (`finish_metric`, formulas in
`kizuna.analytics.intervals`): values, 95% intervals, the change against the previous period
of the same group and whether that change is significant.

Scales of the output `value`:
- nps / enps: -100..100 (percent promoters minus percent detractors); change in points.
- csat: percent of answers 4-5 on 1-5 (top-2-box); change in percentage points.
- ces: mean on 1-7; `share_easy` is the percent of answers 5-7.

Change tests at 95% against the previous calendar period of the same group (None when
that period has no answers or the test is undefined): NPS and eNPS compare two independent
adjusted-Wald estimates with a z-test; CSAT uses the pooled two-proportion z-test; CES uses
Welch's t-test on the means. With a `start` date the period before it is read too, so the
first period shown still has its change.

Pure: takes ibis tables and frames, knows nothing of the database, workspaces or the web.
Callers scope the tables to one workspace before handing them over. Importing this module
loads neither ibis (the tables arrive built) nor pandas nor SciPy (imported where used),
so a command that only needs `METRICS` starts fast.

Two rooms behind this one (import from here): the vocabulary and counting in
`_metric_counts`, the finishing in `_metric_finish`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from functools import partial
from typing import TYPE_CHECKING, TypeAlias

from kizuna.analytics._metric_counts import (
    COUNT_COLUMNS,
    CUSTOMER_DIMENSIONS,
    EMPLOYEE_SOURCE,
    FEEDBACK_DIMENSIONS,
    METRICS,
    PERIODS,
    SCORE_COLUMN,
    TRUNCATE_UNIT,
    Metric,
    Period,
    check_arguments,
    count_metric,
    shift_period,
    start_of_period,
)
from kizuna.analytics._metric_finish import Columns, check_confidence, finish_metric
from kizuna.analytics.intervals import nps_interval, t_interval, wilson_interval

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

__all__ = [
    "COUNT_COLUMNS",
    "CUSTOMER_DIMENSIONS",
    "EMPLOYEE_SOURCE",
    "FEEDBACK_DIMENSIONS",
    "METRICS",
    "PERIODS",
    "SCORE_COLUMN",
    "TRUNCATE_UNIT",
    "Columns",
    "Metric",
    "Period",
    "QueryRunner",
    "compute_metric_frame",
    "count_metric",
    "finish_metric",
    "nps_interval",
    "shift_period",
    "start_of_period",
    "t_interval",
    "wilson_interval",
]


# Runs a counting query: `run(key, build)` returns the rows of the expression `build()`
# makes; `key` names that query exactly, so a runner may reuse work done for an equal key.
QueryRunner: TypeAlias = "Callable[[Hashable, Callable[[], ir.Table]], pd.DataFrame]"


def _execute(key: Hashable, build: Callable[[], ir.Table]) -> pd.DataFrame:
    import pandas as pd

    result = build().execute()
    assert isinstance(result, pd.DataFrame)  # ibis's contract for a table expression
    return result


def compute_metric_frame(
    feedback: ir.Table,
    metric: Metric,
    by: Sequence[str] = (),
    period: Period | None = None,
    customers: ir.Table | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    confidence: float = 0.95,
    run: QueryRunner = _execute,
) -> pd.DataFrame:
    """Count on the tables' engine, then finish in Python: the metric's report frame.

    `run` runs the counting query (default: ibis's `execute`); the reports room passes
    one that reuses the SQL of an equal earlier query.
    """
    by = tuple(by)
    check_arguments(metric, by, period)
    check_confidence(confidence)
    key = (
        "count_metric",
        feedback.op(),
        None if customers is None else customers.op(),
        metric,
        by,
        period,
        start,
        end,
    )
    counts = run(key, partial(count_metric, feedback, metric, by, period, customers, start, end))
    return finish_metric(counts, metric, by, period, start, confidence)

"""The metrics' finishing half (behind `metrics`): from the aggregated counts of
`count_metric` to values, 95% intervals, the change against the previous period of the same
group and whether that change is significant (formulas in `kizuna.analytics.intervals`).
NumPy at import; pandas and SciPy where used.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from kizuna.analytics._metric_counts import (
    COUNT_COLUMNS,
    Metric,
    Period,
    check_arguments,
    start_of_period,
)
from kizuna.analytics.intervals import (
    confidence_of,
    nps_adjusted,
    nps_interval,
    t_interval,
    welch_significant,
    wilson_interval,
    z_critical,
)
from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["Columns", "check_confidence", "finish_metric"]


def check_confidence(confidence: float) -> None:
    number = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    if not number or not 0 < confidence < 1:
        raise InvalidInput(
            f"confidence must be a level between 0 and 1, such as 0.95 (got {confidence!r}).",
            f"confidence は 0.95 のように 0 と 1 の間の値で指定してください(指定値: {confidence!r})。",
            confidence=repr(confidence),
        )


# The finishing half works on plain NumPy columns (name -> array, one entry per group) and
# builds the report frame once at the end: a few hundred groups cost microseconds this way,
# where column-by-column pandas assignment cost milliseconds per call.
Columns: TypeAlias = "dict[str, NDArray[Any]]"


def _counts(values: pd.Series) -> NDArray[np.int64]:
    """A count column as int64, missing as 0 (engines return int, float, HUGEINT or Decimal)."""
    array: NDArray[Any] = values.to_numpy()
    if array.dtype.kind == "f":
        array = np.nan_to_num(array, nan=0.0)
    elif array.dtype.kind not in "iu":
        array = values.fillna(0).to_numpy()
    return array.astype(np.int64, copy=False)


def _days(values: pd.Series) -> NDArray[np.datetime64]:
    """Period starts as datetime64[D], whatever type the engine gave the dates."""
    import pandas as pd

    array = values.to_numpy()
    if array.dtype.kind == "M":
        return array.astype("datetime64[D]")
    stamps = pd.DatetimeIndex(pd.to_datetime(array))
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    return stamps.to_numpy().astype("datetime64[D]")


def _normalise_counts(raw: pd.DataFrame, metric: Metric, by: Sequence[str]) -> Columns:
    """Same types whatever the engine returned: datetime64[D], Python objects for labels, int64.

    Groups without answers (n = 0, which an outer join can produce) are dropped.
    """
    import pandas as pd

    n = _counts(raw["n"])
    keep = n > 0
    columns: Columns = {}
    if "period" in raw.columns:
        columns["period"] = _days(raw["period"])[keep]
    for name in by:
        labels = raw[name].to_numpy(dtype=object)[keep]
        labels[pd.isna(labels)] = None
        columns[name] = labels
    columns["n"] = n[keep]
    for name in COUNT_COLUMNS[metric]:
        columns[name] = _counts(raw[name])[keep]
    return columns


def _take(columns: Columns, rows: NDArray[np.intp]) -> Columns:
    return {name: values[rows] for name, values in columns.items()}


def _values(columns: Columns, metric: Metric, by: Sequence[str], z: float) -> Columns:
    """The report columns: keys, n, value, ci_low, ci_high, then the metric's own columns."""
    out: Columns = {name: columns[name] for name in ("period", *by, "n") if name in columns}
    n = columns["n"].astype(float)
    if metric in ("nps", "enps"):
        promoters, detractors = columns["promoters"], columns["detractors"]
        low, high = nps_interval(promoters, detractors, n, z)
        out["value"] = 100.0 * (promoters - detractors) / n
        out["ci_low"], out["ci_high"] = 100.0 * low, 100.0 * high
        out["promoters"] = promoters
        out["passives"] = columns["n"] - promoters - detractors
        out["detractors"] = detractors
    elif metric == "csat":
        top2 = columns["top2"]
        low, high = wilson_interval(top2, n, z)
        out["value"] = 100.0 * top2 / n
        out["ci_low"], out["ci_high"] = 100.0 * low, 100.0 * high
        out["top2"] = top2
    else:
        mean = columns["total"] / n
        sd = _sample_sd(columns["n"], columns["total"], columns["total_sq"])
        low, high = t_interval(mean, sd, n, confidence=confidence_of(z))
        easy = columns["easy"]
        easy_low, easy_high = wilson_interval(easy, n, z)
        out["value"], out["ci_low"], out["ci_high"] = mean, low, high
        out["mean"], out["sd"] = mean, sd
        out["share_easy"] = 100.0 * easy / n
        out["share_easy_ci_low"], out["share_easy_ci_high"] = 100.0 * easy_low, 100.0 * easy_high
    return out


def _sample_sd(
    n: NDArray[np.int64], total: NDArray[np.int64], total_sq: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Sample sd from exact integer sums: sqrt((n * sum x^2 - (sum x)^2) / (n (n - 1))).

    The numerator is formed in Python integers, so it is exact however many answers were
    summed (a float `sum x^2 - n * mean^2` loses digits to cancellation); NaN when n < 2.
    """
    sds = [
        math.sqrt((k * sq - t * t) / (k * (k - 1))) if k > 1 else math.nan
        for k, t, sq in zip(n.tolist(), total.tolist(), total_sq.tolist(), strict=True)
    ]
    return np.asarray(sds, dtype=float)


def _change_significant(
    metric: Metric, current: Columns, previous: Columns, z: float
) -> NDArray[Any]:
    """Whether each change is significant at 95%; None where it cannot be tested."""
    n1, n0 = current["n"].astype(float), previous["n"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric in ("nps", "enps"):
            # Difference of two independent NPS, adjusted-Wald variances (Rocks 2016).
            est1, var1 = nps_adjusted(current["promoters"], current["detractors"], n1)
            est0, var0 = nps_adjusted(previous["promoters"], previous["detractors"], n0)
            statistic = (est1 - est0) / np.sqrt(var1 + var0)
            significant = np.abs(statistic) > z
            testable = np.isfinite(statistic)
        elif metric == "csat":
            # Pooled two-proportion z-test (Agresti, Categorical Data Analysis, 3rd ed., 2013).
            k1, k0 = current["top2"].astype(float), previous["top2"].astype(float)
            pooled = (k1 + k0) / (n1 + n0)
            se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
            statistic = np.where(se > 0, (k1 / n1 - k0 / n0) / se, 0.0)
            significant = np.abs(statistic) > z
            testable = np.ones(len(n1), dtype=bool)
        else:
            significant, testable = welch_significant(
                current["mean"], current["sd"], n1, previous["mean"], previous["sd"], n0
            )
    flags = np.full(len(n1), None, dtype=object)
    flags[testable] = significant[testable].astype(bool)
    return flags


def _previous_period(days: NDArray[np.datetime64], period: Period) -> NDArray[np.datetime64]:
    """Start of the period before each period starting on `days` (datetime64[D])."""
    if period == "month":
        return (days.astype("datetime64[M]") - 1).astype("datetime64[D]")
    return days - (7 if period == "week" else 1)


def _with_change(
    columns: Columns,
    metric: Metric,
    labels: NDArray[np.int64],
    period: Period | None,
    z: float,
) -> Columns:
    """Add previous_value, change and change_significant against the previous period.

    `labels` numbers each row's combination of dimension values (`_label_codes`); a row's
    previous period is the row with the same number whose period starts one period earlier.
    """
    size = len(columns["n"])
    out = dict(columns)
    out["previous_value"] = np.full(size, np.nan)
    out["change"] = np.full(size, np.nan)
    out["change_significant"] = np.full(size, None, dtype=object)
    if period is None or size == 0:
        return out
    width = int(labels.max()) + 1
    days = columns["period"]
    keys = days.astype(np.int64) * width + labels
    wanted = _previous_period(days, period).astype(np.int64) * width + labels
    order = np.argsort(keys, kind="stable")
    at = np.minimum(np.searchsorted(keys, wanted, sorter=order), size - 1)
    found = keys[order[at]] == wanted
    if not found.any():
        return out
    current_at = np.flatnonzero(found)
    previous_at = order[at[found]]
    values = columns["value"][previous_at]
    out["previous_value"][current_at] = values
    out["change"][current_at] = columns["value"][current_at] - values
    flags = _change_significant(metric, _take(columns, current_at), _take(columns, previous_at), z)
    out["change_significant"][current_at] = flags
    return out


def finish_metric(
    counts: pd.DataFrame,
    metric: Metric,
    by: Sequence[str] = (),
    period: Period | None = None,
    start: dt.date | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Values, intervals and change from the aggregated counts of `count_metric`."""
    import pandas as pd

    check_arguments(metric, by, period)
    check_confidence(confidence)
    columns = _normalise_counts(counts, metric, by)
    labels = _label_codes(columns, by)
    if (period or by) and len(labels):
        # Rows by period, then by dimension values (missing values last).
        keys = [labels, columns["period"]] if period else [labels]
        rows = np.lexsort(keys).astype(np.intp)
        columns, labels = _take(columns, rows), labels[rows]
    z = z_critical(confidence)
    columns = _with_change(_values(columns, metric, by, z), metric, labels, period, z)
    if period is not None and start is not None:
        # The period before `start` was read only to give the first period its change.
        first = np.datetime64(start_of_period(start, period), "D")
        columns = _take(columns, np.flatnonzero(columns["period"] >= first))
    if period is not None:
        columns["period"] = columns["period"].astype(object)  # datetime.date
    # Labels, dates and flags stay Python objects (pandas would infer its own str dtype).
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object) if values.dtype == object else values
            for name, values in columns.items()
        }
    )


def _label_codes(columns: Columns, by: Sequence[str]) -> NDArray[np.int64]:
    """Each row's combination of dimension values as a number, in sorted order.

    Numbers follow the values' order dimension by dimension, a missing value after every
    present one (None never meets `<` with a str); rows without dimensions all get 0.
    """
    import pandas as pd

    size = len(columns["n"])
    if not by:
        return np.zeros(size, dtype=np.int64)
    ranks = []
    for name in by:
        codes, uniques = pd.factorize(columns[name], sort=True, use_na_sentinel=True)
        ranks.append(np.where(codes < 0, len(uniques), codes).astype(np.int64))
    if len(ranks) == 1:
        return ranks[0]
    _, combined = np.unique(np.column_stack(ranks), axis=0, return_inverse=True)
    return combined.reshape(-1).astype(np.int64)

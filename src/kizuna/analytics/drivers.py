"""Key drivers: which attributes move an outcome (NPS, CSAT), and which to fix first.

Pure functions over a plain pandas frame, one row per respondent (or customer), so they work
in a notebook on any survey:

    relative_weights(frame, "nps", ["staff", "room", "breakfast"])   # Johnson (2000)
    shapley_regression(frame, "nps", ["staff", "room", "breakfast"])  # exact, up to 12
    importance_performance(weights, performance)                      # "fix first", ...

Relative weights (Johnson 2000) split the R^2 of a linear regression of the outcome on
correlated drivers: the drivers are replaced by their closest orthogonal counterparts, the
outcome is regressed on those, and each driver gets back its share through the squared
loadings. Intervals are percentile bootstrap intervals; a driver is significant when the
interval of its weight minus that of a random variable added to every resample excludes zero
(Tonidandel, LeBreton & Johnson 2009). Shapley value regression (Lipovetsky & Conklin 2001;
the "LMG" of Lindeman, Merenda & Gold 1980) averages each driver's gain in R^2 over every
order of entry; computed exactly over all 2^p subsets, so up to `MAX_SHAPLEY_DRIVERS`
drivers. Both add up to the model's R^2 and rank drivers alike on most data; they are shown
side by side as a cross-check.

Rows with a missing outcome or driver are left out (`attrs["n"]` says how many were used).
Too few rows, a driver with one value only, or drivers that are (nearly) linear combinations
of one another are refused with InsufficientData / InvalidInput naming them: their weights
would be arbitrary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.analytics._relative_weights import bootstrap_relative_weights
from kizuna.errors import InsufficientData, InvalidInput

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = [
    "MAX_SHAPLEY_DRIVERS",
    "QUADRANTS",
    "importance_performance",
    "relative_weights",
    "shapley_regression",
]

MAX_SHAPLEY_DRIVERS = 12
# Importance above the mean share x performance above the mean performance.
QUADRANTS = ("fix_first", "keep_it_up", "low_priority", "possible_overkill")
# Smallest eigenvalue of the drivers' correlation matrix below which they are collinear.
_COLLINEAR = 1e-6


def relative_weights(
    frame: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per driver, strongest first: `weight` (raw; the weights sum to R^2),
    `share` (of R^2, sums to 1), `ci_low`/`ci_high` (bootstrap interval of the weight),
    `significant`, `direction` (+1 when more of the driver goes with a higher outcome).

    `attrs`: `r2`, `n` (rows used), `outcome`. Same seed and data, same answer.
    """
    import pandas as pd

    x, y, names = _matrix(frame, outcome, drivers)
    fitted = bootstrap_relative_weights(x, y, n_boot=n_boot, confidence=confidence, seed=seed)
    result = pd.DataFrame(
        {
            "driver": names,
            "weight": fitted.weights,
            "share": fitted.weights / fitted.r2 if fitted.r2 > 0 else np.nan,
            "ci_low": fitted.ci_low,
            "ci_high": fitted.ci_high,
            "significant": fitted.significant,
            "direction": fitted.direction.astype(int),
        }
    )
    return _ranked(result, "weight", r2=fitted.r2, n=len(y), outcome=outcome)


def shapley_regression(frame: pd.DataFrame, outcome: str, drivers: Sequence[str]) -> pd.DataFrame:
    """Exact Shapley values of R^2: one row per driver, strongest first, with `shapley`
    (they sum to R^2) and `share` (sums to 1); `attrs` as `relative_weights`."""
    import pandas as pd

    if len(drivers) > MAX_SHAPLEY_DRIVERS:
        raise InvalidInput(
            f"Shapley value regression is exact over every subset of drivers, so it takes at "
            f"most {MAX_SHAPLEY_DRIVERS} (got {len(drivers)}). Choose fewer, or use relative "
            "weights, which take any number.",
            f"シャープレイ値回帰は説明変数のすべての組み合わせで厳密に計算するため、"
            f"{MAX_SHAPLEY_DRIVERS} 個までです({len(drivers)} 個)。数を減らすか、"
            "個数に制限のない相対重要度(relative weights)を使ってください。",
            drivers=len(drivers),
        )
    x, y, names = _matrix(frame, outcome, drivers)
    values = _shapley(_correlations(x, y))
    r2 = float(values.sum())
    result = pd.DataFrame(
        {"driver": names, "shapley": values, "share": values / r2 if r2 > 0 else np.nan}
    )
    return _ranked(result, "shapley", r2=r2, n=len(y), outcome=outcome)


def importance_performance(
    weights: pd.DataFrame, performance: Mapping[str, float], *, importance: str = "share"
) -> pd.DataFrame:
    """The weights with each driver's `performance` (e.g. its mean rating) and `quadrant`:
    fix_first (important, performing below the drivers' mean), keep_it_up (important and
    above), low_priority (less important, below), possible_overkill (less important, above).
    Important means a share above the drivers' mean share."""
    missing = [d for d in weights["driver"] if d not in performance]
    if missing:
        raise InvalidInput(
            f"No performance given for {', '.join(map(str, missing))}.",
            f"{'、'.join(map(str, missing))} の評価値(performance)がありません。",
            missing=missing,
        )
    result = weights.copy()
    result["performance"] = [float(performance[d]) for d in result["driver"]]
    high_importance = result[importance] > result[importance].mean()
    high_performance = result["performance"] > result["performance"].mean()
    result["quadrant"] = [
        ("keep_it_up" if good else "fix_first") if important else
        ("possible_overkill" if good else "low_priority")
        for important, good in zip(high_importance, high_performance, strict=True)
    ]  # fmt: skip
    return result


# --- inside ---------------------------------------------------------------------------------


def _matrix(
    frame: pd.DataFrame, outcome: str, drivers: Sequence[str]
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    """The complete rows as numbers, checked: enough of them, every driver varying, none a
    linear combination of the others."""
    import pandas as pd

    names = [str(d) for d in drivers]
    if not names:
        raise InvalidInput("Name at least one driver.", "説明変数を 1 つ以上指定してください。")
    if len(set(names)) != len(names) or outcome in names:
        raise InvalidInput(
            "Each driver once, and not the outcome itself.",
            "説明変数は重複なく、目的変数以外を指定してください。",
        )
    missing = [c for c in [outcome, *names] if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"The data have no column {', '.join(missing)}.",
            f"データに列 {'、'.join(missing)} がありません。",
            missing=missing,
        )
    numbers = frame[[outcome, *names]].apply(pd.to_numeric, errors="coerce").dropna()
    n, p = len(numbers), len(names)
    if n < max(10, p + 2):
        raise InsufficientData(
            f"Key-driver analysis needs at least 10 complete rows and more rows than drivers "
            f"plus two (got {n} rows with {outcome} and every driver, for {p} drivers). Widen "
            "the period or the group, or choose fewer drivers.",
            f"キードライバー分析には、{outcome} とすべての説明変数がそろった行が 10 行以上、"
            f"かつ説明変数の数+2 行以上必要です({p} 個の説明変数に {n} 行)。期間や対象を"
            "広げるか、説明変数を減らしてください。",
            rows=n,
            drivers=p,
        )
    x = numbers[names].to_numpy(dtype=float)
    y = numbers[outcome].to_numpy(dtype=float)
    if np.ptp(y) == 0:
        raise InsufficientData(
            f"Every row has the same {outcome}: there is nothing to explain.",
            f"すべての行で {outcome} が同じ値のため、分析できません。",
        )
    flat = [names[j] for j in range(p) if np.ptp(x[:, j]) == 0]
    if flat:
        raise InsufficientData(
            f"{', '.join(flat)} has the same value in every row; leave it out.",
            f"{'、'.join(flat)} はすべての行で同じ値です。説明変数から外してください。",
            drivers=flat,
        )
    corr = np.corrcoef(x, rowvar=False).reshape(p, p)
    values, vectors = np.linalg.eigh(corr)
    if values[0] < _COLLINEAR:
        loadings = np.abs(vectors[:, 0])  # the near-null combination of the drivers
        tied = [names[j] for j in np.flatnonzero(loadings > 0.01 * loadings.max())]
        raise InvalidInput(
            f"{', '.join(tied)} are collinear: one is (nearly) a combination of the others, "
            "so their weights cannot be told apart. Leave one of them out or combine them.",
            f"{'、'.join(tied)} は共線関係にあります(ほぼ互いの組み合わせで表せます)。"
            "重要度を区別できないため、どれかを外すか 1 つにまとめてください。",
            drivers=tied,
        )
    return x, y, names


def _correlations(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    columns = x.shape[1] + 1
    full = np.asarray(np.corrcoef(np.column_stack([x, y]), rowvar=False)).reshape(columns, columns)
    return full[:-1, :-1], full[:-1, -1]


def _shapley(correlations: tuple[NDArray[np.float64], NDArray[np.float64]]) -> NDArray[np.float64]:
    """Exact Shapley values of R^2 over all 2^p subsets (R^2 of a subset S: r_S' R_SS^-1 r_S)."""
    rxx, rxy = correlations
    p = len(rxy)
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        members = [j for j in range(p) if mask >> j & 1]
        sub = rxy[members]
        r2[mask] = float(sub @ np.linalg.solve(rxx[np.ix_(members, members)], sub))
    size = np.array([bin(m).count("1") for m in range(1 << p)])
    weight = np.array([math.factorial(s) * math.factorial(p - s - 1) for s in range(p)]) / (
        math.factorial(p)
    )
    values = np.zeros(p)
    for j in range(p):
        bit = 1 << j
        without = np.array([m for m in range(1 << p) if not m & bit])
        values[j] = float((weight[size[without]] * (r2[without | bit] - r2[without])).sum())
    return values


def _ranked(result: pd.DataFrame, by: str, **attrs: Any) -> pd.DataFrame:
    order = np.lexsort((result["driver"].to_numpy(), -result[by].to_numpy()))
    ranked = result.iloc[order].reset_index(drop=True)
    ranked.attrs.update(attrs)
    return ranked

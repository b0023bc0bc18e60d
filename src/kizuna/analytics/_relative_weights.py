"""Relative weights of correlated predictors (Johnson 2000), with bootstrap intervals.

The engine behind `kizuna.analytics.drivers` (the public key-driver functions) and the
journeys' moments of truth: the key-driver analysis ARCHITECTURE.md defines ("relative
weights of topic/touchpoint indicators on the outcome score, with bootstrap intervals; a
driver whose interval spans zero is shown as not significant"). Pure NumPy.

Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
variables in multiple regression. Multivariate Behavioral Research 35(1), 1-19: the
predictors are replaced by their closest orthogonal counterparts Z = X R^(-1/2), y is
regressed on Z (beta = R^(-1/2) r_xy), and each predictor gets the squared loadings of
R^(1/2) times beta squared; the weights add up to the model's R^2.
Significance follows Tonidandel, LeBreton & Johnson (2009), Psychological Methods 14(4):
a random variable joins the predictors in each bootstrap sample, and a predictor is
significant when the interval of its weight minus the random variable's excludes zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kizuna.errors import InsufficientData

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["RelativeWeights", "bootstrap_relative_weights", "relative_weights"]

_TINY = 1e-10


def _standardised(values: NDArray[np.float64]) -> NDArray[np.float64]:
    centred = values - values.mean(axis=0)
    scale = np.sqrt((centred**2).sum(axis=0))
    out: NDArray[np.float64] = centred / np.where(scale > _TINY, scale, 1.0)
    return out


def relative_weights(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Raw relative weights of the columns of `x` on `y` (they sum to R^2).

    A constant column gets weight 0; nearly collinear columns share their weight (the
    eigenvalues of the correlation matrix are floored at 1e-10).
    """
    xs, ys = _standardised(np.asarray(x, dtype=float)), _standardised(np.asarray(y, dtype=float))
    if xs.ndim != 2 or len(xs) != len(ys):
        raise ValueError("x must be (n, p) and y (n,)")
    corr_xx = xs.T @ xs
    corr_xy = xs.T @ ys
    values, vectors = np.linalg.eigh(corr_xx)
    values = np.clip(values, _TINY, None)
    root = (vectors * np.sqrt(values)) @ vectors.T  # R^(1/2), the loadings of X on Z
    beta = (vectors / np.sqrt(values)) @ (vectors.T @ corr_xy)  # y on Z
    weights = (root**2) @ (beta**2)
    constant = np.sqrt((xs**2).sum(axis=0)) < 0.5
    weights[constant] = 0.0
    return np.asarray(weights, dtype=float)


@dataclass(frozen=True)
class RelativeWeights:
    """Weights (sum = r2) with percentile bootstrap intervals and significance flags."""

    weights: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    significant: NDArray[np.bool_]
    direction: NDArray[np.float64]  # sign of each predictor's correlation with y
    r2: float
    n: int


def bootstrap_relative_weights(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    max_rows: int = 20_000,
) -> RelativeWeights:
    """Relative weights, their bootstrap intervals and Tonidandel-LeBreton significance.

    The bootstrap resamples at most `max_rows` rows (a seeded subsample beyond that keeps
    the cost bounded); the point estimates use every row. Same seed, same answer.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n, p = x.shape
    if n < max(10, p + 2):
        raise InsufficientData(
            f"Key-driver analysis needs more rows than predictors plus two, and at least 10 "
            f"(got {n} rows for {p} predictors). Widen the period or the group.",
            f"キードライバー分析には、説明変数の数+2 以上かつ 10 以上の行が必要です"
            f"({p} 個の説明変数に {n} 行)。期間や対象を広げてください。",
            rows=n,
            predictors=p,
        )
    weights = relative_weights(x, y)
    rng = np.random.default_rng(seed)
    rows = np.arange(n) if n <= max_rows else np.sort(rng.choice(n, max_rows, replace=False))
    draws = np.empty((n_boot, p))
    versus_random = np.empty((n_boot, p))
    for b in range(n_boot):
        sample = rows[rng.integers(0, len(rows), len(rows))]
        noise = rng.standard_normal(len(sample))
        both = relative_weights(np.column_stack([x[sample], noise]), y[sample])
        draws[b] = relative_weights(x[sample], y[sample])
        versus_random[b] = both[:p] - both[p]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
    above = np.percentile(versus_random, tail, axis=0)
    centred_x = x - x.mean(axis=0)
    direction = np.sign(centred_x.T @ (y - y.mean()))
    return RelativeWeights(
        weights=weights,
        ci_low=low,
        ci_high=high,
        significant=above > 0,
        direction=direction,
        r2=float(weights.sum()),
        n=n,
    )

"""Interval and change-test formulas of the experience metrics, vectorised over groups.

Pure NumPy/SciPy on arrays of per-group counts: `kizuna.analytics.metrics` counts on the
engine and calls these on the small aggregated frame. Nothing here knows ibis, a database
or the web. Every formula cites its source; all work at any confidence level (95% default).

Normal and Student t quantiles come from `scipy.special` (ndtri, ndtr, stdtrit, stdtr), the
very functions `scipy.stats.norm` and `scipy.stats.t` evaluate; importing scipy.stats
would cost about half a second more. SciPy is imported on first use, not with this module.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "confidence_of",
    "nps_adjusted",
    "nps_interval",
    "t_interval",
    "welch_significant",
    "wilson_interval",
    "z_critical",
]

Z95 = 1.959963984540054  # standard normal 97.5% quantile


@functools.lru_cache(maxsize=64)
def z_critical(confidence: float = 0.95) -> float:
    """Two-sided critical value of the standard normal (1.959964 at 95%)."""
    from scipy.special import ndtri  # the standard normal's quantile function

    return float(ndtri(0.5 + confidence / 2))


def confidence_of(z: float) -> float:
    """The two-sided confidence level whose normal critical value is `z`."""
    from scipy.special import ndtr  # the standard normal's distribution function

    return float(2 * ndtr(z) - 1)


def nps_adjusted(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Adjusted NPS (as a -1..1 difference) and its variance.

    Adjusted Wald: add 3 to n and 3/4 to promoters and to detractors (Rocks 2016,
    "Interval estimation for the net promoter score", The American Statistician 70(4)).
    """
    n_adj = np.asarray(n, dtype=float) + 3.0
    p = (np.asarray(promoters, dtype=float) + 0.75) / n_adj
    d = (np.asarray(detractors, dtype=float) + 0.75) / n_adj
    estimate = p - d
    return estimate, (p + d - estimate**2) / n_adj


def nps_interval(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike, z: float = Z95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Adjusted-Wald interval of NPS on the -1..1 scale, clipped to that range."""
    estimate, variance = nps_adjusted(promoters, detractors, n)
    half = z * np.sqrt(variance)
    return np.clip(estimate - half, -1.0, 1.0), np.clip(estimate + half, -1.0, 1.0)


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, z: float = Z95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval of a proportion (Wilson 1927, JASA 22(158))."""
    k, total = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    p = k / total
    denominator = 1 + z**2 / total
    centre = (p + z**2 / (2 * total)) / denominator
    half = z * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / denominator
    return centre - half, centre + half


def t_interval(
    mean: ArrayLike, sd: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Student t interval of a mean: mean -/+ t(1-a/2, n-1) * sd / sqrt(n); NaN when n < 2."""
    from scipy.special import stdtrit  # Student t quantile: stdtrit(df, p)

    m, s, total = (np.asarray(v, dtype=float) for v in (mean, sd, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(total > 1, total - 1, np.nan)
        half = stdtrit(df, 0.5 + confidence / 2) * s / np.sqrt(total)
    return m - half, m + half


def welch_significant(
    mean1: NDArray[np.float64],
    sd1: NDArray[np.float64],
    n1: NDArray[np.float64],
    mean0: NDArray[np.float64],
    sd0: NDArray[np.float64],
    n0: NDArray[np.float64],
    alpha: float = 0.05,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Welch's t-test of two means (Welch 1947, Biometrika 34): (significant, testable)."""
    from scipy.special import stdtr  # Student t distribution function: stdtr(df, x)

    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v0 = sd1**2 / n1, sd0**2 / n0
        se = np.sqrt(v1 + v0)
        statistic = (mean1 - mean0) / se
        # Welch-Satterthwaite degrees of freedom.
        df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1))
        p_value = 2 * stdtr(df, -np.abs(statistic))  # two-sided: 2 * P(T > |t|)
    testable = (n1 > 1) & (n0 > 1) & np.isfinite(p_value)
    return np.where(testable, p_value < alpha, False), testable

"""The interval formulas take their quantiles from scipy.special: the same numbers as scipy.stats.

`kizuna.analytics.intervals` calls ndtri, ndtr, stdtrit and stdtr directly (what
scipy.stats.norm and scipy.stats.t evaluate) so that a report does not import scipy.stats;
these tests pin that the values are identical, not merely close.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from kizuna.analytics.intervals import (
    confidence_of,
    t_interval,
    welch_significant,
    z_critical,
)


def test_normal_quantiles_equal_scipy_stats() -> None:
    for confidence in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        z = z_critical(confidence)
        assert z == float(stats.norm.ppf(0.5 + confidence / 2))
        assert confidence_of(z) == float(2 * stats.norm.cdf(z) - 1)
    assert z_critical(0.95) == 1.959963984540054


def test_t_interval_equals_the_scipy_stats_formula() -> None:
    n = np.array([0, 1, 2, 3, 10, 30, 1000], dtype=float)
    mean = np.linspace(1, 7, len(n))
    sd = np.linspace(0.1, 2, len(n))
    for confidence in (0.9, 0.95, 0.99):
        low, high = t_interval(mean, sd, n, confidence)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = np.where(n > 1, n - 1, np.nan)
            half = stats.t.ppf(0.5 + confidence / 2, df) * sd / np.sqrt(n)
        np.testing.assert_array_equal(low, mean - half)
        np.testing.assert_array_equal(high, mean + half)
    assert np.isnan(low[:2]).all() and np.isfinite(low[2:]).all()


def test_welch_test_equals_the_scipy_stats_formula() -> None:
    rng = np.random.default_rng(3)
    size = 200
    mean1, mean0 = rng.normal(4, 1, size), rng.normal(4, 1, size)
    sd1, sd0 = rng.uniform(0, 2, size), rng.uniform(0, 2, size)
    n1, n0 = rng.integers(1, 60, size).astype(float), rng.integers(1, 60, size).astype(float)
    sd0[:5] = sd1[:5] = 0.0  # no spread on either side: untestable
    significant, testable = welch_significant(mean1, sd1, n1, mean0, sd0, n0)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v0 = sd1**2 / n1, sd0**2 / n0
        statistic = (mean1 - mean0) / np.sqrt(v1 + v0)
        df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1))
        p_value = 2 * stats.t.sf(np.abs(statistic), df)
    expected_testable = (n1 > 1) & (n0 > 1) & np.isfinite(p_value)
    np.testing.assert_array_equal(testable, expected_testable)
    np.testing.assert_array_equal(significant, np.where(expected_testable, p_value < 0.05, False))
    assert testable.any() and not testable.all() and significant.any()

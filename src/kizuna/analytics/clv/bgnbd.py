"""BG/NBD: how many purchases a customer will make, and whether they are still "alive".

Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science
24(2). Purchases follow Poisson(lambda), lambda ~ Gamma(r, alpha); after each repeat
purchase a customer drops out with probability p, p ~ Beta(a, b).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, expit, gammaln, hyp2f1

from kizuna.analytics.clv.base import (
    FloatArray,
    PurchaseModel,
    Rows,
    as_float_array,
    check_rfm,
    w_sum_dot,
)

__all__ = ["BetaGeoModel", "bgnbd_loglik", "simulate_bgnbd"]


def bgnbd_loglik(params: FloatArray, rows: Rows) -> tuple[float, FloatArray]:
    """Weighted log-likelihood and its gradient in (r, alpha, a, b); FHL (2005) eq. 6, in logs."""
    r, alpha, a, b = params
    x, t_x, T = rows.columns
    weights = rows.weights
    ux = rows.x_values
    repeat = x > 0
    log_alpha_T = np.log(alpha + T)
    log_alpha_tx = np.log(alpha + t_x)
    a3 = -(r + x) * log_alpha_T
    # The second term exists only for repeat buyers; elsewhere it is log(0).
    b_x1 = np.where(repeat, b + x - 1.0, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(b_x1) - (r + x) * log_alpha_tx, -np.inf)
    mix = np.logaddexp(a3, a4)
    w4 = np.exp(a4 - mix)
    w3 = 1.0 - w4
    const = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
    const += gammaln(a + b) + gammaln(b + ux) - gammaln(b) - gammaln(a + b + ux)
    ll = rows.per_x(const) + mix
    psi_ab = digamma(a + b)
    psi_abx = rows.per_x(digamma(a + b + ux))
    d_r = (
        rows.per_x(digamma(r + ux))
        - digamma(r)
        + np.log(alpha)
        - w3 * log_alpha_T
        - w4 * log_alpha_tx
    )
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_a = psi_ab - psi_abx + w4 / a
    d_b = psi_ab + rows.per_x(digamma(b + ux)) - digamma(b) - psi_abx - w4 / b_x1
    grad = np.array(
        [
            (weights * d_r).sum(),
            (weights * d_alpha).sum(),
            (weights * d_a).sum(),
            (weights * d_b).sum(),
        ]
    )
    return float((weights * ll).sum()), grad


class BetaGeoModel(PurchaseModel):
    """BG/NBD purchase model, fitted by maximum likelihood.

    >>> model = BetaGeoModel().fit(rfm["frequency"], rfm["recency"], rfm["T"])
    >>> model.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)
    """

    param_names = ("r", "alpha", "a", "b")

    def _loglik(self, params: FloatArray, rows: Rows) -> tuple[float, FloatArray]:
        return bgnbd_loglik(params, rows)

    def _start(self, rows: Rows) -> FloatArray:
        # Start where a Poisson rate with r = 1 would match the observed repeat rate.
        rate = max(w_sum_dot(rows, 0) / max(w_sum_dot(rows, 2), 1e-12), 1e-6)
        return np.array([1.0, 1.0 / rate, 1.0, 1.0])

    def conditional_probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """P(still active at T | x, t_x, T); FHL (2005) eq. 11 (Fader-Hardie note 021)."""
        r, alpha, a, b = self._fitted()
        x, t_x, t_end = check_rfm(frequency, recency, T)
        repeat = x > 0
        b_x1 = np.where(repeat, b + x - 1.0, 1.0)
        log_odds = (
            np.log(a) - np.log(b_x1) + (r + x) * (np.log(alpha + t_end) - np.log(alpha + t_x))
        )
        return np.where(repeat, expit(-log_odds), 1.0)

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: float | ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """E[purchases in (T, T + t] | x, t_x, T]; FHL (2005) eq. 10."""
        r, alpha, a, b = self._fitted()
        x, t_x, t_end = check_rfm(frequency, recency, T)
        horizon = np.asarray(t, dtype=np.float64)
        z = horizon / (alpha + t_end + horizon)
        log_ratio = (r + x) * (np.log(alpha + t_end) - np.log(alpha + t_end + horizon))
        head = (a + b + x - 1.0) / (a - 1.0)
        body = 1.0 - np.exp(log_ratio) * hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        return np.asarray(head * body * self.conditional_probability_alive(x, t_x, t_end))

    def expected_number_of_purchases_up_to_time(self, t: float | ArrayLike) -> FloatArray:
        """E[X(t)] for a new customer over a period of length t; FHL (2005) eq. 9."""
        r, alpha, a, b = self._fitted()
        horizon = np.asarray(t, dtype=np.float64)
        ratio = np.exp(r * (np.log(alpha) - np.log(alpha + horizon)))
        z = horizon / (alpha + horizon)
        return np.asarray((a + b - 1.0) / (a - 1.0) * (1.0 - ratio * hyp2f1(r, b, a + b - 1.0, z)))


def simulate_bgnbd(
    r: float, alpha: float, a: float, b: float, T: ArrayLike, seed: int = 0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(frequency, recency, T) drawn from the BG/NBD process, one customer per value of T.

    Given N ~ Poisson(lambda T) purchases in (0, T] and dropout after the J-th repeat
    purchase (J ~ Geometric(p)), x = min(N, J) and t_x is the x-th of N uniform times.
    """
    t_end = as_float_array(T, "T")
    rng = np.random.default_rng(seed)
    n = len(t_end)
    rate = rng.gamma(r, 1.0 / alpha, n)
    dropout = rng.beta(a, b, n)
    last_allowed = rng.geometric(np.clip(dropout, 1e-12, 1.0))
    arrivals = rng.poisson(rate * t_end)
    x = np.minimum(arrivals, last_allowed)
    # x-th order statistic of `arrivals` uniforms on (0, T): T * Beta(x, arrivals - x + 1).
    t_x = np.zeros(n)
    some = x > 0
    t_x[some] = t_end[some] * rng.beta(x[some], arrivals[some] - x[some] + 1)
    return x.astype(np.float64), t_x, t_end

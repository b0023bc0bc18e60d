"""Gamma-Gamma: how much a customer spends per purchase, shrunk toward the population.

Fader, Hardie & Lee (2005), "RFM and CLV", JMR 42(4); Fader & Hardie note 025. Each
transaction value z ~ Gamma(p, nu), nu ~ Gamma(q, gamma). Fitted on repeat buyers only
(frequency > 0) with monetary_value = mean value of their repeat purchases. The
log-likelihood is the density of the observed mean m = z-bar (x^(px) m^(px-1) included),
the convention of note 025, which gives about -4055.9 on the CDNOW sample.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from kizuna.analytics.clv.base import (
    FloatArray,
    MleModel,
    Rows,
    as_float_array,
    compress_rows,
    fit_mle,
    w_sum_dot,
)
from kizuna.errors import InsufficientData, InvalidInput

__all__ = ["GammaGammaModel", "gammagamma_loglik"]


def gammagamma_loglik(params: FloatArray, rows: Rows) -> tuple[float, FloatArray]:
    """Weighted log-likelihood and gradient in (p, q, gamma); note 025, eq. 4 in logs.

    `rows.columns` = (x, m) of repeat buyers, x > 0 and m > 0.
    """
    p, q, gamma = params
    x, m = rows.columns
    ux, wu = rows.x_values, rows.x_weights
    w = rows.weights
    wx = w * x
    # Terms in x alone are summed once per distinct x (weight wu); the rest per row.
    log_m = np.log(m)
    log_xm_gamma = np.log(gamma + x * m)
    inv_xm_gamma = 1.0 / (gamma + x * m)
    s_log_m, sx_log_m = (w * log_m).sum(), (wx * log_m).sum()
    s_log, sx_log = (w * log_xm_gamma).sum(), (wx * log_xm_gamma).sum()
    s_inv, sx_inv = (w * inv_xm_gamma).sum(), (wx * inv_xm_gamma).sum()
    const = gammaln(p * ux + q) - gammaln(p * ux) - gammaln(q) + q * np.log(gamma)
    const += p * ux * np.log(ux)
    ll = (wu * const).sum() + p * sx_log_m - s_log_m - p * sx_log - q * s_log
    psi_pxq = digamma(p * ux + q)
    d_p = (wu * ux * (psi_pxq - digamma(p * ux) + np.log(ux))).sum() + sx_log_m - sx_log
    d_q = (wu * (psi_pxq - digamma(q) + np.log(gamma))).sum() - s_log
    d_gamma = q / gamma * wu.sum() - p * sx_inv - q * s_inv
    return float(ll), np.array([d_p, d_q, d_gamma])


class GammaGammaModel(MleModel):
    """Gamma-Gamma spend model, fitted by maximum likelihood on repeat buyers."""

    param_names = ("p", "q", "gamma")
    fit_call = ".fit(frequency, monetary_value)"

    def fit(
        self, frequency: ArrayLike, monetary_value: ArrayLike, weights: ArrayLike | None = None
    ) -> Self:
        """Estimate p, q, gamma from customers with frequency > 0; others are left out."""
        x_all = as_float_array(frequency, "frequency")
        m_all = as_float_array(monetary_value, "monetary_value")
        w_all = np.ones(len(x_all)) if weights is None else as_float_array(weights, "weights")
        if not (len(x_all) == len(m_all) == len(w_all)):
            raise InvalidInput(
                "frequency and monetary_value must have the same length. Build them with rfm_summary().",
                "frequency と monetary_value は同じ長さにしてください。rfm_summary() で作成できます。",
            )
        repeat = x_all > 0
        if np.any(m_all[repeat] <= 0):
            raise InvalidInput(
                "Gamma-Gamma needs a positive monetary_value for every repeat buyer. Drop "
                "returns and zero-value purchases, or leave those customers out, then fit again.",
                "Gamma-Gamma では、リピート購入のある顧客の monetary_value がすべて正である必要があります。"
                "返品や 0 円の購入を除くか、その顧客を外してからもう一度学習してください。",
            )
        if repeat.sum() < 3:
            raise InsufficientData(
                "Gamma-Gamma needs at least 3 customers with repeat purchases (frequency > 0); "
                f"the data has {int(repeat.sum())}. Use a longer observation period or more "
                "customers, and fit again.",
                "Gamma-Gamma にはリピート購入のある顧客が 3 人以上必要です（frequency > 0）。"
                f"このデータには {int(repeat.sum())} 人しかいません。観測期間を長くするか顧客を増やして、"
                "もう一度学習してください。",
                repeat_buyers=int(repeat.sum()),
            )
        # Mean spends are continuous: merging identical rows would rarely pay for its sort.
        rows = compress_rows([x_all[repeat], m_all[repeat]], w_all[repeat], merge=False)
        # Start at p = 1, q = 2 and gamma = mean spend, so that E[M] = p gamma / (q - 1) fits.
        start = np.array([1.0, 2.0, w_sum_dot(rows, 1) / rows.total_weight])
        result = fit_mle(
            lambda prm: gammagamma_loglik(prm, rows), start, rows.total_weight, self.penalizer
        )
        self._store(result, round(rows.total_weight))
        return self

    def conditional_expected_average_profit(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray:
        """E[spend per purchase | x, m]; note 025 eq. 5. Customers with x = 0 get the population mean."""
        p, q, gamma = self._fitted()
        x = as_float_array(frequency, "frequency")
        m = as_float_array(monetary_value, "monetary_value")
        # The population mean spend is finite only for q > 1.
        population = p * gamma / (q - 1.0) if q > 1.0 else np.inf
        individual = p * (gamma + x * m) / (p * x + q - 1.0)
        return np.where(x > 0, individual, population)

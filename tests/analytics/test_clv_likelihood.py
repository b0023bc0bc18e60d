"""The likelihoods behind the CLV fits: gradients, the Pareto/NBD integral, recovery."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from scipy import integrate

from kizuna.analytics.clv import BetaGeoModel, ParetoNBDModel
from kizuna.analytics.clv.base import FloatArray, Rows, compress_rows
from kizuna.analytics.clv.bgnbd import bgnbd_loglik, simulate_bgnbd
from kizuna.analytics.clv.gammagamma import gammagamma_loglik
from kizuna.analytics.clv.paretonbd import _log_integral, paretonbd_loglik

Loglik = Callable[[FloatArray, Rows], tuple[float, FloatArray]]


def small_rows() -> Rows:
    x, t_x, t_end = simulate_bgnbd(0.5, 6.0, 0.8, 2.5, np.linspace(20, 40, 400), seed=3)
    return compress_rows([x, t_x, t_end], None)


def spend_rows() -> Rows:
    rng = np.random.default_rng(4)
    x = rng.integers(1, 12, 300).astype(float)
    return compress_rows([x, rng.gamma(4.0, 8.0, 300)], None)


@pytest.mark.parametrize(
    ("loglik", "rows", "params"),
    [
        (bgnbd_loglik, small_rows, [0.4, 5.0, 0.7, 2.0]),
        (paretonbd_loglik, small_rows, [0.5, 9.0, 0.8, 12.0]),
        (paretonbd_loglik, small_rows, [2.0, 1.5, 3.0, 0.4]),
        (gammagamma_loglik, spend_rows, [3.0, 4.0, 20.0]),
    ],
)
def test_analytic_gradient_matches_finite_differences(
    loglik: Loglik, rows: Callable[[], Rows], params: list[float]
) -> None:
    data = rows()
    point = np.array(params)
    _, grad = loglik(point, data)
    for i in range(len(point)):
        step = np.zeros_like(point)
        step[i] = 1e-6 * point[i]
        numeric = (loglik(point + step, data)[0] - loglik(point - step, data)[0]) / (2 * step[i])
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-3)


@pytest.mark.parametrize(
    ("r", "alpha", "s", "beta", "x", "t_x", "T"),
    [
        (0.55, 10.6, 0.61, 11.7, 2, 30.43, 38.86),  # CDNOW-like
        (0.55, 10.6, 0.61, 11.7, 0, 0.0, 38.86),  # no repeat purchase
        (0.28, 0.2, 5.1, 3.4, 279, 13.3, 15.5),  # many purchases, tiny alpha
        (2.4, 0.05, 0.05, 19.0, 150, 0.5, 90.0),  # beta >> alpha, early last purchase
        (0.1, 20.0, 8.0, 0.05, 5, 1.0, 60.0),  # alpha >> beta (2F1 argument near 1)
    ],
)
def test_pareto_integral_matches_adaptive_quadrature(
    r: float, alpha: float, s: float, beta: float, x: float, t_x: float, T: float
) -> None:
    def log_f(tau: float) -> float:
        return float(-(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau))

    top = log_f(t_x)
    cuts = t_x + (T - t_x) * np.concatenate([[0.0], np.logspace(-8, 0, 30)])
    scaled = sum(
        integrate.quad(lambda tau: np.exp(log_f(tau) - top), lo, hi, epsabs=0, epsrel=1e-12)[0]
        for lo, hi in itertools.pairwise(cuts)
    )
    log_i, _ = _log_integral(r, alpha, s, beta, np.array([x]), np.array([t_x]), np.array([T]))
    assert log_i[0] == pytest.approx(np.log(scaled) + top, abs=1e-7)


def test_last_purchase_at_the_end_leaves_no_dead_term() -> None:
    log_i, grad = _log_integral(
        0.5, 10.0, 0.6, 11.0, np.array([3.0]), np.array([20.0]), np.array([20.0])
    )
    assert log_i[0] == -np.inf
    assert np.all(np.isfinite(grad))


def test_bgnbd_recovers_the_parameters_it_was_simulated_with() -> None:
    truth = {"r": 0.6, "alpha": 5.0, "a": 0.8, "b": 2.5}
    t_end = np.random.default_rng(7).uniform(26, 52, 20_000)
    x, t_x, t_end = simulate_bgnbd(*truth.values(), t_end, seed=8)
    model = BetaGeoModel().fit(x, t_x, t_end)
    for name, value in truth.items():
        low, high = model.summary.loc[name, ["lower_95", "upper_95"]]
        # Within the model's own 95% interval, widened a little for the rare unlucky draw.
        assert low * 0.9 < value < high * 1.1, name


def test_pareto_nbd_fits_bgnbd_data_and_predicts_similar_totals() -> None:
    t_end = np.random.default_rng(9).uniform(26, 52, 3_000)
    x, t_x, t_end = simulate_bgnbd(0.6, 5.0, 0.8, 2.5, t_end, seed=10)
    bg = BetaGeoModel().fit(x, t_x, t_end)
    pareto = ParetoNBDModel().fit(x, t_x, t_end)
    bg_total = bg.conditional_expected_number_of_purchases_up_to_time(26, x, t_x, t_end).sum()
    pareto_total = pareto.conditional_expected_number_of_purchases_up_to_time(
        26, x, t_x, t_end
    ).sum()
    # Two models of the same process should agree on the next half-year within 15%.
    assert pareto_total == pytest.approx(bg_total, rel=0.15)


def test_penalizer_pulls_parameters_toward_zero() -> None:
    rows = small_rows()
    x, t_x, t_end = rows.columns
    free = BetaGeoModel().fit(x, t_x, t_end, weights=rows.weights)
    held = BetaGeoModel(penalizer=0.1).fit(x, t_x, t_end, weights=rows.weights)
    assert sum(v**2 for v in held.params_.values()) < sum(v**2 for v in free.params_.values())
    assert held.loglik_ < free.loglik_

"""estimate_clv: discounted lifetime value from a purchase model and a spend model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kizuna.analytics.clv import BetaGeoModel, GammaGammaModel, estimate_clv
from kizuna.analytics.clv.bgnbd import simulate_bgnbd
from kizuna.errors import InvalidInput


@pytest.fixture(scope="module")
def fitted() -> tuple[BetaGeoModel, GammaGammaModel, pd.DataFrame]:
    rng = np.random.default_rng(11)
    x, t_x, t_end = simulate_bgnbd(0.5, 6.0, 0.8, 2.5, rng.uniform(26, 52, 2_000), seed=12)
    spend = np.where(x > 0, rng.gamma(5.0, 6.0, len(x)), 0.0)
    rfm = pd.DataFrame(
        {"frequency": x, "recency": t_x, "T": t_end, "monetary_value": spend},
        index=pd.Index([f"c{i}" for i in range(len(x))], name="customer"),
    )
    purchases = BetaGeoModel().fit(rfm["frequency"], rfm["recency"], rfm["T"])
    repeat = rfm[rfm["frequency"] > 0]
    spending = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    return purchases, spending, rfm


def test_undiscounted_value_is_purchases_times_spend(
    fitted: tuple[BetaGeoModel, GammaGammaModel, pd.DataFrame],
) -> None:
    purchases, spending, rfm = fitted
    value = estimate_clv(purchases, spending, rfm, horizon_months=6, monthly_discount_rate=0.0)
    assert list(value.index) == list(rfm.index)
    np.testing.assert_allclose(value["clv"], value["expected_purchases"] * value["expected_spend"])
    # Six months in weeks, straight from the purchase model.
    direct = purchases.conditional_expected_number_of_purchases_up_to_time(
        6 * 365.25 / 12 / 7, rfm["frequency"], rfm["recency"], rfm["T"]
    )
    np.testing.assert_allclose(value["expected_purchases"], direct)


def test_discounting_and_horizon_move_value_the_right_way(
    fitted: tuple[BetaGeoModel, GammaGammaModel, pd.DataFrame],
) -> None:
    purchases, spending, rfm = fitted
    plain = estimate_clv(purchases, spending, rfm, 12, 0.0)["clv"]
    discounted = estimate_clv(purchases, spending, rfm, 12, 0.02)["clv"]
    longer = estimate_clv(purchases, spending, rfm, 24, 0.02)["clv"]
    assert (discounted < plain).all()
    assert (longer > discounted).all()


def test_days_and_weeks_give_the_same_value(
    fitted: tuple[BetaGeoModel, GammaGammaModel, pd.DataFrame],
) -> None:
    _, spending, rfm = fitted
    in_days = rfm.assign(recency=rfm["recency"] * 7, T=rfm["T"] * 7)
    week_model = BetaGeoModel().fit(rfm["frequency"], rfm["recency"], rfm["T"])
    day_model = BetaGeoModel().fit(in_days["frequency"], in_days["recency"], in_days["T"])
    weekly = estimate_clv(week_model, spending, rfm, 12, 0.01, freq="W")["clv"]
    daily = estimate_clv(day_model, spending, in_days, 12, 0.01, freq="D")["clv"]
    np.testing.assert_allclose(daily, weekly, rtol=1e-3)


def test_frame_without_spend_is_refused(
    fitted: tuple[BetaGeoModel, GammaGammaModel, pd.DataFrame],
) -> None:
    purchases, spending, rfm = fitted
    with pytest.raises(InvalidInput, match="monetary_value"):
        estimate_clv(purchases, spending, rfm.drop(columns="monetary_value"))
    with pytest.raises(InvalidInput, match="horizon_months"):
        estimate_clv(purchases, spending, rfm, horizon_months=0)

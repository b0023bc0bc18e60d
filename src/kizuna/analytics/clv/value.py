"""Customer lifetime value: expected purchases x expected spend, discounted month by month.

CLV_i = sum over months m = 1..H of spend_i * (E[Y(m)] - E[Y(m - 1)]) / (1 + d)^m, where
E[Y(t)] is the purchase model's conditional expected number of purchases up to t and
spend_i the Gamma-Gamma expected spend per purchase: the discrete form of the discounted
expected residual transactions of Fader, Hardie & Lee (2005), "RFM and CLV", JMR 42(4).
A month is 365.25 / 12 days, converted to the unit the RFM data was built with.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from kizuna.analytics.clv.base import FloatArray
from kizuna.analytics.clv.gammagamma import GammaGammaModel
from kizuna.analytics.clv.rfm import DAYS_PER_UNIT, Freq
from kizuna.errors import InvalidInput

__all__ = ["DAYS_PER_MONTH", "PurchaseModel", "estimate_clv"]

DAYS_PER_MONTH = 365.25 / 12


class PurchaseModel(Protocol):
    """What CLV needs from BetaGeoModel or ParetoNBDModel."""

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: float | ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray: ...


def estimate_clv(
    purchase_model: PurchaseModel,
    spend_model: GammaGammaModel,
    rfm: pd.DataFrame,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    freq: Freq = "W",
) -> pd.DataFrame:
    """Per customer (rfm's index): expected purchases, expected spend and discounted CLV.

    `rfm` has frequency, recency, T and monetary_value in the unit `freq`, as built by
    rfm_summary(..., freq=freq). Returns columns expected_purchases (over the horizon),
    expected_spend (per purchase), clv (discounted).
    """
    if horizon_months < 1 or not 0 <= monthly_discount_rate < 1 or freq not in DAYS_PER_UNIT:
        raise InvalidInput(
            "horizon_months must be >= 1, monthly_discount_rate in [0, 1) and freq 'D' or 'W' "
            "(the one used for rfm_summary). Fix the arguments and ask again.",
            "horizon_months は 1 以上、monthly_discount_rate は 0 以上 1 未満、freq は rfm_summary と"
            "同じ 'D' か 'W' にしてください。",
        )
    missing = {"frequency", "recency", "T", "monetary_value"} - set(rfm.columns)
    if missing:
        raise InvalidInput(
            f"The RFM frame lacks {sorted(missing)}. Build it with rfm_summary(..., value_col=...).",
            f"RFM データに {sorted(missing)} がありません。rfm_summary(..., value_col=...) で作成してください。",
        )
    x, t_x, t_end = (rfm[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))
    month = DAYS_PER_MONTH / DAYS_PER_UNIT[freq]
    cumulative = np.column_stack(
        [np.zeros(len(x))]
        + [
            purchase_model.conditional_expected_number_of_purchases_up_to_time(
                m * month, x, t_x, t_end
            )
            for m in range(1, horizon_months + 1)
        ]
    )
    per_month = np.diff(cumulative, axis=1)
    discount = (1.0 + monthly_discount_rate) ** -np.arange(1, horizon_months + 1)
    spend = spend_model.conditional_expected_average_profit(x, rfm["monetary_value"].to_numpy())
    return pd.DataFrame(
        {
            "expected_purchases": cumulative[:, -1],
            "expected_spend": spend,
            "clv": spend * (per_month * discount).sum(axis=1),
        },
        index=rfm.index,
    )

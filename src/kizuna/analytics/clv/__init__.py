"""Customer lifetime value: who will buy again, how often, how much, and what they are worth.

Pure analytics (NumPy/SciPy/pandas); knows nothing of the database or the web. The flow:

    rfm = rfm_summary(transactions, "customer_id", "date", "amount", observation_end, freq="W")
    purchases = BetaGeoModel().fit(rfm["frequency"], rfm["recency"], rfm["T"])
    repeat = rfm[rfm["frequency"] > 0]
    spend = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    value = estimate_clv(purchases, spend, rfm, horizon_months=12, monthly_discount_rate=0.01)

Models follow the estimator contract (STYLE.md): hyper-parameters in __init__, fit()
returns self, fitted attributes end in `_`, `summary`, NotFittedError before fit.
"""

from kizuna.analytics.clv.base import NotFittedError
from kizuna.analytics.clv.bgnbd import BetaGeoModel
from kizuna.analytics.clv.gammagamma import GammaGammaModel
from kizuna.analytics.clv.paretonbd import ParetoNBDModel
from kizuna.analytics.clv.rfm import rfm_summary
from kizuna.analytics.clv.value import estimate_clv

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "NotFittedError",
    "ParetoNBDModel",
    "estimate_clv",
    "rfm_summary",
]

"""Lifecycle stages from recency, frequency, tenure and predicted activity: pure rules.

Stages (first rule that holds wins, in this order):

    prospect  no purchase yet
    lapsed    last purchase more than `lapsed_days` (365) ago
    at-risk   last purchase more than `at_risk_days` (180) ago, or the caller's predicted
              probability of being alive (`p_alive`, e.g. from BG/NBD) below `p_alive_at_risk`
    loyal     >= `loyal_purchases_365d` (4) purchases in the last 365 days, or tenure over
              `loyal_tenure_days` (730) with >= `loyal_min_purchases` (6) purchases in all
    won-back  buying again after having been lapsed: the previous stage was lapsed (or
              won-back, which holds until the customer turns loyal or slips), or the gap
              before the last purchase exceeded `lapsed_days`
    new       first purchase within `new_days` (90)
    active    everything else (last purchase within `at_risk_days`)

Thresholds live in `LifecycleRules` (defaults above; `load_rules` reads them from YAML).
No database, no web: a frame in, a Series out. RFM staging after Fader, Hardie & Lee,
"RFM and CLV" (Journal of Marketing Research 42(4), 2005). NumPy and pandas are imported
by `assign_stages`, so reading the rules (`kizuna customers lifecycle --rules`) stays light.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kizuna.analytics.yaml_file import read_yaml_file
from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["STAGES", "LifecycleRules", "assign_stages", "load_rules"]

STAGES = ("prospect", "new", "active", "loyal", "at-risk", "lapsed", "won-back")


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds of the lifecycle rules, in days and purchase counts."""

    new_days: int = 90
    at_risk_days: int = 180
    lapsed_days: int = 365
    loyal_purchases_365d: int = 4
    loyal_tenure_days: int = 730
    loyal_min_purchases: int = 6
    p_alive_at_risk: float = 0.3

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise InvalidInput(
                    f"Lifecycle threshold {field.name} must be a number, not {value!r}. Fix it "
                    "in the rules and try again.",
                    f"ライフサイクルの閾値 {field.name} は数値で指定してください"
                    f"(指定値: {value!r})。ルールを直してからもう一度実行してください。",
                    threshold=field.name,
                )
        if not (self.new_days > 0 and 0 < self.at_risk_days < self.lapsed_days):
            raise InvalidInput(
                "Lifecycle thresholds need 0 < new_days and 0 < at_risk_days < lapsed_days "
                f"(got new_days={self.new_days}, at_risk_days={self.at_risk_days}, "
                f"lapsed_days={self.lapsed_days}). Fix the rules and try again.",
                "ライフサイクルの閾値は 0 < new_days かつ 0 < at_risk_days < lapsed_days にしてください"
                f"(指定値: new_days={self.new_days}, at_risk_days={self.at_risk_days}, "
                f"lapsed_days={self.lapsed_days})。ルールを直してからもう一度実行してください。",
            )
        if not 0 <= self.p_alive_at_risk <= 1:
            raise InvalidInput(
                f"p_alive_at_risk is a probability between 0 and 1 (got {self.p_alive_at_risk}). "
                "Fix the rules and try again.",
                f"p_alive_at_risk は 0 から 1 の確率で指定してください(指定値: {self.p_alive_at_risk})。"
                "ルールを直してからもう一度実行してください。",
            )


def load_rules(path: str | Path) -> LifecycleRules:
    """Rules from a YAML mapping of threshold names to values; missing ones keep defaults."""
    data: Any = read_yaml_file(path, "lifecycle thresholds", "ライフサイクルの閾値") or {}
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{path}: expected a mapping of lifecycle thresholds, such as `new_days: 90`.",
            f"{path}: ライフサイクルの閾値を `new_days: 90` のような「名前: 値」の形で書いてください。",
            path=str(path),
        )
    known = {f.name for f in dataclasses.fields(LifecycleRules)}
    unknown = sorted(map(str, set(data) - known))
    if unknown:
        raise InvalidInput(
            f"{path}: unknown thresholds {unknown}; known: {sorted(known)}. Fix the names "
            "and try again.",
            f"{path}: 不明な閾値 {unknown} があります(使える名前: {sorted(known)})。"
            "名前を直してからもう一度実行してください。",
            path=str(path),
            unknown=unknown,
        )
    return LifecycleRules(**data)


def assign_stages(
    frame: pd.DataFrame, as_of: dt.date, rules: LifecycleRules | None = None
) -> pd.Series:
    """One stage per row of `frame`, indexed like it.

    Columns: customer_id, first_purchase, last_purchase (dates or NaT), purchases_365d,
    purchases_total, previous_stage (or None); optional p_alive (0..1, NaN = unknown) and
    gap_before_last_days (days between the last two purchases).
    """
    import numpy as np
    import pandas as pd

    rules = rules or LifecycleRules()
    day = np.datetime64(as_of, "D")
    first = pd.to_datetime(frame["first_purchase"]).to_numpy("datetime64[D]")
    last = pd.to_datetime(frame["last_purchase"]).to_numpy("datetime64[D]")
    recency = (day - last).astype("float64")  # NaT -> NaN
    tenure = (day - first).astype("float64")
    recency[np.isnat(last)] = np.nan
    tenure[np.isnat(first)] = np.nan
    count_365 = frame["purchases_365d"].fillna(0).to_numpy(np.int64)
    count_all = frame["purchases_total"].fillna(0).to_numpy(np.int64)
    previous = frame["previous_stage"].astype(object).to_numpy()
    p_alive = _optional(frame, "p_alive")
    gap = _optional(frame, "gap_before_last_days")

    no_purchase = np.isnan(recency)
    with np.errstate(invalid="ignore"):
        lapsed = recency > rules.lapsed_days
        at_risk = (recency > rules.at_risk_days) | (p_alive < rules.p_alive_at_risk)
        loyal = (count_365 >= rules.loyal_purchases_365d) | (
            (tenure > rules.loyal_tenure_days) & (count_all >= rules.loyal_min_purchases)
        )
        won_back = (previous == "lapsed") | (previous == "won-back") | (gap > rules.lapsed_days)
        new = tenure <= rules.new_days
    stages = np.select(
        [no_purchase, lapsed, at_risk, loyal, won_back, new],
        ["prospect", "lapsed", "at-risk", "loyal", "won-back", "new"],
        default="active",
    )
    return pd.Series(stages, index=frame.index, name="stage", dtype=object)


def _optional(frame: pd.DataFrame, column: str) -> np.ndarray:
    import numpy as np
    import pandas as pd

    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64, na_value=np.nan)

"""Turn a transaction log into the per-customer (frequency, recency, T, monetary) summary.

Conventions of Fader, Hardie & Lee (2005), which the published CDNOW estimates use:
- several transactions on one calendar day count as one (their values are summed);
- frequency is the number of *repeat* purchase days (the first day is not counted);
- recency is the time from the first to the last purchase day, T from the first purchase
  day to the end of observation, in the unit `freq` ("D" days, "W" weeks = days / 7);
- monetary_value is the mean value of the repeat purchase days (0 with no repeats).
Transactions after `observation_end` (a date, inclusive) are ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuna.errors import InvalidInput

__all__ = ["DAYS_PER_UNIT", "Freq", "rfm_summary"]

Freq = Literal["D", "W"]
DAYS_PER_UNIT: dict[str, float] = {"D": 1.0, "W": 7.0}


def rfm_summary(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    observation_end: dt.date | str | pd.Timestamp | None = None,
    freq: Freq = "W",
) -> pd.DataFrame:
    """One row per customer (index = customer id): frequency, recency, T [, monetary_value].

    `observation_end` defaults to the last transaction date. Customers whose first
    purchase is after `observation_end` are not in the result.
    """
    if freq not in DAYS_PER_UNIT:
        raise InvalidInput(
            f"freq must be 'D' (days) or 'W' (weeks), not {freq!r}. Pass freq='W' or freq='D'.",
            f"freq は 'D'（日）か 'W'（週）を指定してください（指定値: {freq!r}）。",
            freq=freq,
        )
    needed = [customer_col, date_col] + ([value_col] if value_col else [])
    missing = [c for c in needed if c not in transactions.columns]
    if missing:
        raise InvalidInput(
            f"The transactions have no column(s) {missing}. Pass the names of the customer, "
            f"date and value columns; available: {list(transactions.columns)}.",
            f"取引データに列 {missing} がありません。顧客・日付・金額の列名を指定してください"
            f"（ある列: {list(transactions.columns)}）。",
            missing=missing,
        )
    days = _to_days(transactions[date_col], date_col)
    frame = pd.DataFrame({"customer": transactions[customer_col].to_numpy(), "day": days})
    if value_col:
        frame["value"] = pd.to_numeric(transactions[value_col], errors="coerce").to_numpy()
        if frame["value"].isna().any():
            raise InvalidInput(
                f"Column '{value_col}' has values that are not numbers. Fix or drop them first.",
                f"列「{value_col}」に数値でない値があります。修正するか除いてから実行してください。",
                column=value_col,
            )
    end = (
        frame["day"].max()
        if observation_end is None
        else _to_days(pd.Series([observation_end]), "observation_end")[0]
    )
    frame = frame[frame["day"] <= end]
    if frame.empty:
        raise InvalidInput(
            "No transactions on or before observation_end. Choose a later observation_end.",
            "observation_end 以前の取引がありません。より後の日付を指定してください。",
        )
    # Same-day transactions are one purchase occasion (FHL 2005, CDNOW convention).
    grouped = frame.groupby(["customer", "day"], sort=True)
    daily = grouped["value"].sum() if value_col else grouped.size()
    daily = daily.reset_index()
    by_customer = daily.groupby("customer", sort=True)
    first = by_customer["day"].min()
    last = by_customer["day"].max()
    count = by_customer["day"].size()
    unit = DAYS_PER_UNIT[freq]
    out = pd.DataFrame(
        {
            "frequency": (count - 1).astype(np.int64),
            "recency": (last - first).astype(np.float64) / unit,
            "T": (end - first).astype(np.float64) / unit,
        }
    )
    if value_col:
        total = by_customer["value"].sum()
        first_value = daily.loc[by_customer["day"].idxmin(), ["customer", "value"]].set_index(
            "customer"
        )
        repeat_total = total - first_value["value"]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_repeat = repeat_total / out["frequency"]
        out["monetary_value"] = mean_repeat.where(out["frequency"] > 0, 0.0).astype(np.float64)
    out.index.name = customer_col
    return out


def _to_days(values: pd.Series, name: str) -> NDArray[np.int64]:
    """Calendar days since 1970-01-01 as int64; a tz-aware time keeps its own calendar date."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        # Text is read as ISO 8601 (2024-04-01, 20240401, 2024-04-01T10:00): one format,
        # never a per-value guess that could read 01/02 as January or February.
        as_text = values if not pd.api.types.is_numeric_dtype(values) else values.astype("string")
        parsed = pd.to_datetime(as_text, format="ISO8601", errors="coerce")
    if parsed.isna().any():
        raise InvalidInput(
            f"Column '{name}' has values that are not dates. Use ISO dates such as 2024-04-01.",
            f"列「{name}」に日付として読めない値があります。2024-04-01 のような形式にしてください。",
            column=name,
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    days = parsed.dt.normalize().to_numpy().astype("datetime64[D]")
    return np.asarray(days.astype(np.int64), dtype=np.int64)

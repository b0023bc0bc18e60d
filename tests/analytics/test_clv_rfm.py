"""rfm_summary: the per-customer summary every CLV model is fitted on."""

from __future__ import annotations

import pandas as pd
import pytest

from kizuna.analytics.clv import rfm_summary
from kizuna.errors import InvalidInput


def make_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": ["a", "a", "a", "a", "b", "c", "c"],
            "date": [
                "2024-01-01",
                "2024-01-01",  # same day as the first: one purchase occasion
                "2024-01-15",
                "2024-03-01",  # after observation_end: ignored
                "2024-01-10",
                "2024-01-08",
                "2024-01-29",
            ],
            "amount": [10.0, 5.0, 30.0, 99.0, 20.0, 8.0, 12.0],
        }
    )


def test_same_day_purchases_count_once_and_only_repeats_are_counted() -> None:
    rfm = rfm_summary(make_log(), "customer", "date", "amount", "2024-01-29", freq="D")
    assert rfm.loc["a", "frequency"] == 1
    assert rfm.loc["b", "frequency"] == 0
    assert rfm.loc["c", "frequency"] == 1
    assert rfm.loc["a", "recency"] == 14
    assert rfm.loc["a", "T"] == 28
    assert rfm.loc["b", "T"] == 19
    assert rfm.loc["b", "recency"] == 0


def test_monetary_value_is_the_mean_of_repeat_purchases() -> None:
    rfm = rfm_summary(make_log(), "customer", "date", "amount", "2024-01-29", freq="D")
    # a's first day (10 + 5) is not a repeat purchase; the 2024-03-01 purchase is after the end.
    assert rfm.loc["a", "monetary_value"] == 30.0
    assert rfm.loc["b", "monetary_value"] == 0.0
    assert rfm.loc["c", "monetary_value"] == 12.0


def test_weeks_are_days_over_seven() -> None:
    days = rfm_summary(make_log(), "customer", "date", "amount", "2024-01-29", freq="D")
    weeks = rfm_summary(make_log(), "customer", "date", "amount", "2024-01-29", freq="W")
    pd.testing.assert_series_equal(weeks["T"], days["T"] / 7)
    pd.testing.assert_series_equal(weeks["recency"], days["recency"] / 7)
    pd.testing.assert_series_equal(weeks["frequency"], days["frequency"])


def test_observation_end_defaults_to_the_last_transaction_and_value_is_optional() -> None:
    rfm = rfm_summary(make_log(), "customer", "date", freq="D")
    assert "monetary_value" not in rfm.columns
    assert rfm.loc["a", "T"] == (pd.Timestamp("2024-03-01") - pd.Timestamp("2024-01-01")).days
    assert rfm.loc["a", "frequency"] == 2


def test_timezone_aware_times_keep_their_local_calendar_day() -> None:
    log = pd.DataFrame(
        {
            "customer": ["a", "a"],
            # 23:30 and 00:30 the next day in Tokyo: two calendar days, so one repeat.
            "date": pd.to_datetime(["2024-01-01 23:30", "2024-01-02 00:30"]).tz_localize(
                "Asia/Tokyo"
            ),
        }
    )
    rfm = rfm_summary(log, "customer", "date", observation_end="2024-01-03", freq="D")
    assert rfm.loc["a", "frequency"] == 1
    assert rfm.loc["a", "recency"] == 1


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"customer_col": "who"}, "no column"),
        ({"freq": "M"}, "freq must be"),
        ({"observation_end": "2023-01-01"}, "No transactions"),
    ],
)
def test_bad_arguments_say_what_to_fix(kwargs: dict[str, str], fragment: str) -> None:
    args = {"customer_col": "customer", "date_col": "date", "value_col": "amount"} | kwargs
    with pytest.raises(InvalidInput) as err:
        rfm_summary(make_log(), **args)  # type: ignore[arg-type]
    assert fragment in err.value.message_en
    assert err.value.message_ja


def test_unreadable_dates_are_refused() -> None:
    log = make_log()
    log.loc[0, "date"] = "not a date"
    with pytest.raises(InvalidInput, match="not dates"):
        rfm_summary(log, "customer", "date", "amount")

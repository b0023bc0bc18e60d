"""Metric formulas against hand-computed textbook values on tiny data sets.

The tables are ibis memtables (run by DuckDB): analytics are pure, so no database is
needed here; the engine-equality tests in tests/reports run the same code on SQLite,
PostgreSQL and DuckDB over Parquet.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from typing import Any

import ibis
import pandas as pd
import pytest
from scipy import stats

from kizuna.analytics.metrics import compute_metric_frame, shift_period, start_of_period

Z95 = 1.959963984540054  # standard normal 97.5% quantile
T95_DF9 = 2.262157162798205  # Student t 97.5% quantile, 9 degrees of freedom (table: 2.262)
DAY = dt.date(2024, 5, 15)


def feedback_table(rows: list[dict[str, Any]]) -> ibis.Table:
    base = {
        "workspace_id": 1,
        "source": "survey",
        "channel": "web",
        "touchpoint": None,
        "language": "ja",
        "customer_id": None,
        "received_on": DAY,
        "nps": None,
        "csat": None,
        "ces": None,
    }
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame["received_on"] = pd.to_datetime(frame["received_on"]).dt.date
    for score in ("nps", "csat", "ces", "customer_id"):
        frame[score] = frame[score].astype("Int64")
    schema = {
        "workspace_id": "int64",
        "source": "string",
        "channel": "string",
        "touchpoint": "string",
        "language": "string",
        "customer_id": "int64",
        "received_on": "date",
        "nps": "int16",
        "csat": "int16",
        "ces": "int16",
    }
    return ibis.memtable(frame, schema=schema)


def test_nps_ten_answers_matches_adjusted_wald_by_hand() -> None:
    scores = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]  # 5 promoters, 2 passives, 3 detractors
    frame = compute_metric_frame(feedback_table([{"nps": s} for s in scores]), "nps")
    row = frame.iloc[0]
    # Adjusted Wald (Rocks 2016): n + 3, promoters + 3/4, detractors + 3/4.
    n_adj = 13
    p, d = 5.75 / n_adj, 3.75 / n_adj
    half = Z95 * math.sqrt((p + d - (p - d) ** 2) / n_adj)
    assert (row["n"], row["promoters"], row["passives"], row["detractors"]) == (10, 5, 2, 3)
    assert row["value"] == pytest.approx(20.0)
    assert row["ci_low"] == pytest.approx(100 * (p - d - half))
    assert row["ci_high"] == pytest.approx(100 * (p - d + half))


def test_nps_interval_is_clipped_to_100_but_centred_on_the_adjusted_estimate() -> None:
    frame = compute_metric_frame(feedback_table([{"nps": 10}] * 3), "nps")
    # n' = 6, p' = 3.75/6, d' = 0.75/6: estimate 0.5, variance (0.75 - 0.25) / 6.
    assert frame.loc[0, "value"] == 100.0
    assert frame.loc[0, "ci_high"] == 100.0
    assert frame.loc[0, "ci_low"] == pytest.approx(100 * (0.5 - Z95 * math.sqrt(0.5 / 6)))


def test_csat_is_top_two_box_share_with_wilson_interval() -> None:
    scores = [5, 5, 4, 4, 4, 4, 4, 3, 2, 1]  # 7 of 10 answered 4 or 5
    frame = compute_metric_frame(feedback_table([{"csat": s} for s in scores]), "csat")
    row = frame.iloc[0]
    # Wilson (1927): (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    n, p = 10, 0.7
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    assert row["top2"] == 7
    assert row["value"] == pytest.approx(70.0)
    assert row["ci_low"] == pytest.approx(100 * (centre - half))
    assert row["ci_high"] == pytest.approx(100 * (centre + half))


def test_ces_mean_has_t_interval_and_share_easy() -> None:
    scores = [7, 6, 5, 5, 4, 3, 7, 2, 6, 5]
    frame = compute_metric_frame(feedback_table([{"ces": s} for s in scores]), "ces")
    row = frame.iloc[0]
    mean, sd = statistics.mean(scores), statistics.stdev(scores)
    assert row["mean"] == pytest.approx(5.0)
    assert row["value"] == pytest.approx(mean)
    assert row["ci_low"] == pytest.approx(mean - T95_DF9 * sd / math.sqrt(10))
    assert row["ci_high"] == pytest.approx(mean + T95_DF9 * sd / math.sqrt(10))
    assert row["share_easy"] == pytest.approx(70.0)  # 7 answers of 5, 6 or 7


def test_customer_metrics_leave_out_employees_and_enps_uses_only_them() -> None:
    rows: list[dict[str, Any]] = [{"nps": 10}, {"nps": 0}, {"nps": 0, "source": "employee"}]
    rows += [{"nps": 9, "source": "employee"}, {"nps": 9, "source": "employee"}]
    table = feedback_table(rows)
    customers = compute_metric_frame(table, "nps")
    employees = compute_metric_frame(table, "enps")
    assert (customers.loc[0, "n"], customers.loc[0, "value"]) == (2, 0.0)
    assert employees.loc[0, "n"] == 3
    assert employees.loc[0, "value"] == pytest.approx(100 * (2 - 1) / 3)


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    sunday, monday = dt.date(2024, 1, 7), dt.date(2024, 1, 8)
    table = feedback_table([{"nps": 10, "received_on": sunday}, {"nps": 0, "received_on": monday}])
    weeks = compute_metric_frame(table, "nps", period="week")
    months = compute_metric_frame(table, "nps", period="month")
    assert list(weeks["period"]) == [dt.date(2024, 1, 1), dt.date(2024, 1, 8)]
    assert list(weeks["value"]) == [100.0, -100.0]
    assert list(months["period"]) == [dt.date(2024, 1, 1)]
    assert start_of_period(sunday, "week") == dt.date(2024, 1, 1)
    assert shift_period(dt.date(2024, 1, 1), "month", -1) == dt.date(2023, 12, 1)


def test_change_against_previous_month_flags_a_real_drop_only() -> None:
    april, may = dt.date(2024, 4, 10), dt.date(2024, 5, 10)

    def answers(
        day: dt.date, channel: str, promoters: int, detractors: int
    ) -> list[dict[str, Any]]:
        passives = 100 - promoters - detractors
        scores = [10] * promoters + [8] * passives + [2] * detractors
        return [{"nps": s, "received_on": day, "channel": channel} for s in scores]

    # store: NPS 50 -> -30 (a real drop); web: 30 -> 26 (noise).
    rows = answers(april, "store", 60, 10) + answers(may, "store", 20, 50)
    rows += answers(april, "web", 50, 20) + answers(may, "web", 48, 22)
    frame = compute_metric_frame(feedback_table(rows), "nps", by=["channel"], period="month")
    may_rows = frame[frame["period"] == dt.date(2024, 5, 1)].set_index("channel")
    assert may_rows.loc["store", "previous_value"] == pytest.approx(50.0)
    assert may_rows.loc["store", "change"] == pytest.approx(-80.0)
    assert may_rows.loc["store", "change_significant"] is True
    assert may_rows.loc["web", "change"] == pytest.approx(-4.0)
    assert may_rows.loc["web", "change_significant"] is False
    april_rows = frame[frame["period"] == dt.date(2024, 4, 1)]
    assert april_rows["change_significant"].isna().all()


def test_csat_and_ces_changes_use_their_own_tests() -> None:
    june, july = dt.date(2024, 6, 3), dt.date(2024, 7, 3)
    rows = [{"csat": 5, "ces": 7, "received_on": june}] * 40
    rows += [{"csat": 2, "ces": 2, "received_on": july}] * 20
    rows += [{"csat": 5, "ces": 6, "received_on": july}] * 20
    table = feedback_table(rows)
    csat = compute_metric_frame(table, "csat", period="month")
    ces = compute_metric_frame(table, "ces", period="month")
    july_start = dt.date(2024, 7, 1)
    csat_july = csat[csat["period"] == july_start].iloc[0]
    ces_july = ces[ces["period"] == july_start].iloc[0]
    assert csat_july["change"] == pytest.approx(-50.0)
    assert csat_july["change_significant"] is True
    assert ces_july["change"] == pytest.approx(4.0 - 7.0)
    assert ces_july["change_significant"] is True


def test_start_date_keeps_change_of_the_first_period() -> None:
    rows = [{"nps": 10, "received_on": dt.date(2024, 3, 20)}]
    rows += [{"nps": 0, "received_on": dt.date(2024, 4, 2)}]
    frame = compute_metric_frame(
        feedback_table(rows), "nps", period="month", start=dt.date(2024, 4, 1)
    )
    assert list(frame["period"]) == [dt.date(2024, 4, 1)]
    assert frame.loc[0, "previous_value"] == 100.0
    assert frame.loc[0, "change"] == -200.0


def test_missing_dimension_values_form_their_own_group_last() -> None:
    rows: list[dict[str, Any]] = [
        {"nps": 10, "touchpoint": "checkout"},
        {"nps": 0, "touchpoint": None},
    ]
    frame = compute_metric_frame(feedback_table(rows), "nps", by=["touchpoint"])
    assert list(frame["touchpoint"]) == ["checkout", None]
    assert list(frame["value"]) == [100.0, -100.0]


def test_weekly_and_monthly_ces_add_up_days_exactly() -> None:
    # Counted per day, then days added up per period: every statistic must equal the one
    # computed over the period's answers directly, missing labels included.
    monday = dt.date(2024, 2, 26)  # its week runs into March
    rows: list[dict[str, Any]] = []
    for offset in range(10):
        for k in range(offset + 3):
            score = 1 + (offset * 5 + k * 3) % 7
            touchpoint = (None, "checkout", "support")[(offset + k) % 3]
            day = monday + dt.timedelta(days=offset)
            rows.append({"ces": score, "received_on": day, "touchpoint": touchpoint})
    table = feedback_table(rows)
    for period in ("week", "month"):
        frame = compute_metric_frame(table, "ces", by=["touchpoint"], period=period)
        assert len(frame) == 6  # 2 periods x 3 labels
        for row in frame.to_dict("records"):
            scores = [
                r["ces"]
                for r in rows
                if start_of_period(r["received_on"], period) == row["period"]
                and r["touchpoint"] == row["touchpoint"]
            ]
            mean, sd = statistics.mean(scores), statistics.stdev(scores)
            half = float(stats.t.ppf(0.975, len(scores) - 1)) * sd / math.sqrt(len(scores))
            assert row["n"] == len(scores)
            assert row["mean"] == pytest.approx(mean, rel=1e-12)
            assert row["sd"] == pytest.approx(sd, rel=1e-12)
            assert row["ci_high"] == pytest.approx(mean + half, rel=1e-9)
            easy = sum(s >= 5 for s in scores)
            assert row["share_easy"] == pytest.approx(100 * easy / len(scores))


def test_weekly_nps_adds_up_days_exactly() -> None:
    rows: list[dict[str, Any]] = [
        {"nps": (day * 7 + k) % 11, "received_on": dt.date(2024, 1, 1) + dt.timedelta(days=day)}
        for day in range(14)
        for k in range(day + 1)
    ]
    frame = compute_metric_frame(feedback_table(rows), "nps", period="week")
    assert list(frame["period"]) == [dt.date(2024, 1, 1), dt.date(2024, 1, 8)]
    for row in frame.to_dict("records"):
        week = row["period"]
        scores = [r["nps"] for r in rows if start_of_period(r["received_on"], "week") == week]
        promoters = sum(s >= 9 for s in scores)
        detractors = sum(s <= 6 for s in scores)
        counts = (row["n"], row["promoters"], row["detractors"])
        assert counts == (len(scores), promoters, detractors)
        assert row["value"] == pytest.approx(100 * (promoters - detractors) / len(scores))

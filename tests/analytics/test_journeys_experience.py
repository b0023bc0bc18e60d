"""What customers feel along the journey: relative weights against hand-computed cases,
moments of truth on a planted driver, pain points, the emotion curve and touchpoint scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kizuna.analytics._relative_weights import bootstrap_relative_weights, relative_weights
from kizuna.analytics.intervals import nps_interval
from kizuna.analytics.journeys import (
    emotion_curve,
    moments_of_truth,
    pain_points,
    touchpoint_summary,
)
from kizuna.errors import InsufficientData


def test_relative_weights_of_uncorrelated_predictors_are_their_squared_correlations() -> None:
    # Two orthogonal predictors (Johnson 2000: with R_xx = I the weights are r_xy^2).
    x = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]] * 5, dtype=float)
    y = 2 * x[:, 0] + 1 * x[:, 1] + np.tile([0.5, -0.5, -0.5, 0.5], 5)
    weights = relative_weights(x, y)
    r = [stats.pearsonr(x[:, j], y)[0] for j in range(2)]
    np.testing.assert_allclose(weights, np.square(r), rtol=1e-10)
    # By hand: var(y) = 4 + 1 + 0.25, so r1^2 = 4/5.25 and r2^2 = 1/5.25.
    np.testing.assert_allclose(weights, [4 / 5.25, 1 / 5.25], rtol=1e-10)


def test_relative_weights_add_up_to_r2_and_share_it_fairly() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal(500)
    x = np.column_stack([z + 0.3 * rng.standard_normal(500), z + 0.3 * rng.standard_normal(500)])
    x = np.column_stack([x, rng.standard_normal(500)])
    y = x[:, 0] + x[:, 1] + 0.5 * x[:, 2] + rng.standard_normal(500)
    weights = relative_weights(x, y)
    fitted = np.linalg.lstsq(np.column_stack([np.ones(500), x]), y, rcond=None)[0]
    r2 = 1 - np.var(y - np.column_stack([np.ones(500), x]) @ fitted) / np.var(y)
    assert weights.sum() == pytest.approx(r2, rel=1e-9)
    assert weights[0] == pytest.approx(weights[1], rel=0.15), "twins share their weight"
    assert weights[2] < weights[0]
    assert relative_weights(np.column_stack([x, np.ones(500)]), y)[3] == 0.0  # constant


def test_bootstrap_flags_a_real_driver_and_not_noise() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 2))
    y = 3 * x[:, 0] + rng.standard_normal(400)
    fitted = bootstrap_relative_weights(x, y, n_boot=100, seed=2)
    assert fitted.significant.tolist() == [True, False]
    assert fitted.ci_low[0] < fitted.weights[0] < fitted.ci_high[0]
    again = bootstrap_relative_weights(x, y, n_boot=100, seed=2)
    np.testing.assert_array_equal(fitted.ci_low, again.ci_low)  # seeded: same answer
    with pytest.raises(InsufficientData):
        bootstrap_relative_weights(x[:5], y[:5])


def planted_voices(seed: int = 3) -> pd.DataFrame:
    """Customers whose NPS follows how they felt at the front desk; breakfast is noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(300):
        desk = rng.uniform(-1, 1)
        breakfast = rng.uniform(-1, 1)
        nps = int(np.clip(round(6 + 4 * desk + rng.normal(0, 1)), 0, 10))
        rows.append(
            {"customer": customer, "touchpoint": "フロント", "sentiment_score": desk, "nps": nps}
        )
        rows.append(
            {"customer": customer, "touchpoint": "朝食", "sentiment_score": breakfast, "nps": None}
        )
    return pd.DataFrame(rows)


def test_moments_of_truth_find_the_touchpoint_that_moves_loyalty() -> None:
    result = moments_of_truth(planted_voices(), n_boot=100, seed=1)
    assert result["touchpoint"].tolist() == ["フロント", "朝食"]
    desk, breakfast = result.iloc[0], result.iloc[1]
    assert bool(desk["significant"]) and not bool(breakfast["significant"])
    assert desk["direction"] == 1
    assert desk["share"] > 0.9
    assert result.attrs["customers"] == 300
    assert result["weight"].sum() == pytest.approx(result.attrs["r2"])


def test_moments_of_truth_need_enough_customers() -> None:
    with pytest.raises(InsufficientData) as few:
        moments_of_truth(planted_voices().head(10))
    assert "10" in few.value.message("en")


def test_pain_points_rank_by_volume_times_negativity() -> None:
    voices = pd.DataFrame(
        {
            "id": range(1, 9),
            "touchpoint": ["受付"] * 4 + ["客室"] * 4,
            "text": ["待った", "長い", "普通", "良い", "狭い", "うるさい", "寒い", "最悪"],
            "sentiment_score": [-0.5, -0.5, 0.0, 0.8, -0.2, -0.2, -0.2, -0.9],
            "topics": [
                [{"topic": "wait_time", "sentiment": "negative", "score": -0.5}],
                [{"topic": "wait_time", "sentiment": "negative", "score": -0.5}],
                [{"topic": "wait_time", "sentiment": "neutral", "score": 0.0}],
                [{"topic": "staff", "sentiment": "positive", "score": 0.8}],
                [{"topic": "room", "sentiment": "negative", "score": -0.2}],
                [{"topic": "room", "sentiment": "negative", "score": -0.2}],
                [{"topic": "room", "sentiment": "negative", "score": -0.2}],
                [{"topic": "room", "sentiment": "negative", "score": -0.9}],
            ],
        }
    )
    result = pain_points(voices, min_volume=2)
    # room at 客室: 4 mentions, mean hurt (0.2*3+0.9)/4 = 0.375 -> 1.5;
    # wait_time at 受付: 3 mentions, mean hurt (0.5+0.5+0)/3 = 1/3 -> 1.0
    assert result[["touchpoint", "topic"]].to_records(index=False).tolist() == [
        ("客室", "room"),
        ("受付", "wait_time"),
    ]
    assert result["score"].tolist() == pytest.approx([1.5, 1.0])
    assert result["negative_share"].tolist() == pytest.approx([1.0, 2 / 3])
    assert result["quotes"].iloc[0][0]["text"] == "最悪", "the most hurting voice is quoted"


def test_emotion_curve_is_the_mean_with_a_student_t_interval() -> None:
    voices = pd.DataFrame(
        {
            "stage": ["use"] * 4 + ["support"] * 2,
            "sentiment_score": [0.2, 0.4, 0.6, 0.8, -0.5, -0.3],
            "sentiment": ["positive"] * 4 + ["negative"] * 2,
        }
    )
    curve = emotion_curve(voices, ["awareness", "use", "support"]).set_index("stage")
    assert curve.loc["awareness", "n"] == 0 and np.isnan(curve.loc["awareness", "mean"])
    values = np.array([0.2, 0.4, 0.6, 0.8])
    half = stats.t.ppf(0.975, 3) * values.std(ddof=1) / 2
    assert curve.loc["use", "mean"] == pytest.approx(0.5)
    assert curve.loc["use", "ci_low"] == pytest.approx(0.5 - half)
    assert curve.loc["use", "ci_high"] == pytest.approx(0.5 + half)
    assert curve.loc["support", "negative_share"] == 1.0


def test_touchpoint_summary_scores_with_the_house_intervals() -> None:
    voices = pd.DataFrame(
        {
            "id": range(1, 11),
            "customer": [1, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            "touchpoint": ["窓口"] * 10,
            "nps": [10, 9, 9, 8, 7, 6, 3, 10, None, None],
            "csat": [5, 4, 4, 3, 2, None, None, None, None, None],
            "text": [f"声{i}" for i in range(10)],
            "sentiment_score": np.linspace(-0.9, 0.9, 10),
            "sentiment": ["negative"] * 3 + ["neutral"] * 4 + ["positive"] * 3,
            "emotions": [{"joy": 1.0}] * 5 + [{"joy": 0.0}] * 5,
        }
    )
    row = touchpoint_summary(voices, quotes=3).iloc[0]
    assert row["voices"] == 10 and row["customers"] == 9
    low, high = nps_interval(4, 2, 8)
    assert row["nps"]["value"] == pytest.approx(100 * (4 - 2) / 8)
    assert (row["nps"]["low"], row["nps"]["high"]) == pytest.approx((100 * low, 100 * high))
    assert row["csat"]["value"] == pytest.approx(60.0)
    assert row["emotions"] == {"joy": 0.5}
    quotes = [q["text"] for q in row["quotes"]]
    assert quotes[:2] == ["声9", "声0"], "most positive, then most negative"

"""ChurnModel: calibrated churn risk with per-customer factors, on real and built data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kizuna.analytics.churn import ChurnModel, split_train_test
from kizuna.analytics.clv import NotFittedError
from kizuna.errors import InvalidInput


def load_telco(shared_data: Path) -> pd.DataFrame:
    """IBM telco sample: UTF-8 BOM, blank TotalCharges, 5 trailing geo columns to ignore."""
    frame = pd.read_csv(shared_data / "churn" / "telco_churn.csv", encoding="utf-8-sig")
    frame = frame.drop(columns=["Country", "City", "ZipCode", "Latitude", "Longitude"])
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    frame["churned"] = frame.pop("Churn").eq("Yes")
    return frame.set_index("customerID")


def make_customers(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Churn driven by short tenure and the 'basic' plan; `noise` does nothing."""
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(0, 60, n)
    plan = rng.choice(["basic", "standard", "premium"], n)
    noise = rng.normal(size=n)
    logit = -0.5 - 0.08 * (tenure - 20) + 2.0 * (plan == "basic") - 1.0 * (plan == "premium")
    churned = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    signup = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    return pd.DataFrame(
        {"tenure": tenure, "plan": plan, "noise": noise, "signup": signup, "churned": churned},
        index=pd.Index([f"c{i}" for i in range(n)], name="customer"),
    )


FEATURES = ["tenure", "plan", "noise"]


def test_telco_held_out_auc_reaches_the_target(shared_data: Path) -> None:
    telco = load_telco(shared_data)
    assert len(telco) == 7043
    assert telco["TotalCharges"].isna().sum() == 11
    train, test = split_train_test(telco, "churned", test_fraction=0.25, random_state=0)
    model = ChurnModel(n_threads=1).fit(train.drop(columns="churned"), train["churned"])
    quality = model.evaluate(test.drop(columns="churned"), test["churned"])
    assert quality.n == len(test)
    assert quality.roc_auc >= 0.84
    # Better than always predicting the base rate (Brier = p(1 - p) = 0.195).
    assert quality.brier < 0.15
    assert quality.pr_auc > 2 * quality.positive_rate
    # Month-to-month contracts are the best-known churn factor in this data.
    factors = model.explain(test.drop(columns="churned").head(300), top_n=3)
    assert factors["feature"].value_counts().index[0] in {"Contract", "tenure"}


def test_explain_names_the_real_drivers_and_their_direction() -> None:
    data = make_customers()
    model = ChurnModel(n_threads=1, max_iter=100).fit(data[FEATURES], data["churned"])
    risky = pd.DataFrame({"tenure": [2.0], "plan": ["basic"], "noise": [0.0]}, index=["risky"])
    safe = pd.DataFrame({"tenure": [58.0], "plan": ["premium"], "noise": [0.0]}, index=["safe"])
    assert model.predict_proba(risky)[0] > 0.7 > 0.1 > model.predict_proba(safe)[0]
    factors = model.explain(pd.concat([risky, safe]), top_n=2)
    assert list(factors.columns) == [
        "customer",
        "rank",
        "feature",
        "value",
        "effect",
        "churn_probability",
    ]
    top_risky = factors[factors["customer"] == "risky"]
    assert set(top_risky["feature"]) == {"tenure", "plan"}
    assert (top_risky["effect"] > 0).all()  # both raise this customer's risk
    top_safe = factors[factors["customer"] == "safe"]
    assert set(top_safe["feature"]) == {"tenure", "plan"}
    assert (top_safe["effect"] < 0).all()
    assert list(top_risky["rank"]) == [1, 2]
    assert abs(top_risky["effect"].iloc[0]) >= abs(top_risky["effect"].iloc[1])


def test_probabilities_are_calibrated_on_held_out_customers() -> None:
    data = make_customers(n=6000, seed=1)
    train, test = split_train_test(data, "churned", random_state=1)
    model = ChurnModel(n_threads=1, max_iter=100).fit(train[FEATURES], train["churned"])
    score = model.predict_proba(test[FEATURES])
    bins = pd.qcut(score, 5, labels=False)
    observed = test["churned"].groupby(bins).mean().to_numpy()
    predicted = pd.Series(score).groupby(bins).mean().to_numpy()
    np.testing.assert_allclose(observed, predicted, atol=0.08)


def test_time_split_trains_on_earlier_customers_only() -> None:
    data = make_customers()
    train, test = split_train_test(data, "churned", time_col="signup", test_fraction=0.3)
    assert train["signup"].max() < test["signup"].min()
    assert len(train) + len(test) == len(data)
    assert 0.25 < len(test) / len(data) < 0.35


def test_stratified_split_keeps_the_churn_rate_and_is_seeded() -> None:
    data = make_customers()
    train, test = split_train_test(data, "churned", random_state=5)
    again, _ = split_train_test(data, "churned", random_state=5)
    assert list(train.index) == list(again.index)
    assert abs(train["churned"].mean() - test["churned"].mean()) < 0.01


def test_unseen_category_and_missing_values_still_get_a_score() -> None:
    data = make_customers()
    model = ChurnModel(n_threads=1, max_iter=50).fit(data[FEATURES], data["churned"])
    odd = pd.DataFrame(
        {"tenure": [np.nan, 10.0], "plan": ["enterprise", None], "noise": [0.0, 0.0]}
    )
    score = model.predict_proba(odd)
    assert np.all((score > 0) & (score < 1))


def test_mistakes_are_explained() -> None:
    data = make_customers(n=500)
    model = ChurnModel(n_threads=1, max_iter=20)
    with pytest.raises(NotFittedError, match=r"\.fit\(X, y\)"):
        model.predict_proba(data[FEATURES])
    assert "not fitted" in repr(model)
    with pytest.raises(InvalidInput, match="0/1"):
        model.fit(data[FEATURES], data["churned"].map({True: "Yes", False: "No"}))
    model.fit(data[FEATURES], data["churned"])
    assert "3 features (1 categorical)" in repr(model)
    assert model.summary.loc["plan", "kind"] == "categorical"
    with pytest.raises(InvalidInput, match="noise"):
        model.predict_proba(data[["tenure", "plan"]])
    only_kept = data[~data["churned"]]
    with pytest.raises(InvalidInput, match="one class"):
        model.evaluate(only_kept[FEATURES], only_kept["churned"])

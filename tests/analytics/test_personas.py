"""Personas from mixed features: Gower's distance by hand, planted groups found, the same
seed giving the same personas, and earlier customers keeping their persona when 5% new
customers arrive (warm start and Hungarian matching)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from kizuna.analytics.personas import PersonaModel, gower_distances, match_personas
from kizuna.errors import InsufficientData, InvalidInput, NotFittedError

NUMERIC = ["recency", "spend", "app_share"]
CATEGORICAL = ["age", "life"]


def customers(n: int, seed: int) -> pd.DataFrame:
    """Four planted groups, with noise, missing spend and shuffled categories."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 4, n)
    centres = np.array([[5, 200, 0.8], [60, 20, 0.2], [20, 80, 0.5], [120, 5, 0.1]])
    numbers = centres[group] * rng.lognormal(0, 0.3, (n, 3))
    profile = np.array([["20s", "single"], ["60s", "senior"], ["30s", "family"], ["40s", "couple"]])
    frame = pd.DataFrame(
        {
            "recency": numbers[:, 0],
            "spend": numbers[:, 1],
            "app_share": np.clip(numbers[:, 2], 0, 1),
            "age": np.where(rng.random(n) < 0.8, profile[group, 0], rng.choice(profile[:, 0], n)),
            "life": np.where(rng.random(n) < 0.8, profile[group, 1], rng.choice(profile[:, 1], n)),
            "group": group,
        }
    )
    frame.loc[rng.random(n) < 0.3, "spend"] = np.nan
    frame.loc[rng.random(n) < 0.05, "life"] = None
    return frame


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return customers(800, seed=1)


@pytest.fixture(scope="module")
def fitted(base: pd.DataFrame) -> PersonaModel:
    return PersonaModel(seed=3).fit(base, NUMERIC, CATEGORICAL)


def test_gower_distance_by_hand() -> None:
    frame = pd.DataFrame({"x": [0.0, 10.0, 5.0, np.nan], "c": ["a", "b", "a", "a"]})
    d = gower_distances(frame, ["x"], ["c"])
    # x scaled by its 1st-99th percentile range (0.1 .. 9.9); rows 0 and 1 clip to 0 and 1.
    span = np.percentile([0, 10, 5], 99) - np.percentile([0, 10, 5], 1)
    low = np.percentile([0, 10, 5], 1)
    s = np.clip((np.array([0.0, 10.0, 5.0]) - low) / span, 0, 1)
    assert d[0, 1] == pytest.approx((abs(s[0] - s[1]) + 1) / 2)
    assert d[0, 2] == pytest.approx((abs(s[0] - s[2]) + 0) / 2)
    assert d[0, 3] == pytest.approx(0.0), "x unknown for row 3: only the category counts"
    assert d[1, 3] == pytest.approx(1.0)
    np.testing.assert_allclose(d, d.T)


def test_planted_groups_are_found_with_mixed_types(
    fitted: PersonaModel, base: pd.DataFrame
) -> None:
    assert fitted.n_personas_ == 4
    assert adjusted_rand_score(base["group"], fitted.labels_) > 0.8
    assert set(fitted.silhouettes_) == set(range(3, 9))
    assert fitted.silhouette_ == max(fitted.silhouettes_.values())
    assert "silhouette" in fitted.criterion_
    summary = fitted.summary()
    assert summary["size"].sum() == len(base)
    assert set(summary["age"]) == {"20s", "60s", "30s", "40s"}
    assert "n_personas_=4" in repr(fitted)


def test_the_same_seed_and_data_give_identical_personas(
    fitted: PersonaModel, base: pd.DataFrame
) -> None:
    again = PersonaModel(seed=3).fit(base, NUMERIC, CATEGORICAL)
    np.testing.assert_array_equal(again.labels_, fitted.labels_)
    pd.testing.assert_frame_equal(again.prototypes_, fitted.prototypes_)
    assert again.silhouettes_ == fitted.silhouettes_


def test_five_percent_new_customers_keep_ninety_percent_in_their_persona(
    fitted: PersonaModel, base: pd.DataFrame
) -> None:
    grown = pd.concat([base, customers(40, seed=9)], ignore_index=True)  # +5%
    rebuilt = PersonaModel(seed=3).fit(grown, NUMERIC, CATEGORICAL, init=fitted.prototypes_)
    previous = {i: int(label) + 100 for i, label in enumerate(fitted.labels_)}  # stored ids
    current = {i: int(label) for i, label in enumerate(rebuilt.labels_)}
    ids = match_personas(previous, current)
    kept = np.mean([ids[current[i]] == previous[i] for i in range(len(base))])
    assert kept >= 0.9
    assert sorted(ids.values()) == [100, 101, 102, 103], "every persona keeps its id"


def test_new_data_without_a_warm_start_still_matches_most_customers(
    fitted: PersonaModel, base: pd.DataFrame
) -> None:
    grown = pd.concat([base, customers(40, seed=9)], ignore_index=True)
    rebuilt = PersonaModel(seed=11).fit(grown, NUMERIC, CATEGORICAL)
    previous = {i: int(label) for i, label in enumerate(fitted.labels_)}
    current = {i: int(label) for i, label in enumerate(rebuilt.labels_)}
    ids = match_personas(previous, current)
    assert np.mean([ids[current[i]] == previous[i] for i in range(len(base))]) >= 0.9


def test_matching_is_one_to_one_and_new_clusters_get_new_ids() -> None:
    previous = {1: 7, 2: 7, 3: 8, 4: 8, 5: 9}
    current = {1: 0, 2: 0, 3: 1, 4: 2, 5: 2, 6: 3}
    # The most shared customers in total: 0 -> 7 (2), 1 -> 8 (1), 2 -> 9 (1); 3 is new.
    assert match_personas(previous, current) == {0: 7, 1: 8, 2: 9, 3: 10}
    assert match_personas({}, {1: 0, 2: 1}) == {0: 1, 1: 2}


def test_a_fixed_number_and_prediction(base: pd.DataFrame) -> None:
    model = PersonaModel(n_personas=3, seed=0, n_init=2).fit(base, NUMERIC, CATEGORICAL)
    assert model.n_personas_ == 3 and model.criterion_ == "fixed by the caller"
    predicted = model.predict(base)
    assert (predicted == model.labels_).mean() > 0.95
    assert model.transform(base.head(5)).shape == (5, 3)


def test_errors_say_what_to_do() -> None:
    with pytest.raises(NotFittedError):
        PersonaModel().predict(customers(10, 0))
    with pytest.raises(InsufficientData):
        PersonaModel().fit(customers(8, 0), NUMERIC, CATEGORICAL)
    with pytest.raises(InvalidInput):
        PersonaModel().fit(customers(50, 0), ["nope"], [])
    with pytest.raises(InvalidInput):
        PersonaModel().fit(customers(50, 0), [], [])

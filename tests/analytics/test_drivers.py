"""Key drivers: relative weights reproduce a published example, Shapley values add up to the
model's R^2 and match hand-computed cases, and bad data are refused with the reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kizuna.analytics.drivers import (
    MAX_SHAPLEY_DRIVERS,
    importance_performance,
    relative_weights,
    shapley_regression,
)
from kizuna.errors import InsufficientData, InvalidInput

# Motor Trend 1974 road tests (Henderson & Velleman 1981), R's `mtcars`: the columns used here.
MTCARS = pd.read_csv(Path(__file__).parent / "data" / "mtcars.csv")


def r_squared(frame: pd.DataFrame, outcome: str, drivers: list[str]) -> float:
    x = np.column_stack([np.ones(len(frame)), frame[drivers].to_numpy(float)])
    y = frame[outcome].to_numpy(float)
    fitted = x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return float(1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def test_relative_weights_reproduce_the_published_mtcars_example() -> None:
    """The `rwa` package's worked example (mpg on cyl, disp, hp and gear), to three decimals
    and beyond: raw weights 0.2321744 (hp), 0.2284797 (cyl), 0.2221469 (disp), 0.0963886
    (gear); R^2 0.7791896; rescaled 29.79691, 29.32274, 28.50999, 12.37037."""
    weights = relative_weights(MTCARS, "mpg", ["cyl", "disp", "hp", "gear"])
    assert list(weights["driver"]) == ["hp", "cyl", "disp", "gear"]
    assert weights["weight"].round(6).tolist() == [0.232174, 0.228480, 0.222147, 0.096389]
    assert (100 * weights["share"]).round(3).tolist() == [29.797, 29.323, 28.510, 12.370]
    assert weights.attrs["r2"] == pytest.approx(0.7791896, abs=1e-7)
    assert weights.attrs["r2"] == pytest.approx(
        r_squared(MTCARS, "mpg", ["cyl", "disp", "hp", "gear"])
    )
    assert weights.attrs["n"] == 32
    assert list(weights["direction"]) == [-1, -1, -1, 1]  # the published signs: - - - +
    inside = (weights["ci_low"] <= weights["weight"]) & (weights["weight"] <= weights["ci_high"])
    assert inside.all()


def test_shapley_values_add_up_to_r2_and_agree_with_relative_weights_on_mtcars() -> None:
    drivers = ["cyl", "disp", "hp", "gear"]
    shapley = shapley_regression(MTCARS, "mpg", drivers)
    assert shapley["shapley"].sum() == pytest.approx(r_squared(MTCARS, "mpg", drivers))
    assert shapley["share"].sum() == pytest.approx(1.0)
    weights = relative_weights(MTCARS, "mpg", drivers, n_boot=20)
    both = weights.set_index("driver")["weight"] - shapley.set_index("driver")["shapley"]
    assert both.abs().max() < 0.03  # two methods, one story
    assert shapley["driver"].iloc[-1] == "gear"


def test_two_drivers_match_the_hand_formula() -> None:
    """With two drivers each Shapley value is the mean of its gain entering first and last:
    (r1^2 + R^2 - r2^2) / 2."""
    frame = MTCARS[["mpg", "disp", "hp"]]
    r1 = frame["mpg"].corr(frame["disp"]) ** 2
    r2 = frame["mpg"].corr(frame["hp"]) ** 2
    full = r_squared(frame, "mpg", ["disp", "hp"])
    values = shapley_regression(frame, "mpg", ["disp", "hp"]).set_index("driver")["shapley"]
    assert values["disp"] == pytest.approx((r1 + full - r2) / 2)
    assert values["hp"] == pytest.approx((r2 + full - r1) / 2)


def test_uncorrelated_drivers_get_their_squared_correlations() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(400), rng.standard_normal(400)
    a, b = a - a.mean(), b - b.mean()
    b = b - a * (a @ b) / (a @ a)  # exactly uncorrelated in the sample
    frame = pd.DataFrame({"a": a, "b": b, "y": 2 * a + b + rng.standard_normal(400)})
    expected = {d: frame["y"].corr(frame[d]) ** 2 for d in "ab"}
    weights = relative_weights(frame, "y", ["a", "b"], n_boot=10).set_index("driver")["weight"]
    shapley = shapley_regression(frame, "y", ["a", "b"]).set_index("driver")["shapley"]
    for d in "ab":
        assert weights[d] == pytest.approx(expected[d], abs=1e-3)
        assert shapley[d] == pytest.approx(expected[d], abs=1e-3)


def test_a_real_driver_is_significant_and_noise_is_not_and_the_seed_fixes_the_answer() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"staff": rng.normal(size=300), "noise": rng.normal(size=300)}).assign(
        nps=lambda f: 5 + 1.5 * f["staff"] + rng.normal(size=300)
    )
    first = relative_weights(frame, "nps", ["staff", "noise"], n_boot=100, seed=1)
    again = relative_weights(frame, "nps", ["staff", "noise"], n_boot=100, seed=1)
    pd.testing.assert_frame_equal(first, again)
    flags = first.set_index("driver")["significant"]
    assert bool(flags["staff"]) and not bool(flags["noise"])


def test_missing_values_leave_their_rows_out() -> None:
    frame = MTCARS.copy()
    frame.loc[:4, "hp"] = None
    assert relative_weights(frame, "mpg", ["cyl", "hp"], n_boot=5).attrs["n"] == 27


@pytest.mark.parametrize(
    ("frame", "drivers", "error", "words"),
    [
        (MTCARS.head(9), ["cyl", "hp"], InsufficientData, "10"),
        (MTCARS.assign(flat=3), ["cyl", "flat"], InsufficientData, "flat"),
        (
            MTCARS.assign(both=MTCARS["cyl"] + MTCARS["hp"]),
            ["cyl", "hp", "both"],
            InvalidInput,
            "both",
        ),
        (MTCARS, ["cyl", "weight"], InvalidInput, "weight"),
        (MTCARS, [], InvalidInput, "driver"),
    ],
    ids=["too few rows", "constant driver", "collinear drivers", "unknown column", "no driver"],
)
def test_data_that_cannot_answer_are_refused_with_the_reason(
    frame: pd.DataFrame, drivers: list[str], error: type[Exception], words: str
) -> None:
    for analyse in (relative_weights, shapley_regression):
        with pytest.raises(error) as refused:
            analyse(frame, "mpg", drivers)
        assert words in refused.value.message("en")  # type: ignore[attr-defined]
        assert refused.value.message("ja")  # type: ignore[attr-defined]


def test_collinear_drivers_are_named_together() -> None:
    frame = MTCARS.assign(both=MTCARS["cyl"] + MTCARS["hp"])
    with pytest.raises(InvalidInput) as refused:
        relative_weights(frame, "mpg", ["cyl", "hp", "both", "gear"])
    assert set(refused.value.details["drivers"]) == {"cyl", "hp", "both"}


def test_shapley_takes_at_most_twelve_drivers() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, MAX_SHAPLEY_DRIVERS + 2)))
    frame.columns = [f"d{i}" for i in range(MAX_SHAPLEY_DRIVERS + 1)] + ["y"]
    twelve = [f"d{i}" for i in range(MAX_SHAPLEY_DRIVERS)]
    values = shapley_regression(frame, "y", twelve)
    assert values["shapley"].sum() == pytest.approx(r_squared(frame, "y", twelve))
    with pytest.raises(InvalidInput, match="at most 12"):
        shapley_regression(frame, "y", [*twelve, f"d{MAX_SHAPLEY_DRIVERS}"])


def test_importance_performance_puts_each_driver_in_its_quadrant() -> None:
    weights = pd.DataFrame(
        {"driver": ["staff", "room", "price", "wifi"], "share": [0.4, 0.35, 0.15, 0.10]}
    )
    placed = importance_performance(
        weights, {"staff": 4.6, "room": 3.1, "price": 3.0, "wifi": 4.4}
    ).set_index("driver")["quadrant"]
    assert placed.to_dict() == {
        "staff": "keep_it_up",
        "room": "fix_first",
        "price": "low_priority",
        "wifi": "possible_overkill",
    }
    with pytest.raises(InvalidInput, match="wifi"):
        importance_performance(weights, {"staff": 4.6, "room": 3.1, "price": 3.0})


def _bootstrap_one_at_a_time(
    x: np.ndarray, y: np.ndarray, n_boot: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bootstrap as its definition reads: each sample drawn, copied and weighed alone."""
    from kizuna.analytics._relative_weights import relative_weights as raw_weights

    rng = np.random.default_rng(seed)
    n, p = x.shape
    draws, versus = np.empty((n_boot, p)), np.empty((n_boot, p))
    for b in range(n_boot):
        sample = rng.integers(0, n, n)
        noise = rng.standard_normal(n)
        both = raw_weights(np.column_stack([x[sample], noise]), y[sample])
        draws[b] = raw_weights(x[sample], y[sample])
        versus[b] = both[:p] - both[p]
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    return low, high, np.percentile(versus, 2.5, axis=0) > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bootstrap_intervals_equal_weighing_each_sample_alone(seed: int) -> None:
    """Indicators, one so rare that many samples lack it, one constant, and a score."""
    from kizuna.analytics._relative_weights import bootstrap_relative_weights

    rng = np.random.default_rng(seed)
    x = (rng.random((300, 5)) < 0.3).astype(float)
    x[:, 3] = 0.0
    x[rng.choice(300, 2, replace=False), 3] = 1.0
    x[:, 4] = 1.0
    y = rng.integers(0, 11, 300) + 3 * x[:, 0] + 5 * x[:, 3]
    fitted = bootstrap_relative_weights(x, y, n_boot=150, seed=seed)
    low, high, significant = _bootstrap_one_at_a_time(x, y, 150, seed)
    assert fitted.ci_low == pytest.approx(low, abs=1e-12)
    assert fitted.ci_high == pytest.approx(high, abs=1e-12)
    assert (fitted.significant == significant).all()
    assert fitted.significant[0] and fitted.ci_high[4] == 0.0

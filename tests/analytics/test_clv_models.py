"""BG/NBD, Pareto/NBD and Gamma-Gamma reproduce the published CDNOW estimates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kizuna.analytics.clv import (
    BetaGeoModel,
    GammaGammaModel,
    NotFittedError,
    ParetoNBDModel,
    rfm_summary,
)

# Fader, Hardie & Lee (2005), Marketing Science 24(2) and JMR 42(4); see ../shared/data/README.md.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def cdnow_rfm(shared_data: Path) -> pd.DataFrame:
    """The 1/10 sample, calibration weeks 1..39 (1997-01-01..1997-09-30), time in weeks."""
    tx = pd.read_csv(
        shared_data / "cdnow" / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["id", "id_in_sample", "date", "cds", "value"],
        dtype={"date": str},
    )
    return rfm_summary(tx, "id_in_sample", "date", "value", "1997-09-30", freq="W")


def assert_close_to_published(fitted: dict[str, float], published: dict[str, float]) -> None:
    for name, value in published.items():
        assert fitted[name] == pytest.approx(value, rel=0.005), name


def test_cdnow_sample_has_the_papers_counts(cdnow_rfm: pd.DataFrame) -> None:
    assert len(cdnow_rfm) == 2357
    assert int((cdnow_rfm["frequency"] > 0).sum()) == 946
    first = cdnow_rfm.loc[1]
    assert (first["frequency"], round(first["recency"], 2), round(first["T"], 2)) == (
        2,
        30.43,
        38.86,
    )


def test_bgnbd_reproduces_fader_hardie_lee(cdnow_rfm: pd.DataFrame) -> None:
    model = BetaGeoModel().fit(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    assert_close_to_published(model.params_, PUBLISHED_BGNBD)
    assert model.loglik_ == pytest.approx(-9582.4, abs=0.1)
    assert model.converged_
    # Customer 1 is expected to make about 1.23 purchases in the next 39 weeks.
    expected = model.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)
    assert round(float(expected[0]), 2) == 1.23


def test_pareto_nbd_reproduces_fader_hardie_lee(cdnow_rfm: pd.DataFrame) -> None:
    model = ParetoNBDModel().fit(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    assert_close_to_published(model.params_, PUBLISHED_PARETO)
    assert model.loglik_ == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_reproduces_note_025(cdnow_rfm: pd.DataFrame) -> None:
    repeat = cdnow_rfm[cdnow_rfm["frequency"] > 0]
    model = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    assert model.n_customers_ == 946
    assert_close_to_published(model.params_, PUBLISHED_GG)
    # Note 025's convention: density of the mean spend, Jacobian terms included.
    assert model.loglik_ == pytest.approx(-4055.9, abs=0.1)


def test_summary_and_repr_show_the_fit(cdnow_rfm: pd.DataFrame) -> None:
    model = BetaGeoModel()
    assert "not fitted" in repr(model)
    model.fit(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    summary = model.summary
    assert list(summary.index) == ["r", "alpha", "a", "b"]
    assert (summary["lower_95"] < summary["coef"]).all()
    assert (summary["coef"] < summary["upper_95"]).all()
    assert (summary["se"] > 0).all()
    assert "r=0.2426" in repr(model)
    assert "loglik=-9582.4" in repr(model)


@pytest.mark.parametrize("model", [BetaGeoModel(), ParetoNBDModel()])
def test_predicting_before_fit_says_what_to_call(model: BetaGeoModel | ParetoNBDModel) -> None:
    with pytest.raises(NotFittedError) as err:
        model.conditional_probability_alive([1], [1.0], [2.0])
    assert ".fit(frequency, recency, T)" in err.value.message_en
    assert ".fit(frequency, recency, T)" in err.value.message_ja
    with pytest.raises(NotFittedError):
        _ = model.summary


def test_gamma_gamma_before_fit_says_what_to_call() -> None:
    with pytest.raises(NotFittedError, match=r"\.fit\(frequency, monetary_value\)"):
        GammaGammaModel().conditional_expected_average_profit([1], [10.0])


@pytest.mark.parametrize("model_class", [BetaGeoModel, ParetoNBDModel])
def test_alive_probability_falls_with_time_since_last_purchase(
    cdnow_rfm: pd.DataFrame, model_class: type[BetaGeoModel] | type[ParetoNBDModel]
) -> None:
    model = model_class().fit(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    recency = np.array([38.0, 30.0, 20.0, 5.0])
    alive = model.conditional_probability_alive(np.full(4, 3), recency, np.full(4, 38.86))
    assert np.all(np.diff(alive) < 0)
    assert np.all((alive > 0) & (alive <= 1))
    # A recent frequent buyer is expected to buy more than a lapsed one.
    expected = model.conditional_expected_number_of_purchases_up_to_time(
        39, np.full(4, 3), recency, np.full(4, 38.86)
    )
    assert np.all(np.diff(expected) < 0)


@pytest.mark.parametrize("model_class", [BetaGeoModel, ParetoNBDModel])
def test_unconditional_expectation_matches_the_average_customer(
    cdnow_rfm: pd.DataFrame, model_class: type[BetaGeoModel] | type[ParetoNBDModel]
) -> None:
    model = model_class().fit(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    # Over each customer's own T, the model's mean count is close to the observed mean.
    predicted = np.mean([model.expected_number_of_purchases_up_to_time(t) for t in cdnow_rfm["T"]])
    assert predicted == pytest.approx(cdnow_rfm["frequency"].mean(), rel=0.05)


def test_weights_stand_for_repeated_customers(cdnow_rfm: pd.DataFrame) -> None:
    head = cdnow_rfm.iloc[:600]
    counts = np.arange(len(head)) % 3 + 1
    repeated = head.loc[head.index.repeat(counts)]
    by_rows = BetaGeoModel().fit(repeated["frequency"], repeated["recency"], repeated["T"])
    by_weight = BetaGeoModel().fit(head["frequency"], head["recency"], head["T"], weights=counts)
    assert by_weight.n_customers_ == len(repeated)
    for name, value in by_rows.params_.items():
        assert by_weight.params_[name] == pytest.approx(value, rel=1e-4)
    assert by_weight.loglik_ == pytest.approx(by_rows.loglik_, abs=1e-4)


def test_invalid_rfm_rows_are_refused_with_the_row() -> None:
    from kizuna.errors import InvalidInput

    with pytest.raises(InvalidInput, match="Row 1") as err:
        BetaGeoModel().fit([1, 2], [1.0, 5.0], [3.0, 4.0])
    assert "rfm_summary" in err.value.message_ja


def test_gamma_gamma_refuses_non_positive_spend() -> None:
    from kizuna.errors import InvalidInput

    with pytest.raises(InvalidInput, match="positive monetary_value"):
        GammaGammaModel().fit([1, 2, 3, 1], [10.0, 0.0, 5.0, 7.0])


def test_gamma_gamma_shrinks_spend_toward_the_population(cdnow_rfm: pd.DataFrame) -> None:
    repeat = cdnow_rfm[cdnow_rfm["frequency"] > 0]
    model = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    p, q, gamma = (model.params_[k] for k in ("p", "q", "gamma"))
    population = p * gamma / (q - 1)
    spend = model.conditional_expected_average_profit([1, 10, 0], [200.0, 200.0, 0.0])
    # One purchase at 200 is pulled far toward the mean; ten purchases much less; none: the mean.
    assert population < spend[0] < spend[1] < 200.0
    assert spend[2] == pytest.approx(population)

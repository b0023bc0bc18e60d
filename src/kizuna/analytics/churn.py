"""Churn risk: who is likely to leave, how sure we are, and why.

A gradient-boosted classifier (scikit-learn HistGradientBoostingClassifier) on profile
features, wrapped in CalibratedClassifierCV so that a score of 0.3 means about 30 of 100
such customers leave. Numeric and categorical columns are both accepted (categorical =
any non-numeric or boolean column, split natively by the trees; values unseen at fit time
count as missing).

Per-customer factors (`explain`): for each feature, the customer's calibrated probability
minus its average when that one feature takes the population's values instead (8
quantiles for numbers; the 8 most frequent categories, by frequency), all other features
kept. Vectorised over customers, features and replacement values. A positive effect means
the customer's own value raises the risk compared with the population. This is a
one-feature-at-a-time ("interventional occlusion") attribution, cheaper than Shapley
values: effects of correlated features are not split between them and need not add up to
the score. Comparing against a population mix rather than one reference value means a
customer whose value is the most common one still sees its effect.

Pure: takes and returns pandas/NumPy data; knows nothing of the database or the web.
scikit-learn is imported by the methods that fit and test (a second of start-up otherwise).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from kizuna.errors import InsufficientData, InvalidInput, NotFittedError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["ChurnEvaluation", "ChurnModel", "split_train_test"]

# HistGradientBoosting bins categories into at most 255 bins, one of them for missing.
_MAX_CATEGORIES = 254
# Rows (customers x replacement values) scored at once by explain(); bounds memory.
_EXPLAIN_ROWS = 200_000
# Population values each feature is replaced with in explain().
_REPLACEMENTS = 8


@dataclass(frozen=True)
class ChurnEvaluation:
    """Held-out quality: ranking (ROC-AUC, PR-AUC) and calibration (Brier score)."""

    roc_auc: float
    pr_auc: float
    brier: float
    n: int
    positive_rate: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


def split_train_test(
    frame: pd.DataFrame,
    target: str,
    time_col: str | None = None,
    test_fraction: float = 0.25,
    random_state: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on earlier rows and test on later ones when `time_col` is given (rows at the
    cut time all go to test, so no moment is in both); otherwise a seeded split stratified
    on `target`."""
    if not 0 < test_fraction < 1 or target not in frame.columns:
        raise InvalidInput(
            f"Need a target column ('{target}' given) and 0 < test_fraction < 1 ({test_fraction}). "
            f"Pass one of the frame's columns {list(map(str, frame.columns))[:20]} as target and "
            "a test_fraction such as 0.25.",
            f"目的変数の列（指定: '{target}'）と 0 < test_fraction < 1（指定: {test_fraction}）が必要です。"
            f"target には列 {list(map(str, frame.columns))[:20]} のいずれかを、test_fraction には "
            "0.25 などを指定してください。",
        )
    if time_col is not None and time_col not in frame.columns:
        raise InvalidInput(
            f"The frame has no column '{time_col}' to split by time. Pass the name of a date "
            "column, or time_col=None for a random split.",
            f"時刻で分ける列「{time_col}」がありません。日付の列名を指定するか、"
            "無作為に分けるなら time_col=None にしてください。",
            column=time_col,
        )
    if time_col is None:
        from sklearn.model_selection import train_test_split

        counts = frame[target].value_counts()
        smallest = int(counts.min()) if len(counts) else 0
        n_test = int(np.ceil(len(frame) * test_fraction))
        # What a stratified split needs: two rows of each class, and room for every class
        # on both sides.
        if smallest < 2 or min(n_test, len(frame) - n_test) < len(counts):
            raise InsufficientData(
                f"Too few rows to split {len(frame)} customers into train and test with every "
                f"class of '{target}' on both sides (the rarest class has {smallest}). Add "
                "customers, or evaluate on a separate file.",
                f"{len(frame)}件の顧客を、学習用と検証用の両方に「{target}」の全クラスが入るように"
                f"分けられません(最も少ないクラスは{smallest}件)。顧客を増やすか、"
                "別のデータで評価してください。",
                rows=len(frame),
            )
        train, test = train_test_split(
            frame, test_size=test_fraction, stratify=frame[target], random_state=random_state
        )
        return train, test
    try:
        times = (
            pd.to_datetime(frame[time_col])
            if not pd.api.types.is_numeric_dtype(frame[time_col])
            else frame[time_col]
        )
    except (ValueError, TypeError):
        raise InvalidInput(
            f"Column '{time_col}' holds values that are not dates or times. Use ISO dates "
            "such as 2024-04-01, or a numeric time column.",
            f"列「{time_col}」に日付・時刻として読めない値があります。2024-04-01 のような形式か、"
            "数値の時刻の列を指定してください。",
            column=time_col,
        ) from None
    if len(frame) < 2:
        is_test = np.ones(len(frame), dtype=bool)
    else:
        cut = times.sort_values(kind="stable").iloc[int(len(frame) * (1 - test_fraction))]
        is_test = (times >= cut).to_numpy()
    if is_test.all() or not is_test.any():
        raise InsufficientData(
            f"Column '{time_col}' has too few distinct times ({len(frame)} rows) to split "
            "train from test. Use a column with more distinct dates, or time_col=None for a "
            "random split.",
            f"列「{time_col}」の時刻の種類が少なすぎて({len(frame)}行)、学習用と検証用に分けられません。"
            "日付の種類が多い列を使うか、time_col=None で無作為に分けてください。",
            column=time_col,
        )
    return frame[~is_test], frame[is_test]


class ChurnModel:
    """Calibrated gradient boosting for churn, with per-customer factors.

    Hyper-parameters are those of HistGradientBoostingClassifier (shallow trees by default:
    churn data is small and mostly additive) plus the calibration method and folds.
    Sigmoid calibration is the default: isotonic scores equally well here but gives some
    customers a risk of exactly 0 or 1, which nobody should read as certain.
    `n_threads` caps OpenMP threads (None = library default; 1 is faster on small data or
    a busy machine).
    """

    def __init__(
        self,
        calibration: Literal["isotonic", "sigmoid"] = "sigmoid",
        cv: int = 3,
        learning_rate: float = 0.05,
        max_iter: int = 150,
        max_depth: int | None = 3,
        min_samples_leaf: int = 40,
        l2_regularization: float = 0.0,
        random_state: int = 0,
        n_threads: int | None = None,
    ) -> None:
        self.calibration = calibration
        self.cv = cv
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X: pd.DataFrame, y: ArrayLike) -> Self:
        """Learn from profile features `X` (one row per customer) and `y` (1/True = churned)."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier

        target = _as_binary(y, len(X))
        _check_classes(target, self.cv)
        self.feature_names_ = [str(c) for c in X.columns]
        self.categories_ = {
            str(c): _top_categories(X[c]) for c in X.columns if _is_categorical(X[c])
        }
        encoded = self._encode(X)
        is_cat = np.array([name in self.categories_ for name in self.feature_names_])
        booster = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            categorical_features=is_cat if is_cat.any() else None,
            early_stopping=False,
            random_state=self.random_state,
        )
        calibrated = CalibratedClassifierCV(booster, method=self.calibration, cv=self.cv)
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            self.estimator_ = calibrated.fit(encoded, target)
        self.reference_ = _reference_row(encoded, is_cat)
        self.replacements_ = _population_values(encoded, is_cat)
        self.n_samples_ = len(target)
        self.positive_rate_ = float(target.mean())
        return self

    def predict_proba(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Calibrated churn probability per row of `X`."""
        self._require_fitted()
        return self._score(self._encode(X))

    def evaluate(self, X: pd.DataFrame, y: ArrayLike) -> ChurnEvaluation:
        """ROC-AUC, PR-AUC (average precision) and Brier score on held-out rows."""
        from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

        target = _as_binary(y, len(X))
        if target.min() == target.max():
            raise InsufficientData(
                "The evaluation rows hold only one class. Use a test set with both churned and "
                "retained customers (see split_train_test).",
                "評価データに片方のクラスしかありません。解約した顧客と継続した顧客の両方を含めてください"
                "（split_train_test を参照）。",
            )
        score = self.predict_proba(X)
        return ChurnEvaluation(
            roc_auc=float(roc_auc_score(target, score)),
            pr_auc=float(average_precision_score(target, score)),
            brier=float(brier_score_loss(target, score)),
            n=len(target),
            positive_rate=float(target.mean()),
        )

    def explain(self, X: pd.DataFrame, top_n: int = 3) -> pd.DataFrame:
        """The `top_n` factors behind each customer's score, strongest first.

        One row per (customer, rank): customer (X's index), rank, feature, value (the
        customer's own), effect (probability minus probability with the feature at its
        population; > 0 raises the risk), and churn_probability.
        """
        self._require_fitted()
        encoded = self._encode(X)
        n, d = encoded.shape
        score = self._score(encoded)
        # One replacement per row of this table: (feature, value, weight within the feature).
        feature = np.concatenate(
            [np.full(len(v), j) for j, (v, _) in enumerate(self.replacements_)]
        )
        value = np.concatenate([v for v, _ in self.replacements_])
        weight = np.zeros((d, len(feature)))
        weight[feature, np.arange(len(feature))] = np.concatenate(
            [w for _, w in self.replacements_]
        )
        effects = np.empty((n, d))
        block = max(1, _EXPLAIN_ROWS // len(feature))
        for start in range(0, n, block):
            part = encoded[start : start + block]
            m = len(part)
            stacked = np.repeat(part[None, :, :], len(feature), axis=0)
            stacked[np.arange(len(feature)), :, feature] = value[:, None]
            replaced = self._score(stacked.reshape(-1, d)).reshape(len(feature), m)
            effects[start : start + m] = score[start : start + m, None] - (weight @ replaced).T
        keep = min(top_n, d)
        order = np.argsort(-np.abs(effects), axis=1, kind="stable")[:, :keep]
        rows = np.repeat(np.arange(n), keep)
        cols = order.reshape(-1)
        names = np.array(self.feature_names_, dtype=object)
        values = X[self.feature_names_].to_numpy(dtype=object)[rows, cols]
        return pd.DataFrame(
            {
                "customer": X.index.to_numpy()[rows],
                "rank": np.tile(np.arange(1, keep + 1), n),
                "feature": names[cols],
                "value": values,
                "effect": effects[rows, cols],
                "churn_probability": score[rows],
            }
        )

    @property
    def summary(self) -> pd.DataFrame:
        """One row per feature: kind, typical value (median or most frequent) and categories."""
        self._require_fitted()
        rows: list[dict[str, Any]] = []
        for j, name in enumerate(self.feature_names_):
            cats = self.categories_.get(name)
            ref = self.reference_[j]
            shown = cats[int(ref)] if cats is not None and np.isfinite(ref) else ref
            rows.append(
                {
                    "feature": name,
                    "kind": "categorical" if cats is not None else "numeric",
                    "typical": shown,
                    "categories": len(cats) if cats is not None else 0,
                }
            )
        return pd.DataFrame(rows).set_index("feature")

    def __repr__(self) -> str:
        head = f"ChurnModel(calibration={self.calibration!r}, max_iter={self.max_iter})"
        if not hasattr(self, "estimator_"):
            return f"<{head}: not fitted>"
        return (
            f"<{head}: {len(self.feature_names_)} features ({len(self.categories_)} categorical), "
            f"{self.n_samples_:,} customers, churn rate {self.positive_rate_:.1%}>"
        )

    def _require_fitted(self) -> None:
        if not hasattr(self, "estimator_"):
            raise NotFittedError("ChurnModel", ".fit(X, y)")

    def _score(self, encoded: NDArray[np.float64]) -> NDArray[np.float64]:
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            return np.asarray(self.estimator_.predict_proba(encoded)[:, 1], dtype=np.float64)

    def _encode(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Numbers as floats, categories as codes learned at fit time (unseen -> NaN)."""
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise InvalidInput(
                f"The data lacks feature column(s) {missing} the model was fitted with. "
                "Pass the same columns as at fit time.",
                f"学習時の特徴量の列 {missing} がありません。学習時と同じ列を渡してください。",
                missing=missing,
            )
        out = np.empty((len(X), len(self.feature_names_)))
        for j, name in enumerate(self.feature_names_):
            column = X[name]
            cats = self.categories_.get(name)
            if cats is not None:
                codes = pd.Index(cats).get_indexer(pd.Index(column.astype("string")))
                out[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                out[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
        return out


def _is_categorical(column: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column)


def _top_categories(column: pd.Series) -> list[str]:
    """The most frequent values (as text), at most what the trees can split on."""
    counts = column.astype("string").value_counts(dropna=True)
    return sorted(counts.index[:_MAX_CATEGORIES].tolist())


def _reference_row(encoded: NDArray[np.float64], is_cat: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Median of each numeric feature, most frequent code of each categorical one."""
    ref = np.empty(encoded.shape[1])
    for j in range(encoded.shape[1]):
        column = encoded[:, j]
        column = column[np.isfinite(column)]
        if len(column) == 0:
            ref[j] = np.nan
        elif is_cat[j]:
            values, counts = np.unique(column, return_counts=True)
            ref[j] = values[np.argmax(counts)]
        else:
            ref[j] = float(np.median(column))
    return ref


def _population_values(
    encoded: NDArray[np.float64], is_cat: NDArray[np.bool_]
) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Per feature, values standing for the population and their weights (summing to 1)."""
    out = []
    for j in range(encoded.shape[1]):
        column = encoded[:, j]
        column = column[np.isfinite(column)]
        if len(column) == 0:
            out.append((np.array([np.nan]), np.array([1.0])))
        elif is_cat[j]:
            values, counts = np.unique(column, return_counts=True)
            top = np.argsort(-counts, kind="stable")[:_REPLACEMENTS]
            out.append((values[top], counts[top] / counts[top].sum()))
        else:
            probs = (np.arange(_REPLACEMENTS) + 0.5) / _REPLACEMENTS
            out.append((np.quantile(column, probs), np.full(_REPLACEMENTS, 1 / _REPLACEMENTS)))
    return out


def _check_classes(target: NDArray[np.int64], folds: int) -> None:
    """Calibration fits on `folds` splits, each needing churned and retained customers."""
    churned = int(target.sum())
    smallest = min(churned, len(target) - churned)
    if smallest < folds:
        raise InsufficientData(
            f"Fitting needs at least {folds} churned and {folds} retained customers (one per "
            f"calibration fold, cv={folds}); the data has {churned} churned and "
            f"{len(target) - churned} retained. Add customers, or lower cv.",
            f"学習には解約した顧客と継続した顧客がそれぞれ{folds}件以上必要です(校正の分割数 "
            f"cv={folds})。このデータは解約{churned}件、継続{len(target) - churned}件です。"
            "顧客を増やすか cv を下げてください。",
            churned=churned,
            retained=len(target) - churned,
        )


def _as_binary(y: ArrayLike, n: int) -> NDArray[np.int64]:
    """0/1 labels; refuses text labels with a hint to compare them with the churn value."""
    labels = np.asarray(y)
    if len(labels) != n or labels.dtype.kind not in "biuf" or not np.isin(labels, (0, 1)).all():
        raise InvalidInput(
            "y must hold one 0/1 (or False/True) label per row, 1 = churned. Convert text "
            "labels first, e.g. y = frame['Churn'].eq('Yes').",
            "y は各行に 0/1（または False/True）のラベルが必要です（1 = 解約）。文字のラベルは先に"
            "変換してください（例: y = frame['Churn'].eq('Yes')）。",
        )
    return labels.astype(np.int64)

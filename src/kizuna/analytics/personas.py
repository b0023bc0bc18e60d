"""Personas: clusters of customers described by numbers and by categories at once.

Method (and why). Customers are described by mixed features: behaviour and attitude are
numbers (recency, frequency, spend, channel shares, NPS, sentiment), the profile is
categories (age band, region, life stage), and many values are missing (most customers
never answered a survey). Gower's dissimilarity (Gower 1971, Biometrics 27(4)) is made for
that: each numeric feature contributes |a - b| / range, each categorical one 0 or 1 for
equal or not, averaged over the features both customers have (weights allowed). k-medoids
on Gower would need all n^2 pairs (a 100,000-customer workspace: 80 GB), so the clusters
come from k-prototypes (Huang 1998, Data Mining and Knowledge Discovery 2(3)) with the
Gower dissimilarity to a prototype: assign each customer to the nearest prototype, move
each prototype to its members' weighted median (numbers, which minimises |a - b|) and
weighted mode (categories), repeat. That is O(n k) per step and minimises the mean Gower
distance of customers to their persona's prototype.

The number of personas: the mean silhouette (Rousseeuw 1987) of each k in `k_range` (3 to
8 by default: fewer rarely helps a CX team) on the exact Gower distances of a seeded
sample of at most `sample_size` customers; the fewest personas whose silhouette is within
`k_tolerance` of the best are chosen (fewer cards to act on for the same fit). Every k's
silhouette is kept in `silhouettes_` to be shown. Numbers are scaled by their 1st-99th percentile range and
clipped, so one big spender does not squash everyone else to zero.

Same data and seed, same personas: every random choice comes from `seed`, ties go to the
lower index. Stable across runs: `fit(..., init=previous.prototypes_)` starts from the
previous prototypes (kept unless a fresh start is clearly better, by `keep_margin`), the
previous k is kept while its silhouette is within `previous_k_tolerance` (0.05) of the
best, and
`match_personas` maps the new clusters to the previous persona ids by the Hungarian method
on shared members (Kuhn 1955), so names and ids carry over.

Pure: pandas and NumPy (SciPy's assignment solver, scikit-learn's silhouette); no DB.
Gower's distances and the prototypes' medians and modes live in `_gower`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.analytics._gower import (
    Encoded,
    column_medians,
    pairwise_distances,
    to_prototype_distance,
    weighted_medians,
    weighted_modes,
)
from kizuna.errors import InsufficientData, InvalidInput, NotFittedError

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["PersonaModel", "gower_distances", "match_personas"]


def gower_distances(
    frame: pd.DataFrame,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    weights: Mapping[str, float] | None = None,
) -> NDArray[np.float64]:
    """Gower distances between all rows of `frame` (n x n): for small frames and tests.

    Numbers are scaled by their 1st-99th percentile range (clipped), as `PersonaModel`
    scales them.
    """
    model = PersonaModel(n_personas=2)
    model._prepare(frame, numeric, categorical, weights)
    return pairwise_distances(model._encode(frame))


class PersonaModel:
    """k-prototypes on Gower's dissimilarity, k chosen by silhouette (see the module notes).

    Fitted attributes: `labels_` (cluster of each row, 0..k-1), `prototypes_` (a frame, one
    row per cluster, in the features' own units and categories), `n_personas_`,
    `silhouettes_` (k -> mean silhouette on the sample), `silhouette_` (the chosen k's),
    `cost_` (mean Gower distance to the own prototype), `criterion_` (how k was chosen).
    """

    def __init__(
        self,
        n_personas: int | None = None,
        *,
        k_range: tuple[int, int] = (3, 8),
        seed: int = 0,
        n_init: int = 4,
        max_iter: int = 60,
        sample_size: int = 2000,
        k_tolerance: float = 0.02,
        keep_margin: float = 0.05,
        previous_k_tolerance: float = 0.05,
    ) -> None:
        self.n_personas = n_personas
        self.k_range = k_range
        self.seed = seed
        self.n_init = n_init
        self.max_iter = max_iter
        self.sample_size = sample_size
        self.k_tolerance = k_tolerance
        self.keep_margin = keep_margin
        self.previous_k_tolerance = previous_k_tolerance

    def __repr__(self) -> str:
        if not hasattr(self, "labels_"):
            return f"PersonaModel(n_personas={self.n_personas}, seed={self.seed}) (not fitted)"
        return (
            f"PersonaModel(n_personas_={self.n_personas_}, silhouette_={self.silhouette_:.3f}, "
            f"cost_={self.cost_:.4f}, rows={len(self.labels_):,})"
        )

    # --- features -------------------------------------------------------------------

    def _prepare(
        self,
        frame: pd.DataFrame,
        numeric: Sequence[str],
        categorical: Sequence[str],
        weights: Mapping[str, float] | None,
    ) -> None:
        import pandas as pd

        numeric, categorical = list(numeric), list(categorical)
        if not numeric and not categorical:
            raise InvalidInput(
                "Name the numeric and/or categorical feature columns to cluster on.",
                "クラスタリングに使う数値・カテゴリの列を指定してください。",
            )
        missing = [c for c in (*numeric, *categorical) if c not in frame.columns]
        if missing:
            raise InvalidInput(
                f"The frame has no column {', '.join(missing)}.",
                f"データに列 {', '.join(missing)} がありません。",
                missing=missing,
            )
        weights = dict(weights or {})
        self.numeric_ = numeric
        self.categorical_ = categorical
        self.weights_ = {c: float(weights.get(c, 1.0)) for c in (*numeric, *categorical)}
        low, span = [], []
        for name in numeric:
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            known = values[~np.isnan(values)]
            lo, hi = np.percentile(known, [1, 99]) if len(known) else (0.0, 0.0)
            if hi <= lo and len(known):
                lo, hi = float(known.min()), float(known.max())
            low.append(float(lo))
            span.append(float(hi - lo) if hi > lo else 1.0)
        self.scale_low_ = np.asarray(low, dtype=float)
        self.scale_span_ = np.asarray(span, dtype=float)
        self.categories_ = {}
        for name in categorical:
            seen = frame[name].dropna().astype(str)
            self.categories_[name] = sorted(set(seen.tolist()))

    def _encode(self, frame: pd.DataFrame) -> Encoded:
        import pandas as pd

        n = len(frame)
        numbers = np.empty((n, len(self.numeric_)))
        for f, name in enumerate(self.numeric_):
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            numbers[:, f] = np.clip((values - self.scale_low_[f]) / self.scale_span_[f], 0.0, 1.0)
        categories = np.full((n, len(self.categorical_)), -1, dtype=np.int64)
        for g, name in enumerate(self.categorical_):
            lookup = {value: code for code, value in enumerate(self.categories_[name])}
            column = frame[name]
            codes = [
                -1 if value is None or value != value else lookup.get(str(value), -1)
                for value in column.tolist()
            ]
            categories[:, g] = np.asarray(codes, dtype=np.int64)
        return Encoded(
            numbers,
            categories,
            np.asarray([self.weights_[c] for c in self.numeric_], dtype=float),
            np.asarray([self.weights_[c] for c in self.categorical_], dtype=float),
        )

    def _prototypes_from(self, prototypes: pd.DataFrame) -> tuple[NDArray[Any], NDArray[Any]]:
        encoded = self._encode(prototypes)
        numbers = np.where(np.isnan(encoded.numbers), 0.5, encoded.numbers)
        return numbers, encoded.categories

    # --- clustering -----------------------------------------------------------------

    def _seed_prototypes(
        self, data: Encoded, k: int, rng: np.random.Generator
    ) -> tuple[NDArray[Any], NDArray[Any]]:
        """k-means++ seeding on Gower distances (Arthur & Vassilvitskii 2007)."""
        fill_numbers = column_medians(data.numbers)
        chosen = [int(rng.integers(len(data)))]
        nearest = np.full(len(data), np.inf)
        while len(chosen) < k:
            numbers, categories = self._rows_as_prototypes(data, chosen[-1:], fill_numbers)
            nearest = np.minimum(nearest, to_prototype_distance(data, numbers, categories)[:, 0])
            weights = nearest**2
            total = weights.sum()
            pick = (
                int(rng.choice(len(data), p=weights / total))
                if total > 0
                else int(rng.integers(len(data)))
            )
            chosen.append(pick)
        return self._rows_as_prototypes(data, chosen, fill_numbers)

    @staticmethod
    def _rows_as_prototypes(
        data: Encoded, rows: list[int], fill_numbers: NDArray[np.float64]
    ) -> tuple[NDArray[Any], NDArray[Any]]:
        numbers = data.numbers[rows].copy()
        gaps = np.isnan(numbers)
        numbers[gaps] = np.broadcast_to(fill_numbers, numbers.shape)[gaps]
        return numbers, data.categories[rows].copy()

    def _iterate(
        self, data: Encoded, numbers: NDArray[Any], categories: NDArray[Any]
    ) -> tuple[NDArray[np.int64], NDArray[Any], NDArray[Any], float]:
        """Lloyd-style steps until no customer moves: (labels, numbers, categories, cost)."""
        k = len(numbers)
        inverse = np.where(data.weight > 0, 1.0 / np.maximum(data.weight, 1e-12), 0.0)
        labels = np.full(len(data), -1, dtype=np.int64)
        distances = to_prototype_distance(data, numbers, categories)
        for _ in range(self.max_iter):
            new = distances.argmin(axis=1).astype(np.int64)
            sizes = np.bincount(new, minlength=k)
            for empty in np.flatnonzero(sizes == 0):  # move an empty one to the worst fit
                worst = int(np.argmax(distances[np.arange(len(data)), new]))
                new[worst] = empty
                numbers[empty] = np.nan_to_num(data.numbers[worst], nan=0.5)
                categories[empty] = data.categories[worst]
            if np.array_equal(new, labels):
                break
            labels = new
            for f in range(numbers.shape[1]):
                medians = weighted_medians(data.numbers[:, f], labels, inverse, k)
                numbers[:, f] = np.where(np.isnan(medians), numbers[:, f], medians)
            for g in range(categories.shape[1]):
                modes = weighted_modes(data.categories[:, g], labels, inverse, k)
                categories[:, g] = np.where(modes >= 0, modes, categories[:, g])
            distances = to_prototype_distance(data, numbers, categories)
        cost = float(distances[np.arange(len(data)), labels].mean()) if len(data) else 0.0
        return labels, numbers, categories, cost

    def _cluster(
        self,
        data: Encoded,
        k: int,
        rng: np.random.Generator,
        init: tuple[NDArray[Any], NDArray[Any]] | None,
    ) -> tuple[NDArray[np.int64], NDArray[Any], NDArray[Any], float]:
        best = None
        for _ in range(max(1, self.n_init)):
            numbers, categories = self._seed_prototypes(data, k, rng)
            found = self._iterate(data, numbers, categories)
            if best is None or found[3] < best[3] - 1e-12:
                best = found
        assert best is not None
        if init is not None and len(init[0]) == k:
            kept = self._iterate(data, init[0].copy(), init[1].copy())
            # The previous prototypes win unless a fresh start is clearly better.
            if kept[3] <= best[3] * (1 + self.keep_margin):
                return kept
        return best

    def fit(
        self,
        frame: pd.DataFrame,
        numeric: Sequence[str] = (),
        categorical: Sequence[str] = (),
        *,
        weights: Mapping[str, float] | None = None,
        init: pd.DataFrame | None = None,
    ) -> PersonaModel:
        """Cluster the rows of `frame`; `init` is a previous run's `prototypes_` (optional)."""
        from sklearn.metrics import silhouette_score

        self._prepare(frame, numeric, categorical, weights)
        data = self._encode(frame)
        low, high = self.k_range
        if self.n_personas is not None:
            low = high = int(self.n_personas)
        if low < 2 or high < low:
            raise InvalidInput(
                f"The number of personas must be 2 or more (got {low}..{high}).",
                f"ペルソナの数は 2 以上にしてください(指定 {low}..{high})。",
            )
        if len(data) < max(10, 3 * low):
            raise InsufficientData(
                f"Personas need at least {max(10, 3 * low)} customers with data (got "
                f"{len(data)}). Import more customers or their interactions first.",
                f"ペルソナの作成には、データのある顧客が {max(10, 3 * low)} 人以上必要です"
                f"(現在 {len(data)} 人)。先に顧客や接点のデータを取り込んでください。",
                customers=len(data),
            )
        rng = np.random.default_rng(self.seed)
        start = None if init is None else self._prototypes_from(init)
        previous_k = None if start is None else len(start[0])
        sample_rows = np.sort(rng.choice(len(data), min(len(data), self.sample_size), False))
        sample = data.take(sample_rows)
        distances = pairwise_distances(sample)
        self.silhouettes_: dict[int, float] = {}
        high = min(high, len(sample) - 1)
        for k in range(low, high + 1):
            labels = self._cluster(sample, k, rng, None)[0]
            if len(np.unique(labels)) < 2:
                self.silhouettes_[k] = -1.0
                continue
            self.silhouettes_[k] = float(silhouette_score(distances, labels, metric="precomputed"))
        best = max(self.silhouettes_.values())
        near = sorted(k for k, v in self.silhouettes_.items() if v >= best - self.k_tolerance)
        # Silhouettes of a sample move by a few hundredths between builds; a team's personas
        # change number only when another number fits clearly better.
        if (
            previous_k is not None
            and previous_k in self.silhouettes_
            and self.silhouettes_[previous_k] >= best - self.previous_k_tolerance
        ):
            chosen = previous_k
            reason = (
                f"previous number kept: its silhouette on Gower distances is within "
                f"{self.previous_k_tolerance} of the best (k = {low}..{high})"
            )
        else:
            chosen = near[0]
            reason = (
                f"fewest personas whose silhouette on Gower distances is within "
                f"{self.k_tolerance} of the best (k = {low}..{high})"
            )
        if self.n_personas is not None:
            reason = "fixed by the caller"
        labels, numbers, categories, cost = self._cluster(data, chosen, rng, start)
        self.labels_ = labels
        self.n_personas_ = chosen
        self.silhouette_ = self.silhouettes_.get(chosen, float("nan"))
        self.cost_ = cost
        self.criterion_ = reason
        self._numbers, self._categories = numbers, categories
        self.prototypes_ = self._decode(numbers, categories)
        return self

    def _decode(self, numbers: NDArray[Any], categories: NDArray[Any]) -> pd.DataFrame:
        import pandas as pd

        columns: dict[str, Any] = {}
        for f, name in enumerate(self.numeric_):
            columns[name] = numbers[:, f] * self.scale_span_[f] + self.scale_low_[f]
        for g, name in enumerate(self.categorical_):
            known = self.categories_[name]
            columns[name] = [known[c] if 0 <= c < len(known) else None for c in categories[:, g]]
        return pd.DataFrame(columns)

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError("PersonaModel", "fit(frame, numeric=..., categorical=...)")

    def transform(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Gower distance of each row to each persona's prototype (n x k)."""
        self._check_fitted()
        return to_prototype_distance(self._encode(frame), self._numbers, self._categories)

    def predict(self, frame: pd.DataFrame) -> NDArray[np.int64]:
        """The nearest persona (0..k-1) of each row."""
        labels: NDArray[np.int64] = self.transform(frame).argmin(axis=1).astype(np.int64)
        return labels

    def summary(self) -> pd.DataFrame:
        """One row per persona: size, share and its prototype."""
        self._check_fitted()
        sizes = np.bincount(self.labels_, minlength=self.n_personas_)
        out = self.prototypes_.copy()
        out.insert(0, "share", sizes / max(1, len(self.labels_)))
        out.insert(0, "size", sizes)
        return out


def match_personas(
    previous: Mapping[Any, int], current: Mapping[Any, int], *, next_id: int | None = None
) -> dict[int, int]:
    """Previous persona id for each new cluster, by the Hungarian method on shared members.

    `previous` and `current` map a customer to a persona id and to a new cluster number.
    Each cluster gets the previous id it shares the most customers with, one-to-one
    (maximum total overlap, Kuhn 1955); a cluster sharing nobody, or left over when there
    are more clusters than before, gets a fresh id counting up from `next_id` (default:
    one more than the largest previous id).
    """
    from scipy.optimize import linear_sum_assignment

    clusters = sorted(set(current.values()))
    ids = sorted(set(previous.values()))
    fresh = (max(ids) + 1 if ids else 1) if next_id is None else next_id
    mapping: dict[int, int] = {}
    if ids and clusters:
        row = {c: i for i, c in enumerate(clusters)}
        column = {p: j for j, p in enumerate(ids)}
        overlap = np.zeros((len(clusters), len(ids)), dtype=np.int64)
        for customer, cluster in current.items():
            before = previous.get(customer)
            if before is not None:
                overlap[row[cluster], column[before]] += 1
        rows, columns = linear_sum_assignment(-overlap)
        for r, c in zip(rows.tolist(), columns.tolist(), strict=True):
            if overlap[r, c] > 0:
                mapping[clusters[r]] = ids[c]
    for cluster in clusters:
        if cluster not in mapping:
            mapping[cluster] = fresh
            fresh += 1
    return mapping

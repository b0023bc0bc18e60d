"""Gower's dissimilarity on mixed features, and the prototypes that minimise it (behind
`personas`).

Gower 1971 (Biometrics 27(4)): each numeric feature contributes |a - b| / range, each
categorical one 0 or 1 for equal or not, averaged over the features both rows have
(weights allowed). Numbers arrive scaled to 0..1 (`Encoded`), so the range is 1. The
weighted median of each number and the weighted mode of each category are what minimise
the distance of a cluster to its prototype (Huang 1998, k-prototypes). Pure NumPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "Encoded",
    "column_medians",
    "pairwise_distances",
    "to_prototype_distance",
    "weighted_medians",
    "weighted_modes",
]


class Encoded:
    """Features of a frame ready for distances: scaled numbers and category codes."""

    def __init__(
        self,
        numbers: NDArray[np.float64],
        categories: NDArray[np.int64],
        number_weights: NDArray[np.float64],
        category_weights: NDArray[np.float64],
    ) -> None:
        self.numbers = numbers  # n x p in 0..1, NaN = missing
        self.categories = categories  # n x q codes, -1 = missing
        self.number_weights = number_weights
        self.category_weights = category_weights
        present = (~np.isnan(numbers)) * number_weights
        known = (categories >= 0) * category_weights
        # Each customer's total weight of known features (the Gower denominator).
        self.weight = present.sum(axis=1) + known.sum(axis=1)

    def __len__(self) -> int:
        return len(self.numbers)

    def take(self, rows: NDArray[np.intp]) -> Encoded:
        return Encoded(
            self.numbers[rows],
            self.categories[rows],
            self.number_weights,
            self.category_weights,
        )


def to_prototype_distance(
    data: Encoded, proto_numbers: NDArray[np.float64], proto_categories: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Gower distance of every customer (rows) to every prototype (columns)."""
    k = len(proto_numbers)
    out = np.zeros((len(data), k))
    for j in range(k):
        gaps = np.abs(data.numbers - proto_numbers[j]) * data.number_weights
        total = np.nansum(gaps, axis=1)
        if data.categories.shape[1]:
            differ = (data.categories != proto_categories[j]) & (data.categories >= 0)
            total += (differ * data.category_weights).sum(axis=1)
        out[:, j] = total
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(data.weight[:, None] > 0, out / data.weight[:, None], 0.0)


def pairwise_distances(data: Encoded) -> NDArray[np.float64]:
    """Exact Gower distances between all customers of `data` (n x n; keep n small)."""
    n = len(data)
    total = np.zeros((n, n))
    weight = np.zeros((n, n))
    for f, w in enumerate(data.number_weights):
        column = data.numbers[:, f]
        present = ~np.isnan(column)
        filled = np.where(present, column, 0.0)
        both = np.outer(present, present)
        total += w * both * np.abs(filled[:, None] - filled[None, :])
        weight += w * both
    for g, w in enumerate(data.category_weights):
        codes = data.categories[:, g]
        present = codes >= 0
        both = np.outer(present, present)
        total += w * both * (codes[:, None] != codes[None, :])
        weight += w * both
    with np.errstate(invalid="ignore", divide="ignore"):
        distances = np.where(weight > 0, total / weight, 0.0)
    np.fill_diagonal(distances, 0.0)
    return distances


def weighted_medians(
    values: NDArray[np.float64], labels: NDArray[np.int64], weights: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    """Per cluster 0..k-1: the weighted median of `values` (NaN skipped; NaN if none)."""
    out = np.full(k, np.nan)
    present = ~np.isnan(values)
    v, lab, w = values[present], labels[present], weights[present]
    if not len(v):
        return out
    order = np.lexsort((v, lab))
    v, lab, w = v[order], lab[order], w[order]
    bounds = np.searchsorted(lab, np.arange(k + 1))
    cumulative = np.cumsum(w)
    for j in range(k):
        start, end = bounds[j], bounds[j + 1]
        if start == end:
            continue
        before = cumulative[start - 1] if start else 0.0
        half = before + (cumulative[end - 1] - before) / 2
        out[j] = v[start + int(np.searchsorted(cumulative[start:end], half))]
    return out


def weighted_modes(
    codes: NDArray[np.int64], labels: NDArray[np.int64], weights: NDArray[np.float64], k: int
) -> NDArray[np.int64]:
    """Per cluster: the category with the largest total weight (ties: lower code; -1 if none)."""
    out = np.full(k, -1, dtype=np.int64)
    present = codes >= 0
    if not present.any():
        return out
    width = int(codes.max()) + 1
    tally = np.bincount(
        labels[present] * width + codes[present], weights=weights[present], minlength=k * width
    ).reshape(k, width)
    has = tally.sum(axis=1) > 0
    out[has] = tally[has].argmax(axis=1)
    return out


def column_medians(numbers: NDArray[np.float64]) -> NDArray[np.float64]:
    """Median of each column over its known values (0.5, the middle, for an empty one)."""
    out = np.full(numbers.shape[1], 0.5)
    for f in range(numbers.shape[1]):
        known = numbers[:, f][~np.isnan(numbers[:, f])]
        if len(known):
            out[f] = float(np.median(known))
    return out

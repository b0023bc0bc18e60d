"""Medians of values per group, as `np.median` gives them, for many groups at once.

Private to `kizuna.analytics.journeys` (directly-follows times, variant durations). Pure
NumPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kizuna.analytics._event_log import argsort_stable

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["group_medians"]


def group_medians(
    keys: NDArray[np.int64], values: NDArray[np.int64], counts: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Median of `values` per key 0..len(counts)-1 (NaN for keys without values).

    As `np.median`: the middle value, or the mean of the two middle values as a float.
    """
    medians = np.full(len(counts), np.nan)
    ends = np.cumsum(counts)
    present = np.flatnonzero(counts)
    if len(present) <= 2000 and len(values) > 200_000:
        # Many values in few groups: one (radix) sort by group, then a median per group,
        # O(n) each; sorting by (group, value) would cost more than the loop.
        ordered = values[argsort_stable(keys)]
        for key, end, count in zip(
            present.tolist(), ends[present].tolist(), counts[present].tolist(), strict=True
        ):
            # In place on our own copy: one partition, no copy, no NaN scan (np.median's).
            middle = (count - 1) // 2, count // 2
            group = ordered[end - count : end]
            group.partition(middle)
            medians[key] = (float(group[middle[0]]) + float(group[middle[1]])) / 2
        return medians
    # A group of one value is its own median (most variants of a varied log): only the
    # values of larger groups are sorted, by group and then value.
    alone = counts[keys] == 1
    if alone.all():
        medians[keys] = values
        return medians
    if alone.any():
        medians[keys[alone]] = values[alone]
        keys, values = keys[~alone], values[~alone]
    ordered = _sorted_by_group(keys, values, len(counts))
    present = np.flatnonzero(counts > 1)
    starts = np.cumsum(counts[present]) - counts[present]
    lower = ordered[starts + (counts[present] - 1) // 2].astype(float)
    upper = ordered[starts + counts[present] // 2].astype(float)
    medians[present] = (lower + upper) / 2
    return medians


def _sorted_by_group(
    keys: NDArray[np.int64], values: NDArray[np.int64], groups: int
) -> NDArray[np.int64]:
    """`values` sorted by key, then by value: one integer sort of key * span + value when
    that fits in 62 bits, else a two-key sort. Values are counted in steps of their
    greatest common divisor (times in whole seconds: steps of 10**9 ns), so a few hundred
    thousand cases over days still fit."""
    low = int(values.min())
    shifted = values - low
    step = int(np.gcd.reduce(shifted)) or 1  # 0 when every value is the same
    span = int(shifted.max()) // step + 1
    if span * groups < 2**62:
        if step > 1:
            shifted //= step
        combined = np.sort(keys * span + shifted)
        combined %= span
        if step > 1:
            combined *= step
        combined += low
        return combined
    return values[np.lexsort((values, keys))]

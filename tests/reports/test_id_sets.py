"""Sets of customer ids: distinct ids, tallies, last occurrences and membership equal what
sorting gives, for ids in a narrow range (flags) and spread over a wide one (sorting)."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.reports.id_sets import RANGE, Members, distinct, last_of, tally


@pytest.fixture(params=["narrow", "wide"])
def ids(request: pytest.FixtureRequest) -> np.ndarray:
    rng = np.random.default_rng(4)
    found = rng.integers(1_000, 6_000, 20_000)
    if request.param == "wide":
        found[::7] += 3 * RANGE  # a range too wide for flags
    return found.astype(np.int64)


def test_distinct_and_tally_equal_sorting(ids: np.ndarray) -> None:
    weights = np.random.default_rng(5).random(len(ids))
    unique, where, counts = np.unique(ids, return_inverse=True, return_counts=True)
    assert (distinct(ids) == unique).all()
    found, times, sums = tally(ids, weights)
    assert (found == unique).all() and (times == counts).all()
    assert sums == pytest.approx(np.bincount(where, weights=weights))


def test_last_of_finds_each_ids_last_place(ids: np.ndarray) -> None:
    found, last = last_of(ids)
    expected = {int(i): at for at, i in enumerate(ids)}  # later places overwrite
    assert [int(i) for i in found] == sorted(expected)
    assert [int(a) for a in last] == [expected[int(i)] for i in found]


def test_members_equal_isin(ids: np.ndarray) -> None:
    members = np.unique(ids[::3])
    probe = np.concatenate([ids, [0, -5, int(ids.max()) + 1, 10**12]])
    assert (Members(members).of(probe) == np.isin(probe, members)).all()
    assert not Members(np.empty(0, dtype=np.int64)).of(probe).any()

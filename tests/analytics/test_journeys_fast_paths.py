"""The journeys analytics' fast paths give what a plain pandas reading of the same log gives.

Large logs take other roads than the small ones in test_journeys.py: ids of one width
(c000123) are read as numbers instead of hashed, cases are sorted by a counting sort,
variant names are built one length at a time, medians come from one integer sort. Each
is checked here against a slow, obvious pandas reading (sort by case, time and row, then
group), on logs big enough to take those roads.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kizuna.analytics.journeys import case_durations, directly_follows, event_log, variants


def generated_log(n_cases: int, seed: int, longest: int = 12) -> pd.DataFrame:
    """Cases of 1 to `longest` events over 5 activities, rows in time order (cases
    interleaved), with equal timestamps inside cases; ids are zero-padded (one width)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, longest + 1, n_cases)
    case = np.repeat(np.arange(n_cases), lengths)
    starts = np.repeat(rng.integers(0, 30 * 86400, n_cases), lengths)
    steps = rng.integers(0, 4, len(case)) * 600  # a quarter of the steps take no time
    first = np.r_[0, np.cumsum(lengths)[:-1]]
    offsets = np.cumsum(steps) - np.repeat(np.cumsum(steps)[first], lengths)
    seconds = starts + offsets
    frame = pd.DataFrame(
        {
            "case": pd.Series([f"c{c:06d}" for c in case.tolist()], dtype="str"),
            "activity": pd.Series(rng.choice(list("abcde"), len(case)), dtype="str"),
            "timestamp": pd.Timestamp("2000-01-01") + pd.to_timedelta(seconds, unit="s"),
        }
    )
    return frame.iloc[np.argsort(seconds, kind="stable")].reset_index(drop=True)


def plain_reading(frame: pd.DataFrame) -> dict[str, Any]:
    """Edges, variants and durations the obvious way: pm4py's order, then group by case."""
    ordered = frame.assign(row=np.arange(len(frame))).sort_values(
        ["case", "timestamp", "row"], kind="stable"
    )
    by_case = ordered.groupby("case", sort=False)
    following = by_case["activity"].shift(-1)
    gap = (by_case["timestamp"].shift(-1) - ordered["timestamp"]).dt.total_seconds()
    steps = pd.DataFrame({"source": ordered["activity"], "target": following, "gap": gap})
    steps = steps.dropna(subset=["target"])
    edges = steps.groupby(["source", "target"])["gap"].agg(["count", "median"])
    durations = (by_case["timestamp"].max() - by_case["timestamp"].min()).dt.total_seconds()
    sequences = by_case["activity"].agg(tuple)
    medians = durations.groupby(sequences.loc[durations.index]).median()
    return {
        "edges": {k: (int(r["count"]), float(r["median"])) for k, r in edges.iterrows()},
        "variants": Counter(sequences.tolist()),
        "variant_medians": {k: float(v) for k, v in medians.items()},
        "durations": {str(k): float(v) for k, v in durations.items()},
    }


def fast_reading(frame: pd.DataFrame) -> dict[str, Any]:
    edges = directly_follows(frame)
    found = variants(frame)
    durations = case_durations(frame)
    return {
        "edges": {
            (r.source, r.target): (int(r.count), float(r.median_seconds))
            for r in edges.itertuples(index=False)
        },
        "variants": Counter(dict(zip(found["variant"], found["count"], strict=True))),
        "variant_medians": dict(zip(found["variant"], found["median_seconds"], strict=True)),
        "durations": dict(zip(durations["case"], durations["duration_seconds"], strict=True)),
    }


@pytest.fixture(scope="module")
def large_log() -> pd.DataFrame:
    return generated_log(n_cases=12_000, seed=13)  # about 78,000 events, 8,000+ variants


def test_a_large_log_gives_what_a_plain_pandas_reading_gives(large_log: pd.DataFrame) -> None:
    fast, plain = fast_reading(large_log), plain_reading(large_log)
    assert len(fast["variants"]) > 2000, "enough variants to build names a length at a time"
    assert fast["variants"] == plain["variants"]
    assert fast["edges"] == plain["edges"]
    assert fast["variant_medians"] == plain["variant_medians"]
    assert fast["durations"] == plain["durations"]


def test_ids_of_one_width_give_the_same_journeys_as_any_other_ids(
    large_log: pd.DataFrame,
) -> None:
    """Zero-padded ids are read as numbers, other ids hashed: same edges, variants, order."""
    renamed = large_log.assign(case=large_log["case"].str.replace("c0*", "case-", regex=True))
    pd.testing.assert_frame_equal(directly_follows(renamed), directly_follows(large_log))
    pd.testing.assert_frame_equal(variants(renamed), variants(large_log))
    ours, theirs = case_durations(large_log), case_durations(renamed)
    assert ours["case"].str.replace("c0*", "case-", regex=True).tolist() == theirs["case"].tolist()
    pd.testing.assert_frame_equal(ours.drop(columns="case"), theirs.drop(columns="case"))


def test_more_cases_than_a_radix_pass_holds_sort_the_same_way() -> None:
    """Over 65,536 cases the events are ordered by a counting sort instead."""
    frame = generated_log(n_cases=70_000, seed=8, longest=3)
    # Cases in order of first appearance, events by time, ties by row.
    first_seen = pd.factorize(frame["case"])[0]
    ordered = frame.assign(seen=first_seen, row=np.arange(len(frame))).sort_values(
        ["seen", "timestamp", "row"], kind="stable"
    )
    log = event_log(frame)
    assert log.cases == 70_000
    assert log.case_labels[log.case].tolist() == ordered["case"].tolist()
    assert log.activity_labels[log.activity].tolist() == ordered["activity"].tolist()


def test_cases_keep_the_order_they_first_appear_in(large_log: pd.DataFrame) -> None:
    log = event_log(large_log)
    firsts = large_log.drop_duplicates("case")["case"].tolist()
    assert log.case_labels.tolist() == firsts
    assert case_durations(large_log)["case"].tolist() == firsts


def test_times_spanning_centuries_keep_their_medians() -> None:
    """Gaps too wide to pack with their edge into one 64-bit key take the two-key sort
    (medians agree to float rounding: nanoseconds here, float seconds in pandas)."""
    frame = generated_log(n_cases=300, seed=5)
    frame["timestamp"] = pd.Timestamp("1700-01-01") + pd.to_timedelta(
        np.random.default_rng(2).integers(0, 2**62, len(frame)) // 1000, unit="us"
    )
    fast, plain = fast_reading(frame), plain_reading(frame)
    assert fast["edges"].keys() == plain["edges"].keys()
    for edge, (count, median) in plain["edges"].items():
        assert fast["edges"][edge] == (count, pytest.approx(median, rel=1e-12))
    assert fast["variant_medians"] == pytest.approx(plain["variant_medians"], rel=1e-12)

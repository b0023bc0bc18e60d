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
    # Each variant's count and the row where its first case first appears in the frame.
    first_row = ordered.groupby("case", sort=False)["row"].min()
    seen = pd.DataFrame({"variant": sequences, "row": first_row.loc[sequences.index]})
    first_seen = seen.groupby("variant")["row"].agg(["size", "min"])
    return {
        "edges": {k: (int(r["count"]), float(r["median"])) for k, r in edges.iterrows()},
        "variants": Counter(sequences.tolist()),
        "variant_medians": {k: float(v) for k, v in medians.items()},
        "durations": {str(k): float(v) for k, v in durations.items()},
        "first_seen": {k: (int(r["size"]), int(r["min"])) for k, r in first_seen.iterrows()},
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


def reordered(frame: pd.DataFrame, how: str, seed: int = 3) -> pd.DataFrame:
    """The same events in another row order (ties inside a case keep their order)."""
    rng = np.random.default_rng(seed)
    if how == "case order":  # as pm4py's format_dataframe leaves a log
        rows = np.lexsort((np.arange(len(frame)), frame["timestamp"], frame["case"]))
    elif how == "cases shuffled":  # each case one block in time order, blocks at random
        ids = frame["case"].unique()
        place = dict(zip(ids, rng.permutation(len(ids)), strict=True))
        rows = np.lexsort((np.arange(len(frame)), frame["timestamp"], frame["case"].map(place)))
    elif how == "shuffled":
        rows = rng.permutation(len(frame))
    else:
        rows = np.arange(len(frame))
    return frame.iloc[rows].reset_index(drop=True)


ORDERS = ["time order", "case order", "cases shuffled", "shuffled"]


@pytest.mark.parametrize("how", ORDERS)
def test_every_row_order_gives_what_a_plain_pandas_reading_gives(
    large_log: pd.DataFrame, how: str
) -> None:
    """Ids of one width take other roads by row order (grouped blocks used as they are, a
    counting sort for logs in time order, two sorts otherwise): all read alike."""
    frame = reordered(large_log, how)
    fast, plain = fast_reading(frame), plain_reading(frame)
    assert fast["variants"] == plain["variants"]
    assert fast["variant_medians"] == plain["variant_medians"]
    assert fast["edges"] == plain["edges"]
    assert fast["durations"] == plain["durations"]


@pytest.mark.parametrize("how", ORDERS)
def test_ties_between_variants_follow_the_frame_whatever_the_road(
    large_log: pd.DataFrame, how: str
) -> None:
    """Variants of equal count come in the order their first case appears in the frame,
    whether the ids are read as numbers or hashed."""
    frame = reordered(large_log, how)
    found = variants(frame)
    renamed = variants(frame.assign(case="case-" + frame["case"]))  # ids of two widths
    pd.testing.assert_frame_equal(found, renamed)
    plain = plain_reading(frame)["first_seen"]
    expected = sorted(plain, key=lambda v: (-plain[v][0], plain[v][1]))
    assert found["variant"].tolist() == expected


def test_rows_missing_an_activity_or_a_time_are_left_out_on_every_road(
    large_log: pd.DataFrame,
) -> None:
    rng = np.random.default_rng(11)
    frame = large_log.copy()
    frame.loc[rng.random(len(frame)) < 0.03, "activity"] = None
    frame.loc[rng.random(len(frame)) < 0.03, "timestamp"] = pd.NaT
    for how in ORDERS:
        given = reordered(frame, how)
        kept = given.dropna()
        pd.testing.assert_frame_equal(variants(given), variants(kept))
        pd.testing.assert_frame_equal(directly_follows(given), directly_follows(kept))


def test_arrow_tables_categoricals_and_objects_give_the_same_variants(
    large_log: pd.DataFrame,
) -> None:
    import pyarrow as pa

    expected = variants(large_log)
    as_objects = large_log.astype({"case": object, "activity": object})
    as_categories = large_log.astype({"case": "category", "activity": "category"})
    for frame in (pa.Table.from_pandas(large_log), as_objects, as_categories):
        pd.testing.assert_frame_equal(variants(frame), expected)


def test_the_second_thread_changes_nothing(
    large_log: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large logs encode activities and compute medians on a second thread: same results."""
    from kizuna.analytics import _event_log, journeys

    alone = {how: variants(reordered(large_log, how)) for how in ORDERS}
    monkeypatch.setattr(_event_log, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(journeys, "PARALLEL_ROWS", 0)
    for how in ORDERS:
        pd.testing.assert_frame_equal(variants(reordered(large_log, how)), alone[how])


def test_the_first_variants_keep_their_medians(large_log: pd.DataFrame) -> None:
    """With `top`, medians are computed for the variants shown only: the same numbers."""
    every = variants(large_log)
    for top in (0, 1, 25, len(every)):
        pd.testing.assert_frame_equal(variants(large_log, top=top), every.head(top))
    repeats = variants(large_log, collapse_repeats=True)
    pd.testing.assert_frame_equal(
        variants(large_log, collapse_repeats=True, top=10), repeats.head(10)
    )


def test_an_empty_log_has_no_variants(large_log: pd.DataFrame) -> None:
    found = variants(large_log.iloc[:0])
    assert found.empty
    assert list(found.columns) == ["variant", "count", "share", "length", "median_seconds"]


@pytest.mark.parametrize("how", ORDERS)
def test_a_small_log_grouped_by_case_reads_as_any_other(how: str) -> None:
    """Small logs with text ids of several widths (below the size where ids of one width
    are read as numbers) give the plain reading in every row order, and a case that comes
    back after other cases is still one case."""
    frame = reordered(generated_log(n_cases=300, seed=5), how)
    frame = frame.assign(case="case-" + frame["case"].str.lstrip("c0"))  # widths 6 to 8
    fast, plain = fast_reading(frame), plain_reading(frame)
    assert fast == {key: plain[key] for key in fast}
    # The first case comes back at the end: its events are still one case.
    first = frame["case"].iloc[0]
    back = pd.concat([frame, frame[frame["case"] == first].iloc[:1]], ignore_index=True)
    fast, plain = fast_reading(back), plain_reading(back)
    assert fast == {key: plain[key] for key in fast}


def test_a_small_log_sorted_by_its_ids_reads_as_any_other() -> None:
    """Blocks of ids in ascending text order (as pm4py sorts a log) need no hash to be told
    apart; the same events shuffled give the same journeys."""
    frame = generated_log(n_cases=300, seed=6)
    frame = frame.assign(case="case-" + frame["case"].str.lstrip("c0"))  # widths 6 to 8
    frame = frame.iloc[np.lexsort((np.arange(len(frame)), frame["case"]))]
    frame = frame.reset_index(drop=True)
    assert frame["case"].is_monotonic_increasing
    fast, plain = fast_reading(frame), plain_reading(frame)
    assert fast == {key: plain[key] for key in fast}
    pd.testing.assert_frame_equal(variants(frame), variants(reordered(frame, "case order")))


def test_one_long_case_in_a_small_log_takes_the_hashed_road() -> None:
    """A case far longer than the others would make every row of the small-log table as
    long: the events are hashed in blocks instead, with the same result."""
    frame = generated_log(n_cases=300, seed=9)
    long_case = pd.DataFrame(
        {
            "case": "c999999",
            "activity": np.random.default_rng(1).choice(list("abcde"), 3000),
            "timestamp": pd.Timestamp("2000-03-01") + pd.to_timedelta(np.arange(3000), "s"),
        }
    )
    frame = pd.concat([frame, long_case.astype({"case": "str", "activity": "str"})])
    frame = frame.reset_index(drop=True)
    fast, plain = fast_reading(frame), plain_reading(frame)
    assert fast == {key: plain[key] for key in fast}


def test_a_name_given_to_a_result_s_columns_stays_in_that_result(
    large_log: pd.DataFrame,
) -> None:
    first = variants(large_log.head(500))
    first.columns.name = "mine"
    assert variants(large_log.head(500)).columns.name is None

"""Process-mining basics on any event log: directly-follows graph, variants, case durations
and the stage funnel, checked against hand counts, pm4py's published numbers on the
receipt log and pm4py's ordering rules (by case, then time, equal times in frame order)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from kizuna.analytics import _variants
from kizuna.analytics._event_log import sorted_events
from kizuna.analytics.intervals import wilson_interval
from kizuna.analytics.journeys import (
    case_durations,
    directly_follows,
    endpoints,
    event_log,
    funnel,
    variants,
)
from kizuna.errors import InvalidInput


def log_frame() -> pd.DataFrame:
    """Three cases, interleaved as an export in time order would be; c2 has a tie at 10:00."""
    rows = [
        ("c1", "a", "2024-05-01 09:00"),
        ("c2", "a", "2024-05-01 09:30"),
        ("c1", "b", "2024-05-01 10:00"),
        ("c2", "c", "2024-05-01 10:00"),
        ("c2", "b", "2024-05-01 10:00"),  # same moment as "c": stays after it
        ("c3", "a", "2024-05-01 11:00"),
        ("c1", "c", "2024-05-01 12:00"),
        ("c3", "b", "2024-05-01 13:00"),
        ("c3", "c", "2024-05-01 15:00"),
    ]
    frame = pd.DataFrame(rows, columns=["case", "activity", "timestamp"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def edges_of(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float]]:
    return {
        (r.source, r.target): (r.count, r.median_seconds) for r in frame.itertuples(index=False)
    }


def test_directly_follows_counts_each_step_and_its_median_time() -> None:
    edges = edges_of(directly_follows(log_frame()))
    # c1: a-b (1 h), b-c (2 h); c2: a-c (30 min), c-b (0); c3: a-b (2 h), b-c (2 h)
    assert edges == {
        ("a", "b"): (2, 5400.0),
        ("b", "c"): (2, 7200.0),
        ("a", "c"): (1, 1800.0),
        ("c", "b"): (1, 0.0),
    }
    frame = directly_follows(log_frame())
    assert list(frame.columns) == ["source", "target", "count", "median_seconds"]
    assert frame["count"].tolist() == [2, 2, 1, 1], "most frequent first"
    assert set(edges_of(directly_follows(log_frame(), min_count=2))) == {("a", "b"), ("b", "c")}


def test_equal_timestamps_keep_their_order_in_the_frame() -> None:
    swapped = log_frame()
    swapped.iloc[[3, 4]] = swapped.iloc[[4, 3]].to_numpy()  # now "b" before "c" at 10:00
    edges = edges_of(directly_follows(swapped))
    assert ("a", "b") in edges and edges[("a", "b")][0] == 3
    assert ("b", "c") in edges and edges[("b", "c")][0] == 3
    assert ("c", "b") not in edges


def test_the_order_of_rows_does_not_matter_except_for_ties() -> None:
    frame = log_frame()
    shuffled = frame.iloc[[8, 0, 5, 2, 7, 1, 3, 4, 6]].reset_index(drop=True)
    assert edges_of(directly_follows(shuffled)) == edges_of(directly_follows(frame))
    pd.testing.assert_frame_equal(
        variants(shuffled)[["variant", "count"]], variants(frame)[["variant", "count"]]
    )


def test_variants_count_cases_per_exact_sequence() -> None:
    frame = log_frame()
    extra = pd.DataFrame(
        {
            "case": ["c4", "c4", "c4", "c4"],
            "activity": ["a", "b", "b", "c"],
            "timestamp": pd.to_datetime(
                ["2024-05-02 09:00", "2024-05-02 09:10", "2024-05-02 09:20", "2024-05-02 11:00"]
            ),
        }
    )
    found = variants(pd.concat([frame, extra], ignore_index=True))
    assert dict(zip(found["variant"], found["count"], strict=True)) == {
        ("a", "b", "c"): 2,
        ("a", "c", "b"): 1,
        ("a", "b", "b", "c"): 1,
    }
    assert found["variant"].iloc[0] == ("a", "b", "c")
    assert found["share"].iloc[0] == 0.5
    assert found["median_seconds"].iloc[0] == 3.5 * 3600.0  # c1 took 3 h, c3 4 h
    collapsed = variants(pd.concat([frame, extra], ignore_index=True), collapse_repeats=True)
    assert dict(zip(collapsed["variant"], collapsed["count"], strict=True)) == {
        ("a", "b", "c"): 3,
        ("a", "c", "b"): 1,
    }
    assert len(variants(frame, top=1)) == 1


def test_ties_between_variants_follow_the_first_case_in_the_frame() -> None:
    frame = pd.DataFrame(
        {
            "case": ["x", "y", "x", "y"],
            "activity": ["b", "a", "a", "b"],
            "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:01"] * 2),
        }
    )
    # x: (b, a) at 00:00 then 00:00 -> frame order b, a; y: (a, b)
    assert variants(frame)["variant"].tolist() == [("b", "a"), ("a", "b")]


# Small logs group cases as rows of a table, exactly; large ones by a hash of blocks of
# events, then checked: a log counts as large here when the small-log limit is 0.
ROADS = {"rows of a table": _variants._SMALL_LOG, "hashed blocks": 0}


@pytest.mark.parametrize("road", ROADS)
def test_the_exact_grouping_agrees_with_the_fast_one(
    road: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_variants, "_SMALL_LOG", ROADS[road])
    rng = np.random.default_rng(4)
    n_cases = 3000
    lengths = rng.integers(1, 9, n_cases)
    frame = pd.DataFrame(
        {
            "case": np.repeat(np.arange(n_cases), lengths),
            "activity": rng.choice(list("abc"), lengths.sum()),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(np.arange(lengths.sum()), unit="s"),
        }
    )
    events = sorted_events(frame, "case", "activity", "timestamp")
    fast, leaders = _variants.variant_of_case(events)
    exact, _firsts = _variants._variant_by_rows(events, np.diff(events.starts))
    # Same partition of the cases: each fast group is one exact group.
    pairs = set(zip(fast.tolist(), exact.tolist(), strict=True))
    assert len(pairs) == len(set(fast.tolist())) == len(set(exact.tolist())) == len(leaders)
    # Groups numbered in order of their first case, which is the leader.
    assert leaders.tolist() == sorted(leaders.tolist())
    assert (fast[leaders] == np.arange(len(leaders))).all()


def test_cases_whose_hashes_collide_are_still_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case hashed alike (on the hashed road): the check against each group's first
    case finds the difference and the sequences are compared row by row (same variants as
    without)."""
    monkeypatch.setattr(_variants, "_SMALL_LOG", 0)
    frame = log_frame()
    expected = variants(frame)
    compared: list[int] = []
    exact = _variants._variant_by_rows

    def colliding(log: Any, lengths: Any) -> Any:
        return np.zeros(len(lengths), dtype=np.uint64)

    def counted(log: Any, lengths: Any) -> Any:
        compared.append(len(lengths))
        return exact(log, lengths)

    monkeypatch.setattr(_variants, "_case_hashes", colliding)
    monkeypatch.setattr(_variants, "_variant_by_rows", counted)
    pd.testing.assert_frame_equal(variants(frame), expected)
    assert compared == [3], "the row-by-row comparison ran"
    assert len(expected) == 2  # c1 and c3 share (a, b, c); c2 is (a, c, b)


def test_case_durations_are_last_minus_first() -> None:
    durations = case_durations(log_frame()).set_index("case")
    assert durations["duration_seconds"].to_dict() == {"c1": 10800.0, "c2": 1800.0, "c3": 14400.0}
    assert durations["events"].to_dict() == {"c1": 3, "c2": 3, "c3": 3}
    via_log = case_durations(event_log(log_frame())).set_index("case")
    pd.testing.assert_series_equal(via_log["duration_seconds"], durations["duration_seconds"])


def test_endpoints_count_first_and_last_activities() -> None:
    ends = endpoints(log_frame()).set_index("activity")
    assert ends.loc["a"].tolist() == [3, 0]
    assert ends.loc["b"].tolist() == [0, 1]
    assert ends.loc["c"].tolist() == [0, 2]


def test_arrow_tables_and_text_timestamps_with_offsets_give_the_same_answer() -> None:
    frame = log_frame()
    text = frame.assign(timestamp=frame["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S+09:00"))
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    base = edges_of(directly_follows(frame))
    assert edges_of(directly_follows(text)) == base
    assert edges_of(directly_follows(arrow)) == base
    assert case_durations(text)["start"].dt.tz is not None  # offsets read, compared in UTC


def test_rows_missing_a_case_activity_or_time_are_left_out() -> None:
    frame = log_frame()
    broken = pd.concat(
        [
            frame,
            pd.DataFrame(
                {
                    "case": [None, "c1", "c1"],
                    "activity": ["a", None, "z"],
                    "timestamp": [pd.Timestamp("2024-05-01 09:45")] * 2 + [pd.NaT],
                }
            ),
        ],
        ignore_index=True,
    )
    assert edges_of(directly_follows(broken)) == edges_of(directly_follows(frame))
    assert "z" not in set(endpoints(broken)["activity"])


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput) as missing:
        directly_follows(log_frame(), case="customer")
    assert "customer" in missing.value.message("en") and "列" in missing.value.message("ja")
    with pytest.raises(InvalidInput):
        directly_follows(log_frame().assign(timestamp="not a time"))
    with pytest.raises(InvalidInput):
        directly_follows([1, 2, 3])
    with pytest.raises(InvalidInput):
        funnel(log_frame(), ["a", "a"], stage="activity")


def stage_log() -> pd.DataFrame:
    """Four customers through stages A, B, C (days)."""
    rows = [
        # p1: A(1) B(3) C(4): through
        ("p1", "A", 1), ("p1", "B", 3), ("p1", "C", 4),
        # p2: B(1) A(2) B(5): B counts after A only from day 5
        ("p2", "B", 1), ("p2", "A", 2), ("p2", "B", 5),
        # p3: A(1) C(2): skips B
        ("p3", "A", 1), ("p3", "C", 2),
        # p4: C(1) B(2) A(3): everything, but backwards
        ("p4", "C", 1), ("p4", "B", 2), ("p4", "A", 3),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["case", "stage", "day"])
    frame["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["day"], unit="D")
    return frame


def test_ordered_funnel_counts_steps_taken_after_the_one_before() -> None:
    result = funnel(stage_log(), ["A", "B", "C"]).set_index("stage")
    # A: p1 p2 p3 p4; B after A: p1 (day 3), p2 (day 5); C after B: p1
    assert result["reached"].tolist() == [4, 2, 1]
    assert result["dropped"].tolist() == [0, 2, 1]
    assert result.loc["B", "conversion"] == 0.5
    low, high = wilson_interval(2, 4)
    assert result.loc["B", "conversion_low"] == pytest.approx(float(low))
    assert result.loc["B", "conversion_high"] == pytest.approx(float(high))
    # Wilson (1927) by hand for 2 of 4 at z = 1.959964: centre 0.5, half-width 0.3509
    assert (result.loc["B", "conversion_low"], result.loc["B", "conversion_high"]) == pytest.approx(
        (0.1500, 0.8500), abs=5e-4
    )
    assert math.isnan(result.loc["A", "conversion"])
    assert result.loc["C", "share_of_start"] == 0.25
    # Time A -> B: p1 2 days, p2 3 days: median 2.5 days
    assert result.loc["B", "median_seconds"] == 2.5 * 86400


def test_unordered_funnel_needs_every_earlier_stage_at_any_time() -> None:
    result = funnel(stage_log(), ["A", "B", "C"], ordered=False).set_index("stage")
    # A: all 4; A and B: p1 p2 p4; A, B and C: p1 p4
    assert result["reached"].tolist() == [4, 3, 2]
    assert result.loc["C", "conversion"] == pytest.approx(2 / 3)


def test_a_stage_nobody_reached_is_a_zero_not_an_error() -> None:
    result = funnel(stage_log(), ["A", "Z", "C"]).set_index("stage")
    assert result["reached"].tolist() == [4, 0, 0]
    assert result.loc["Z", "conversion"] == 0.0
    assert math.isnan(result.loc["C", "conversion"])


def test_receipt_log_matches_pm4py(shared_data: Path) -> None:
    """Numbers pm4py 2.7 gives on the same frame (bench/journeys.py compares everything)."""
    frame = pd.read_csv(shared_data / "eventlogs" / "receipt.csv", dtype=str)
    log = event_log(frame, "case:concept:name", "concept:name", "time:timestamp")
    assert (log.events, log.cases) == (8577, 1434)
    edges = directly_follows(log)
    assert len(edges) == 99 and int(edges["count"].sum()) == 7143
    top = edges.head(3)[["source", "target", "count"]].to_records(index=False).tolist()
    assert top == [
        (
            "T04 Determine confirmation of receipt",
            "T05 Print and send confirmation of receipt",
            1177,
        ),
        (
            "T06 Determine necessity of stop advice",
            "T10 Determine necessity to stop indication",
            1165,
        ),
        ("T02 Check confirmation of receipt", "T04 Determine confirmation of receipt", 1119),
    ]
    paths = variants(log)
    assert len(paths) == 116
    assert paths["count"].head(3).tolist() == [713, 123, 116]
    durations = case_durations(log)["duration_seconds"]
    assert durations.max() == 23832541.524
    assert durations.sum() == pytest.approx(670056454.479, abs=1e-3)

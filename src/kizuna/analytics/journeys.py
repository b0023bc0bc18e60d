"""Journeys from any event log: directly-follows graph, variants, case durations, stage funnel.

Pure: a pandas DataFrame or a pyarrow Table with a case, an activity and a timestamp column
goes in, small pandas frames come out, so the same functions serve a notebook on any event
log (`kizuna journeys discover FILE`) and the journeys feature over a workspace's
interactions. Nothing here knows the database or the web.

Order of events, as pm4py orders them (`format_dataframe` sorts by case, timestamp and the
original row index): by case, then by timestamp; events of one case with equal timestamps
keep their order in the frame (a stable sort). Rows missing a case, an activity or a
timestamp are left out, as pm4py leaves them out. Timestamps with a UTC offset are compared
in UTC; naive timestamps as they are; text is parsed as ISO 8601.

Speed: the log is encoded once (`event_log`: case and activity as integer codes, times as
int64 nanoseconds, sorted with one stable integer sort when the frame is already in time
order; ids of one width such as c0000123 are read as numbers, not hashed) and every result
is counted with NumPy (`bincount`, integer sorts, a hash of each case's sequence), never
with Python objects per event; only the variants shown become tuples. Results that never
show a case id leave the ids unread. bench/journeys.py measures it against pm4py on the
same frames.

The experience side of a journey (touchpoint statistics, the emotion curve, pain points,
moments of truth) lives in `kizuna.analytics.journey_experience` and is re-exported here.
"""

from __future__ import annotations

import gc
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.analytics._event_log import (
    NS,
    SMALL_KEYS,
    EventLog,
    argsort_stable,
    encoded,
    event_log,
    ordered_log,
)
from kizuna.analytics.intervals import wilson_interval, z_critical
from kizuna.analytics.journey_experience import (
    emotion_curve,
    moments_of_truth,
    pain_points,
    touchpoint_summary,
)
from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = [
    "EventLog",
    "case_durations",
    "directly_follows",
    "emotion_curve",
    "endpoints",
    "event_log",
    "funnel",
    "moments_of_truth",
    "pain_points",
    "touchpoint_summary",
    "variants",
]


def _group_medians(
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
    that fits in 62 bits (a few hundred edges of gaps up to months), else a two-key sort."""
    low = int(values.min())
    span = int(values.max()) - low + 1
    if span * groups < 2**62:
        combined = np.sort(keys * span + (values - low))
        return combined % span + low
    return values[np.lexsort((values, keys))]


def _pairs(
    log: EventLog,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(distinct pair codes, each transition's index among them, counts, gaps in ns)."""
    same = log.case[1:] == log.case[:-1]
    width = len(log.activity_labels)
    pair = log.activity[:-1][same] * width + log.activity[1:][same]
    gaps = (log.time[1:] - log.time[:-1])[same]
    if width * width <= max(SMALL_KEYS, 4 * len(pair)):
        full = np.bincount(pair, minlength=width * width)
        keys = np.flatnonzero(full).astype(np.int64)
        lookup = np.zeros(width * width, dtype=np.int64)
        lookup[keys] = np.arange(len(keys))
        return keys, lookup[pair], full[keys].astype(np.int64), gaps
    # Many activities: number only the pairs that occur.
    keys, dense, counts = np.unique(pair, return_inverse=True, return_counts=True)
    return keys.astype(np.int64), dense.reshape(-1).astype(np.int64), counts.astype(np.int64), gaps


def directly_follows(
    frame: Any,
    case: str = "case",
    activity: str = "activity",
    timestamp: str = "timestamp",
    *,
    min_count: int = 1,
) -> pd.DataFrame:
    """The directly-follows graph: one row per (source, target) with `count`, `median_seconds`.

    `count` is how often `target` came right after `source` in the same case (pm4py's DFG
    frequencies); `median_seconds` the median time between the two events. Edges seen
    fewer than `min_count` times are left out (a frequency filter). Most frequent first,
    ties by source and target.
    """
    import pandas as pd

    log = ordered_log(frame, case, activity, timestamp, cases_named=False)
    keys, dense, counts, gaps = _pairs(log)
    medians = _group_medians(dense, gaps, counts) / NS
    width = len(log.activity_labels)
    keep = np.flatnonzero(counts >= max(1, min_count))
    text = _text_rank(log.activity_labels)
    order = keep[np.lexsort((text[keys[keep] % width], text[keys[keep] // width], -counts[keep]))]
    source, target = keys[order] // width, keys[order] % width
    return pd.DataFrame(
        {
            "source": log.activity_labels[source],
            "target": log.activity_labels[target],
            "count": counts[order],
            "median_seconds": medians[order],
        }
    )


def _text_rank(labels: NDArray[Any]) -> NDArray[np.int64]:
    """Each label's rank by its text (equal texts, equal ranks): ties of counts go by text."""
    if len(labels) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(labels.astype(str), return_inverse=True)[1].reshape(-1).astype(np.int64)


def endpoints(
    frame: Any, case: str = "case", activity: str = "activity", timestamp: str = "timestamp"
) -> pd.DataFrame:
    """How many cases start and end with each activity (pm4py's start and end activities)."""
    import pandas as pd

    log = ordered_log(frame, case, activity, timestamp, cases_named=False)
    width = len(log.activity_labels)
    firsts = np.bincount(log.activity[log.starts[:-1]], minlength=width)
    lasts = np.bincount(log.activity[log.starts[1:] - 1], minlength=width)
    order = np.lexsort((_text_rank(log.activity_labels), -(firsts + lasts)))
    return pd.DataFrame(
        {"activity": log.activity_labels[order], "starts": firsts[order], "ends": lasts[order]}
    )


def _collapsed(log: EventLog) -> EventLog:
    """The log with each run of one activity in a case kept as its first event."""
    repeat = np.zeros(log.events, dtype=bool)
    repeat[1:] = (log.case[1:] == log.case[:-1]) & (log.activity[1:] == log.activity[:-1])
    keep = ~repeat
    case = log.case[keep]
    starts = np.zeros(log.cases + 1, dtype=np.int64)
    np.cumsum(np.bincount(case, minlength=log.cases), out=starts[1:])
    return EventLog(
        case=case,
        activity=log.activity[keep],
        time=log.time[keep],
        case_labels=log.case_labels,
        activity_labels=log.activity_labels,
        starts=starts,
        utc=log.utc,
    )


_PRIME = np.uint64(0x100000001B3)  # the 64-bit FNV prime, a good odd multiplier


def _positions(log: EventLog) -> NDArray[np.int64]:
    """Each event's position within its case (0 for the first)."""
    return np.arange(log.events, dtype=np.int64) - log.starts[log.case]


def _variant_of_case(log: EventLog) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each case's variant number, and for each variant the first case that follows it.

    Variants are numbered in order of their first case. Each case's sequence is hashed
    (a polynomial over 64-bit integers) and cases are grouped by hash (a hash table, in
    order of first case); then every event is compared with the same position of its
    group's first case, so two sequences share a variant only when they are equal (a hash
    collision, never seen, falls back to comparing the sequences of each length row by row).
    """
    import pandas as pd

    lengths = np.diff(log.starts)
    if log.cases == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    position = _positions(log)
    powers = np.ones(int(lengths.max()), dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumprod(np.full(len(powers), _PRIME, dtype=np.uint64)[:-1], out=powers[1:])
        terms = powers[position]  # in place from here: no temporaries of 10 M values
        codes = log.activity.astype(np.uint64)
        codes += np.uint64(1)
        terms *= codes
        del codes
        hashed = np.add.reduceat(terms, log.starts[:-1]) * _PRIME + lengths.astype(np.uint64)
    group = pd.factorize(hashed)[0].astype(np.int64, copy=False)
    # Numbered in order of first case: a case starts a group when its number is new.
    first = np.flatnonzero(np.diff(np.maximum.accumulate(group), prepend=-1))
    leader = first[group]  # the first case with the same hash
    same = lengths[leader] == lengths
    if same.all():
        # Each event faces the event at the same position of its case's leader.
        mirror = log.starts[leader][log.case]
        mirror += position
        differs = log.activity[mirror] != log.activity
        if differs.any():
            same[log.case[differs]] = False
    if same.all():
        return group, first
    group, first = _variant_by_rows(log, lengths)
    # Number the variants by their first case, so the numbering follows the frame.
    rank = np.empty(len(first), dtype=np.int64)
    order = np.argsort(first, kind="stable")
    rank[order] = np.arange(len(first))
    return rank[group], first[order]


def _variant_by_rows(
    log: EventLog, lengths: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Exact grouping without hashing: the sequences of each length compared row by row."""
    group = np.empty(log.cases, dtype=np.int64)
    firsts: list[NDArray[np.int64]] = []
    count = 0
    for length in np.unique(lengths):
        cases = np.flatnonzero(lengths == length)
        rows = log.activity[log.starts[cases][:, None] + np.arange(length)]
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        group[cases] = count + inverse.reshape(-1)
        firsts.append(cases[first])
        count += len(first)
    return group, np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int64)


def variants(
    frame: Any,
    case: str = "case",
    activity: str = "activity",
    timestamp: str = "timestamp",
    *,
    collapse_repeats: bool = False,
    top: int | None = None,
) -> pd.DataFrame:
    """One row per distinct activity sequence: `variant` (a tuple), `count`, `share`, `length`.

    `count` is the number of cases following exactly that sequence (pm4py's variants);
    `median_seconds` is their median case duration. With `collapse_repeats`, a run of one
    activity counts once (a, a, b -> a, b). Most common first, ties in the order their
    first case appears in the frame; `top` keeps the first ones.
    """
    import pandas as pd

    log = ordered_log(frame, case, activity, timestamp, cases_named=False)
    if collapse_repeats:
        log = _collapsed(log)
    variant, leaders = _variant_of_case(log)
    counts = np.bincount(variant, minlength=len(leaders)).astype(np.int64)
    medians = _group_medians(variant, _durations_ns(log), counts) / NS
    # Most cases first; ties: the variant whose first case came first (a stable sort).
    order = argsort_stable(counts.max(initial=0) - counts)
    if top is not None:
        order = order[: max(0, top)]
    shown = leaders[order]
    lengths = log.starts[shown + 1] - log.starts[shown]
    return pd.DataFrame(
        {
            "variant": _sequences(log, shown, lengths),  # tuples: pandas keeps them objects
            "count": counts[order],
            "share": counts[order] / max(1, log.cases),
            "length": lengths,
            "median_seconds": medians[order],
        }
    )


def _sequences(log: EventLog, cases: NDArray[np.int64], lengths: NDArray[np.int64]) -> NDArray[Any]:
    """Each case's activity names as one tuple (an object array of them, in `cases` order).

    Only the variants shown become Python objects. Cases of one length are read as a
    (length, cases) table of names whose columns `zip` turns into tuples in C, one
    allocation each, rather than slicing a list per case.
    """
    if len(cases) <= 2000:  # few: one list of names, sliced per case, costs less
        offsets = np.zeros(len(cases) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        events = np.repeat(log.starts[cases] - offsets[:-1], lengths) + np.arange(offsets[-1])
        names = log.activity_labels[log.activity[events]].tolist()
        bounds = offsets.tolist()
        return np.fromiter(
            (tuple(names[b:e]) for b, e in pairwise(bounds)), dtype=object, count=len(cases)
        )
    sequences = np.empty(len(cases), dtype=object)
    # Hundreds of thousands of new tuples would set off the cyclic garbage collector again
    # and again (20-30% of this step); they hold only text, so it can wait until the end.
    enabled = gc.isenabled()
    gc.disable()
    try:
        _fill_sequences(sequences, log, cases, lengths)
    finally:
        if enabled:
            gc.enable()
    return sequences


def _fill_sequences(
    sequences: NDArray[Any], log: EventLog, cases: NDArray[np.int64], lengths: NDArray[np.int64]
) -> None:
    by_length = np.argsort(lengths, kind="stable")
    firsts = log.starts[cases[by_length]]
    sizes = np.bincount(lengths) if len(lengths) else np.zeros(0, dtype=np.int64)
    done = 0
    for length in np.flatnonzero(sizes).tolist():
        rows = by_length[done : done + sizes[length]]
        at = firsts[done : done + sizes[length]]
        # Read case by case (each case's events are adjacent), then one list per position.
        codes = log.activity[at[:, None] + np.arange(length)].T
        names = log.activity_labels[codes].tolist()
        sequences[rows] = np.fromiter(zip(*names, strict=True), dtype=object, count=len(rows))
        done += len(rows)


def _durations_ns(log: EventLog) -> NDArray[np.int64]:
    if log.cases == 0:
        return np.zeros(0, dtype=np.int64)
    return log.time[log.starts[1:] - 1] - log.time[log.starts[:-1]]


def case_durations(
    frame: Any, case: str = "case", activity: str = "activity", timestamp: str = "timestamp"
) -> pd.DataFrame:
    """One row per case: `case`, `start`, `end`, `duration_seconds` (last minus first), `events`.

    The durations are pm4py's case durations (`get_all_case_durations` lists them sorted).
    Cases in order of first appearance; no sort is needed, only each case's first and
    last moment.
    """
    import pandas as pd

    if isinstance(frame, EventLog):
        log = frame
        cases = log.case_labels
        first = log.time[log.starts[:-1]]
        last = log.time[log.starts[1:] - 1]
        events = np.diff(log.starts)
        utc = log.utc
    else:
        codes, cases, _, _, time, utc = encoded(frame, case, activity, timestamp, activities=False)
        first = np.full(len(cases), np.iinfo(np.int64).max, dtype=np.int64)
        last = np.full(len(cases), np.iinfo(np.int64).min, dtype=np.int64)
        np.minimum.at(first, codes, time)
        np.maximum.at(last, codes, time)
        events = np.bincount(codes, minlength=len(cases)).astype(np.int64)
    start = pd.to_datetime(first, unit="ns", utc=utc)
    end = pd.to_datetime(last, unit="ns", utc=utc)
    return pd.DataFrame(
        {
            "case": pd.Series(cases, dtype=object),
            "start": start,
            "end": end,
            "duration_seconds": (last - first) / NS,
            "events": events,
        }
    )


def funnel(
    frame: Any,
    stages: list[str] | tuple[str, ...],
    case: str = "case",
    stage: str = "stage",
    timestamp: str = "timestamp",
    *,
    ordered: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The stage funnel: how many cases reach each step, conversion with its interval, time.

    Steps are `stages` in order. `ordered` (default): a case reaches step k at its first
    event of stage k at or after the moment it reached step k-1 (other events may come in
    between, as in a web analytics funnel); otherwise a case reaches step k when it has
    events of stages 1..k in any order, at its first event of stage k. Columns: `stage`,
    `step`, `reached`, `share_of_start`, `conversion` (reached / reached at the step before)
    with `conversion_low`/`conversion_high`, the Wilson score interval (Wilson 1927, JASA
    22(158)), `dropped` (reached the step before but not this one) and `median_seconds`
    from the step before to this one.
    """
    import pandas as pd

    steps = list(stages)
    if not steps or len(set(steps)) != len(steps):
        raise InvalidInput(
            "Give the funnel's stages as a list of distinct names, in order.",
            "ファネルの段階は、重複のない名前のリストを順番どおりに指定してください。",
            stages=[str(s) for s in steps],
        )
    if not 0 < confidence < 1:
        raise InvalidInput(
            f"confidence must be between 0 and 1, such as 0.95 (got {confidence!r}).",
            f"confidence は 0.95 のように 0 と 1 の間で指定してください(指定値: {confidence!r})。",
        )
    log = ordered_log(frame, case, stage, timestamp, cases_named=False)
    labels = {value: code for code, value in enumerate(log.activity_labels.tolist())}
    never = np.iinfo(np.int64).max
    reached_at = np.full(log.cases, never, dtype=np.int64)  # moment of the step before
    rows: list[dict[str, Any]] = []
    for number, name in enumerate(steps, start=1):
        code = labels.get(name)
        at = np.full(log.cases, never, dtype=np.int64)
        if code is not None:
            events = np.flatnonzero(log.activity == code)
            cases, times = log.case[events], log.time[events]
            if number > 1:
                allowed = reached_at[cases] != never
                if ordered:
                    allowed &= times >= reached_at[cases]
                cases, times = cases[allowed], times[allowed]
            # Events are in time order within a case: the first kept one is the earliest.
            first = np.unique(cases, return_index=True)[1]
            at[cases[first]] = times[first]
        reached = at != never
        gaps = (at[reached] - reached_at[reached]) / NS if number > 1 else np.zeros(0)
        rows.append(
            {
                "stage": name,
                "step": number,
                "reached": int(reached.sum()),
                "median_seconds": float(np.median(gaps)) if len(gaps) else np.nan,
            }
        )
        reached_at = at
    result = pd.DataFrame(rows)
    reached = result["reached"].to_numpy(dtype=float)
    before = np.concatenate([[np.nan], reached[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(before > 0, reached / before, np.nan)
        low, high = wilson_interval(reached, before, z_critical(confidence))
        start = reached[0] if len(reached) else 0.0
        result["share_of_start"] = reached / start if start > 0 else np.nan
    result["conversion"] = conversion
    result["conversion_low"] = np.where(before > 0, low, np.nan)
    result["conversion_high"] = np.where(before > 0, high, np.nan)
    result["dropped"] = np.where(np.isnan(before), 0, before - reached).astype(np.int64)
    columns = ["stage", "step", "reached", "share_of_start", "conversion", "conversion_low"]
    return result[[*columns, "conversion_high", "dropped", "median_seconds"]]

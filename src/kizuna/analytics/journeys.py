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
order; ids of one width such as c0000123 are read as numbers, not hashed; rows already
grouped by case are not sorted at all) and every result is counted with NumPy (`bincount`,
integer sorts, a hash of each case's sequence), never with Python objects per event; only
the variants shown become tuples. Results that never show a case id leave the ids unread
and build no per-event case codes or times they do not read (`_event_log.sorted_events`).
On large logs two steps run at once on two threads (the activities' encoding beside the
cases'; the variants' medians beside their tuples). On small logs (a few thousand events,
a millisecond a call) the fixed cost of each NumPy, Arrow or pandas call weighs most, so
fewer are made: a log grouped by ascending ids needs no hash of its ids, each case is one
row of a table grouped by one hash table, and the result frame is built from its arrays
without pandas inferring them again. Private rooms: `_column_codes` (columns to codes),
`_event_log` (order), `_variants` (grouping, tuples), `_medians`.
bench/journeys.py measures it against pm4py on the same frames.

The experience side of a journey (touchpoint statistics, the emotion curve, pain points,
moments of truth) lives in `kizuna.analytics.journey_experience` and is re-exported here.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.analytics._background import alongside
from kizuna.analytics._event_log import (
    NS,
    PARALLEL_ROWS,
    SMALL_KEYS,
    EventLog,
    argsort_stable,
    encoded,
    event_log,
    ordered_log,
    sorted_events,
)
from kizuna.analytics._medians import group_medians
from kizuna.analytics._variants import (
    collapsed,
    durations_ns,
    sequences,
    variant_of_case,
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
    medians = group_medians(dense, gaps, counts) / NS
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
    log = sorted_events(frame, case, activity, timestamp)
    if collapse_repeats:
        log = collapsed(log)
    variant, leaders = variant_of_case(log)
    counts = np.bincount(variant, minlength=len(leaders)).astype(np.int64)
    # Most cases first; ties: the variant whose first case came first (a stable sort).
    order = argsort_stable(counts.max(initial=0) - counts)
    durations, sizes = durations_ns(log), counts
    if top is not None:
        order = order[: max(0, top)]
        if len(order) < len(counts):  # medians of the variants shown only
            sizes = np.zeros_like(counts)
            sizes[order] = counts[order]
            cases = (sizes > 0)[variant]
            variant, durations = variant[cases], durations[cases]
    shown = leaders[order]
    lengths = log.starts[shown + 1] - log.starts[shown]
    # The medians (NumPy sorts) on a second thread while this one builds the tuples.
    threaded = len(log.activity) >= PARALLEL_ROWS
    with alongside(threaded, group_medians, variant, durations, sizes) as medians:
        names = sequences(log, shown, lengths)  # tuples: pandas keeps them objects
        median_ns = medians()
    return _frame(
        {
            "variant": names,
            "count": counts[order],
            "share": counts[order] / max(1, log.cases),
            "length": lengths,
            "median_seconds": median_ns[order] / NS,
        }
    )


def _frame(columns: dict[str, NDArray[Any]]) -> pd.DataFrame:
    """A frame of new 1-D arrays of one length whose types are final, built by pandas' own
    constructor for such arrays (`DataFrame._from_arrays`, private, in pandas 2.2 to 3.1):
    the public one checks and infers every column again and builds an index of the column
    names each time, 3x the cost on a small result (68 vs 23 us, 116 variants)."""
    import pandas as pd

    build = getattr(pd.DataFrame, "_from_arrays", None)
    if build is None:  # pragma: no cover - a pandas without it: the public constructor
        return pd.DataFrame(columns, copy=False)
    arrays = list(columns.values())
    return build(  # type: ignore[no-any-return]
        arrays,
        columns=_column_index(tuple(columns)).view(),  # its own object: a name stays here
        index=pd.RangeIndex(len(arrays[0])),
        verify_integrity=False,
    )


@cache
def _column_index(names: tuple[str, ...]) -> pd.Index:
    """The index of these column names (the same object each time: never handed out)."""
    import pandas as pd

    return pd.Index(names)


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

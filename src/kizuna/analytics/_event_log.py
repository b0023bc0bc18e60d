"""The event log encoded for counting: cases and activities as integer codes, times as int64
nanoseconds, events sorted by case then time with ties in frame order (pm4py's order).

Private to `kizuna.analytics.journeys`, which re-exports `EventLog` and `event_log`. Pure:
pandas, pyarrow and NumPy; no database, no web.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.analytics._background import alongside
from kizuna.analytics._column_codes import case_codes, case_keys, codes, codes_of_keys
from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = [
    "NS",
    "PARALLEL_ROWS",
    "SMALL_KEYS",
    "EventLog",
    "SortedEvents",
    "argsort_stable",
    "encoded",
    "event_log",
    "ordered_log",
    "sorted_events",
]

NS = 1_000_000_000
SMALL_KEYS = 1 << 16  # integer keys below this sort by NumPy's radix sort
PARALLEL_ROWS = 1 << 18  # from this many events, two steps at a time on two threads
_SAMPLE = 1 << 16  # rows looked at first to tell a log grouped by case from one in time order


@dataclass(frozen=True)
class EventLog:
    """An event log encoded for counting, events sorted by case then time (stable).

    `case[i]`, `activity[i]`, `time[i]` describe the i-th event in that order: codes into
    `case_labels` / `activity_labels`, and int64 nanoseconds (UTC when the input had an
    offset, `utc` says so). The events of case code `c` are `starts[c]:starts[c + 1]`.
    Build one with `event_log` and pass it to several functions to sort only once.
    """

    case: NDArray[np.int64]
    activity: NDArray[np.int64]
    time: NDArray[np.int64]
    case_labels: NDArray[Any]
    activity_labels: NDArray[Any]
    starts: NDArray[np.int64]
    utc: bool

    @property
    def events(self) -> int:
        return len(self.case)

    @property
    def cases(self) -> int:
        return len(self.case_labels)

    def __repr__(self) -> str:
        return (
            f"EventLog(events={self.events:,}, cases={self.cases:,}, "
            f"activities={len(self.activity_labels):,})"
        )


def _columns(frame: Any, names: tuple[str, ...]) -> pd.DataFrame:
    """The named columns of a pandas frame or a pyarrow Table, as a pandas frame."""
    import pandas as pd

    if isinstance(frame, pd.DataFrame):
        table = frame
    elif hasattr(frame, "select") and hasattr(frame, "to_pandas"):  # pyarrow.Table
        missing = [n for n in names if n not in frame.column_names]
        if missing:
            raise _missing_columns(missing, list(frame.column_names))
        return frame.select(list(dict.fromkeys(names))).to_pandas()  # type: ignore[no-any-return]
    else:
        raise InvalidInput(
            f"Give an event log as a pandas DataFrame or a pyarrow Table (got "
            f"{type(frame).__name__}).",
            f"イベントログは pandas の DataFrame か pyarrow の Table で渡してください"
            f"(渡されたのは {type(frame).__name__})。",
        )
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise _missing_columns(missing, [str(c) for c in table.columns])
    return table


def _missing_columns(missing: list[str], present: list[str]) -> InvalidInput:
    shown = ", ".join(present[:20])
    return InvalidInput(
        f"The event log has no column {', '.join(missing)}. Name the case, activity and "
        f"timestamp columns (case=..., activity=..., timestamp=...); it has: {shown}.",
        f"イベントログに列 {', '.join(missing)} がありません。ケース・アクティビティ・時刻の列名を"
        f"指定してください(case=..., activity=..., timestamp=...)。ある列: {shown}",
        missing=missing,
    )


def _nanoseconds(values: pd.Series) -> tuple[NDArray[np.int64], NDArray[np.bool_], bool]:
    """(int64 ns, valid mask, utc) of a timestamp column of any common type."""
    import pandas as pd

    dtype = values.dtype
    if dtype == np.dtype("datetime64[ns]"):  # the common case: read in place, no index built
        ns = np.asarray(values.values).view(np.int64)  # `.values`: 1 us, `.to_numpy()`: 7
        return ns, ns != np.iinfo(np.int64).min, False
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
        values = pd.Series(pd.to_datetime(values.astype(f"datetime64[ns{_zone_of(dtype)}]")))  # type: ignore[call-overload]
        dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        stamps = values
    else:
        try:
            stamps = pd.to_datetime(values, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            try:
                stamps = pd.to_datetime(values, utc=True, format="mixed")
            except (ValueError, TypeError) as exc:
                raise InvalidInput(
                    f"The timestamp column could not be read as dates and times ({exc}). "
                    "Use ISO 8601, e.g. 2024-05-01 09:30:00+09:00.",
                    f"時刻の列を日時として読めませんでした({exc})。"
                    "2024-05-01 09:30:00+09:00 のような ISO 8601 形式にしてください。",
                ) from None
    index = pd.DatetimeIndex(stamps)
    utc = index.tz is not None
    if utc:
        index = index.tz_convert("UTC").tz_localize(None)
    valid = ~np.asarray(index.isna())
    return index.as_unit("ns").asi8, valid, utc


def _zone_of(dtype: Any) -> str:
    zone = getattr(dtype.pyarrow_dtype, "tz", None)
    return f", {zone}" if zone else ""


def encoded(
    frame: Any,
    case: str,
    activity: str | None,
    timestamp: str,
    *,
    activities: bool = True,
    cases_named: bool = True,
) -> tuple[
    NDArray[np.int64], NDArray[Any], NDArray[np.int64], NDArray[Any], NDArray[np.int64], bool
]:
    """(case codes, case labels, activity codes, activity labels, ns, utc) of the valid rows.

    A row is valid with a case, an activity (when one is named) and a timestamp; codes
    are dense over the valid rows. Without `activity` its codes are all zero; with
    `activities=False` too, the activity column is only read for gaps (not encoded). With
    `cases_named=False` the case labels are left None, for results that never show cases.
    """
    names = (case, timestamp) if activity is None else (case, activity, timestamp)
    table = _columns(frame, names)
    time, valid, utc = _nanoseconds(table[timestamp])
    case_found, case_labels = case_codes(table[case], named=cases_named)
    if activity is None or not activities:
        activity_codes, activity_labels = np.zeros(len(case_found), np.int64), np.array([None])
        if activity is not None:
            valid &= ~np.asarray(table[activity].isna())
    else:
        activity_codes, activity_labels = codes(table[activity])
    valid &= (case_found >= 0) & (activity_codes >= 0)
    if not valid.all():
        case_found, case_labels = _dense(case_found[valid], case_labels)
        activity_codes, activity_labels = _dense(activity_codes[valid], activity_labels)
        time = time[valid]
    return case_found, case_labels, activity_codes, activity_labels, time, utc


def _dense(
    codes: NDArray[np.int64], labels: NDArray[Any]
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Renumber codes 0..k-1 in order of first appearance among the rows kept."""
    used, first = np.unique(codes, return_index=True)
    used = used[np.argsort(first, kind="stable")]
    lookup = np.full(len(labels), -1, dtype=np.int64)
    lookup[used] = np.arange(len(used))
    return lookup[codes], labels[used]


def _stable_order(
    case: NDArray[np.int64], cases: int, time: NDArray[np.int64]
) -> tuple[NDArray[np.intp] | None, NDArray[np.int64] | None]:
    """Indices ordering events by case (codes below `cases`), then time, ties in frame
    order (None if already so), and each case's count when the sort gave it."""
    if (len(case) <= _SAMPLE or _in_order(case[:_SAMPLE], time[:_SAMPLE])) and _in_order(
        case, time
    ):
        return None, None  # the first rows tell most logs in time order (no full pass)
    if (time[1:] >= time[:-1]).all():  # a log exported in time order: one sort by case
        return _by_case(case, cases)
    by_time = np.argsort(time, kind="stable")
    order, counts = _by_case(case[by_time], cases)
    return by_time[order], counts


def _in_order(case: NDArray[np.int64], time: NDArray[np.int64]) -> bool:
    """Whether events are sorted by case, then time."""
    same = case[1:] == case[:-1]
    if not (same | (case[1:] > case[:-1])).all():
        return False
    return bool((~same | (time[1:] >= time[:-1])).all())


def _by_case(
    case: NDArray[np.int64], cases: int
) -> tuple[NDArray[np.intp], NDArray[np.int64] | None]:
    """A stable argsort of case codes below `cases`, and each case's count when the
    counting sort gives it (one pass over the codes less)."""
    counting_sort = _counting_sort()
    if counting_sort is not None and SMALL_KEYS <= cases < 2 * len(case):
        order, counts = counting_sort(case.astype(np.intp, copy=False), cases)
        return order, counts[1:]  # counts[0] counts missing codes (-1): none here
    return argsort_stable(case), None


def argsort_stable(keys: NDArray[np.int64]) -> NDArray[np.intp]:
    """A stable argsort of non-negative integer keys: a counting sort when keys are dense."""
    top = int(keys.max()) if len(keys) else 0
    if top < SMALL_KEYS:
        return np.argsort(keys.astype(np.uint16), kind="stable")  # NumPy's radix sort
    counting_sort = _counting_sort()
    if counting_sort is not None and top < 2 * len(keys):
        # One pass over the keys and one over the counts (pandas' groupby sort): about 10x
        # faster than two 16-bit radix passes (3 ms vs 29 ms at 1 M keys, 100,000 cases).
        order, _ = counting_sort(keys.astype(np.intp, copy=False), top + 1)
        return order  # type: ignore[no-any-return]
    if top < 2**32:
        # Two radix passes of 16 bits (least significant first; each pass stable), 2-4x
        # faster than NumPy's stable sort of 32-bit keys (a timsort) from 8,000 to 10 M keys.
        low = np.argsort(keys.astype(np.uint16), kind="stable")
        high = np.argsort((keys[low] >> 16).astype(np.uint16), kind="stable")
        return low[high]
    return np.argsort(keys, kind="stable")


@cache
def _counting_sort() -> Any:
    """pandas' stable counting sort (`groupsort_indexer`, private), None where it moved."""
    import importlib

    try:
        return importlib.import_module("pandas._libs.algos").groupsort_indexer
    except (ImportError, AttributeError):  # pragma: no cover - radix passes then
        return None


def _block_numbers(starts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each row's block number, blocks `starts[b]:starts[b + 1]` (none empty): a running sum
    of block starts (16 ms vs 22 ms for `np.repeat` at 10 M rows in 1 M blocks)."""
    marks = np.zeros(int(starts[-1]), dtype=np.int64)
    marks[starts[1:-1]] = 1
    return np.cumsum(marks, out=marks)


def _narrowed(codes: NDArray[Any], size: int) -> NDArray[Any]:
    """Codes below `size` on the narrowest type that holds them: a random gather moves whole
    cache lines, so 1-2 bytes a code cost less than 8 (2.5x at 10 M)."""
    if size <= 1 << 7:
        return codes.astype(np.int8, copy=False)
    if size <= 1 << 15:
        return codes.astype(np.int16, copy=False)
    return codes


def event_log(
    frame: Any, case: str = "case", activity: str = "activity", timestamp: str = "timestamp"
) -> EventLog:
    """Encode and order an event log once (see the module's notes on order and gaps)."""
    return ordered_log(frame, case, activity, timestamp)


def ordered_log(
    frame: Any, case: str, activity: str, timestamp: str, *, cases_named: bool = True
) -> EventLog:
    """`event_log`; with `cases_named=False` its case labels are None (the results that
    never show a case id skip reading a million of them)."""
    if isinstance(frame, EventLog):
        return frame
    if not cases_named:
        return sorted_events(frame, case, activity, timestamp).log()
    case_codes, case_labels, activity_codes, activity_labels, time, utc = encoded(
        frame, case, activity, timestamp
    )
    events = _sorted(case_codes, len(case_labels), activity_codes, activity_labels, time, utc)
    return events.log(case_labels, None if events.order is not None else case_codes)


@dataclass(frozen=True)
class SortedEvents:
    """Events in the log's order (case, then time, ties in frame order) with only what
    every result reads: activity codes in that order (of any integer width) and each case's
    block `starts[c]:starts[c + 1]`, cases in order of first appearance. Times stay in frame
    order: `order` says where each event's time lies (None: in place)."""

    activity: NDArray[Any]
    activity_labels: NDArray[Any]
    starts: NDArray[np.int64]
    time: NDArray[np.int64]
    order: NDArray[np.intp] | None
    utc: bool

    @property
    def cases(self) -> int:
        return len(self.starts) - 1

    def times_at(self, events: NDArray[np.int64]) -> NDArray[np.int64]:
        """The times of the events at these places in the log's order."""
        return self.time[events if self.order is None else self.order[events]]

    def log(
        self, case_labels: NDArray[Any] | None = None, case: NDArray[np.int64] | None = None
    ) -> EventLog:
        """The full `EventLog` (case codes and times of every event); case labels None
        unless given, case codes counted from `starts` unless given."""
        return EventLog(
            case=_block_numbers(self.starts) if case is None else case,
            activity=self.activity.astype(np.int64, copy=False),
            time=self.time if self.order is None else self.time[self.order],
            case_labels=np.empty(self.cases, dtype=object) if case_labels is None else case_labels,
            activity_labels=self.activity_labels,
            starts=self.starts,
            utc=self.utc,
        )


def sorted_events(frame: Any, case: str, activity: str, timestamp: str) -> SortedEvents:
    """The events of a frame (or an `EventLog`) in the log's order, for results that never
    show a case id: no case labels read, no time or case code per event built.

    Ids of one width (c0000123) are read as numeric keys; rows already grouped by case (as
    pm4py's `format_dataframe` leaves them) are then taken as they are, without codes.
    """
    if isinstance(frame, EventLog):
        log = frame
        return SortedEvents(log.activity, log.activity_labels, log.starts, log.time, None, log.utc)
    table = _columns(frame, (case, activity, timestamp))
    # The activities are encoded on a second thread while this one reads cases and times.
    threaded = len(table) >= PARALLEL_ROWS
    keyed: tuple[NDArray[np.int64] | None, NDArray[np.int64], int] | None = None
    with alongside(threaded, codes, table[activity], narrow=True) as activities:
        time, valid, utc = _nanoseconds(table[timestamp])
        case_column = table[case]
        found = case_keys(case_column)
        if found is None:
            case_found, case_labels = case_codes(case_column, named=False)
            valid &= case_found >= 0
        elif valid.all():
            keyed = _cases_of_keys(*found, time)
        activity_codes, activity_labels = activities()
    valid &= activity_codes >= 0
    if not valid.all():  # rows left out: codes renumbered over the rows kept
        time = time[valid]
        activity_codes, activity_labels = _dense(activity_codes[valid], activity_labels)
        if found is None:
            case_found, case_labels = _dense(case_found[valid], case_labels)
        else:
            keyed = _cases_of_keys(found[0][valid], found[1], time)
    if keyed is None:
        return _sorted(case_found, len(case_labels), activity_codes, activity_labels, time, utc)
    grouped, case_found, cases = keyed
    if grouped is not None:  # blocks in order of first appearance: nothing to sort
        return SortedEvents(activity_codes, activity_labels, grouped, time, None, utc)
    return _sorted(case_found, cases, activity_codes, activity_labels, time, utc)


def _cases_of_keys(
    keys: NDArray[np.int32], span: int, time: NDArray[np.int64]
) -> tuple[NDArray[np.int64] | None, NDArray[np.int64], int]:
    """(the case blocks' starts, no codes, cases) when each case's rows are one block in
    time order; else (None, the case codes in order of first appearance, cases)."""
    grouped = _grouped_starts(keys, span, time)
    if grouped is not None:
        return grouped, np.zeros(0, dtype=np.int64), len(grouped) - 1
    found, labels = codes_of_keys(None, keys, span, named=False)
    return None, found, len(labels)


def _grouped_starts(
    keys: NDArray[np.int32], span: int, time: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    """The case blocks' starts (and the end) when each case's rows are one block in time
    order; else None."""
    head = keys[:_SAMPLE]
    if np.count_nonzero(head[1:] != head[:-1]) >= len(head) // 2:
        return None  # interleaved (a log in time order): seen in the first rows
    changes = keys[1:] != keys[:-1]
    if np.count_nonzero(changes) >= len(keys) // 2:
        return None
    starts = np.concatenate([[0], np.flatnonzero(changes) + 1, [len(keys)]]).astype(np.int64)
    if np.bincount(keys[starts[:-1]], minlength=span).max(initial=0) > 1:
        return None  # a case comes back later
    changes |= time[1:] >= time[:-1]
    return starts if changes.all() else None


def _sorted(
    case_codes: NDArray[np.int64],
    cases: int,
    activity_codes: NDArray[Any],
    activity_labels: NDArray[Any],
    time: NDArray[np.int64],
    utc: bool,
) -> SortedEvents:
    """The encoded events sorted by case code, then time, ties in frame order."""
    order, counts = _stable_order(case_codes, cases, time)
    if counts is None:
        counts = np.bincount(case_codes, minlength=cases)
    starts = np.zeros(cases + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    if order is not None:
        # Sorted by case, case c's events are the block starts[c]:starts[c + 1].
        activity_codes = _narrowed(activity_codes, len(activity_labels))[order]
    return SortedEvents(activity_codes, activity_labels, starts, time, order, utc)

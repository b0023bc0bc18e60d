"""The event log encoded for counting: cases and activities as integer codes, times as int64
nanoseconds, events sorted by case then time with ties in frame order (pm4py's order).

Private to `kizuna.analytics.journeys`, which re-exports `EventLog` and `event_log`. Pure:
pandas, pyarrow and NumPy; no database, no web.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["NS", "SMALL_KEYS", "EventLog", "argsort_stable", "encoded", "event_log"]

NS = 1_000_000_000
SMALL_KEYS = 1 << 16  # integer keys below this sort by NumPy's radix sort


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


def _arrow(values: pd.Series) -> Any:
    """The column as one pyarrow Array when it is Arrow-backed text, else None."""
    import pandas as pd

    if getattr(values.dtype, "storage", None) == "pyarrow" or isinstance(
        values.dtype, pd.ArrowDtype
    ):
        import pyarrow as pa

        array = pa.array(values.array)
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return None


def _codes(values: pd.Series) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Codes in order of first appearance (-1 for missing) and the labels they stand for.

    Arrow-backed text (pandas' default string type with pyarrow) is encoded by Arrow's
    hash table without building a Python object per row; other columns by `pd.factorize`.
    """
    import pandas as pd
    import pyarrow as pa

    array = _arrow(values)
    if array is not None:
        if not pa.types.is_dictionary(array.type):
            array = array.dictionary_encode()
        indices = array.indices
        if indices.null_count:
            indices = indices.fill_null(-1)
        codes = indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, _labels(array.dictionary)
    codes, labels = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(labels, dtype=object)


def _labels(dictionary: Any) -> NDArray[Any]:
    """An Arrow dictionary's values as an object array of Python values (text without a
    Python list in between; other types through `to_pylist`, as datetimes stay datetimes)."""
    import pyarrow as pa

    if pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type):
        return np.asarray(dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return np.asarray(dictionary.to_pylist(), dtype=object)


def _case_codes(values: pd.Series) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """`_codes` of the case column, cheaper when each case's rows are one block.

    Logs grouped by case (as pm4py leaves them) change case at a few rows: only the first
    row of each block is hashed, and when no case has two blocks the codes are the block
    numbers (the same codes, in order of first appearance, `_codes` would give).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    array = _arrow(values)
    if array is None or len(array) < 2 or array.null_count or pa.types.is_dictionary(array.type):
        return _codes(values)
    changes = pc.not_equal(array.slice(1), array.slice(0, len(array) - 1))
    starts = np.flatnonzero(changes.to_numpy(zero_copy_only=False)) + 1
    if len(starts) >= len(array) // 2:  # interleaved: hashing every row is cheaper
        return _codes(values)
    starts = np.concatenate([[0], starts]).astype(np.int64)
    firsts = array.take(pa.array(starts)).dictionary_encode()
    if len(firsts.dictionary) != len(starts):  # a case comes back later: not grouped
        return _codes(values)
    lengths = np.diff(np.append(starts, len(array)))
    codes = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    return codes, _labels(firsts.dictionary)


def encoded(
    frame: Any, case: str, activity: str | None, timestamp: str
) -> tuple[
    NDArray[np.int64], NDArray[Any], NDArray[np.int64], NDArray[Any], NDArray[np.int64], bool
]:
    """(case codes, case labels, activity codes, activity labels, ns, utc) of the valid rows.

    A row is valid with a case, an activity (when one is named) and a timestamp; codes
    are dense over the valid rows. Without `activity` its codes are all zero.
    """
    names = (case, timestamp) if activity is None else (case, activity, timestamp)
    table = _columns(frame, names)
    time, valid, utc = _nanoseconds(table[timestamp])
    case_codes, case_labels = _case_codes(table[case])
    if activity is None:
        activity_codes, activity_labels = np.zeros(len(case_codes), np.int64), np.array([None])
    else:
        activity_codes, activity_labels = _codes(table[activity])
    valid &= (case_codes >= 0) & (activity_codes >= 0)
    if not valid.all():
        case_codes, case_labels = _dense(case_codes[valid], case_labels)
        activity_codes, activity_labels = _dense(activity_codes[valid], activity_labels)
        time = time[valid]
    return case_codes, case_labels, activity_codes, activity_labels, time, utc


def _dense(
    codes: NDArray[np.int64], labels: NDArray[Any]
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Renumber codes 0..k-1 in order of first appearance among the rows kept."""
    used, first = np.unique(codes, return_index=True)
    used = used[np.argsort(first, kind="stable")]
    lookup = np.full(len(labels), -1, dtype=np.int64)
    lookup[used] = np.arange(len(used))
    return lookup[codes], labels[used]


def _stable_order(case: NDArray[np.int64], time: NDArray[np.int64]) -> NDArray[np.intp] | None:
    """Indices ordering events by case, then time, ties in frame order; None if already so."""
    same_case = case[1:] == case[:-1]
    if (case[1:] >= case[:-1]).all() and (~same_case | (time[1:] >= time[:-1])).all():
        return None
    if (time[1:] >= time[:-1]).all():  # a log exported in time order: one sort by case
        return argsort_stable(case)
    by_time = np.argsort(time, kind="stable")
    return by_time[argsort_stable(case[by_time])]


def argsort_stable(keys: NDArray[np.int64]) -> NDArray[np.intp]:
    """A stable argsort of non-negative integer keys, on the narrowest type that holds them."""
    top = int(keys.max()) if len(keys) else 0
    if top < SMALL_KEYS:
        return np.argsort(keys.astype(np.uint16), kind="stable")  # NumPy's radix sort
    if top < 2**32:
        # Two radix passes of 16 bits (least significant first; each pass stable), 2-4x
        # faster than NumPy's stable sort of 32-bit keys (a timsort) from 8,000 to 10 M keys.
        low = np.argsort(keys.astype(np.uint16), kind="stable")
        high = np.argsort((keys[low] >> 16).astype(np.uint16), kind="stable")
        return low[high]
    return np.argsort(keys, kind="stable")


def event_log(
    frame: Any, case: str = "case", activity: str = "activity", timestamp: str = "timestamp"
) -> EventLog:
    """Encode and order an event log once (see the module's notes on order and gaps)."""
    if isinstance(frame, EventLog):
        return frame
    case_codes, case_labels, activity_codes, activity_labels, time, utc = encoded(
        frame, case, activity, timestamp
    )
    order = _stable_order(case_codes, time)
    if order is not None:
        case_codes, activity_codes, time = case_codes[order], activity_codes[order], time[order]
    # Codes follow first appearance, so after the sort case c's events are one block.
    counts = np.bincount(case_codes, minlength=len(case_labels))
    starts = np.zeros(len(case_labels) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return EventLog(
        case=case_codes,
        activity=activity_codes,
        time=time,
        case_labels=case_labels,
        activity_labels=activity_labels,
        starts=starts,
        utc=utc,
    )

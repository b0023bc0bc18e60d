"""The event log encoded for counting: cases and activities as integer codes, times as int64
nanoseconds, events sorted by case then time with ties in frame order (pm4py's order).

Private to `kizuna.analytics.journeys`, which re-exports `EventLog` and `event_log`. Pure:
pandas, pyarrow and NumPy; no database, no web.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = [
    "NS",
    "SMALL_KEYS",
    "EventLog",
    "argsort_stable",
    "encoded",
    "event_log",
    "ordered_log",
]

NS = 1_000_000_000
SMALL_KEYS = 1 << 16  # integer keys below this sort by NumPy's radix sort
_BLOCK = 1 << 17  # rows per block when building fixed-width keys


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
        ns = values.to_numpy().view(np.int64)
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


def _arrow(values: pd.Series, *, combine: bool = True) -> Any:
    """The column as one pyarrow Array when it is Arrow-backed text, else None (with
    `combine=False`, a ChunkedArray stays chunked: no copy of its text)."""
    import pandas as pd

    if getattr(values.dtype, "storage", None) == "pyarrow" or isinstance(
        values.dtype, pd.ArrowDtype
    ):
        import pyarrow as pa

        array = pa.array(values.array)
        if combine and isinstance(array, pa.ChunkedArray):
            return array.combine_chunks()
        return array
    return None


def _codes(values: pd.Series, *, named: bool = True) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Codes in order of first appearance (-1 for missing) and the labels they stand for.

    Arrow-backed text (pandas' default string type with pyarrow) is encoded by Arrow's
    hash table without building a Python object per row; other columns by `pd.factorize`.
    """
    import pandas as pd
    import pyarrow as pa

    array = _arrow(values, combine=False)
    if array is not None:
        if pa.types.is_dictionary(array.type):  # chunks may hold different dictionaries
            if isinstance(array, pa.ChunkedArray):
                array = array.combine_chunks()
        else:
            # Arrow encodes the chunks with one hash table: every chunk ends up with the
            # same dictionary, so the text is never copied into one array first.
            array = array.dictionary_encode()
        chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
        if not chunks:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
        codes = np.concatenate([_indices(chunk) for chunk in chunks])
        dictionary = chunks[-1].dictionary
        return codes, _labels(dictionary) if named else _unnamed(len(dictionary))
    codes, labels = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(labels, dtype=object)


def _indices(array: Any) -> NDArray[np.int64]:
    """A dictionary array's indices as int64 codes, -1 where null."""
    indices = array.indices
    if indices.null_count:
        indices = indices.fill_null(-1)
    return indices.to_numpy(zero_copy_only=False).astype(np.int64)  # type: ignore[no-any-return]


def _unnamed(count: int) -> NDArray[Any]:
    """Labels nobody will read (all None): a million case ids would cost 0.1 s to name."""
    return np.empty(count, dtype=object)


def _labels(dictionary: Any) -> NDArray[Any]:
    """An Arrow dictionary's values as an object array of Python values (text without a
    Python list in between; other types through `to_pylist`, as datetimes stay datetimes)."""
    import pyarrow as pa

    if pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type):
        return np.asarray(dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return np.asarray(dictionary.to_pylist(), dtype=object)


def _case_codes(values: pd.Series, *, named: bool = True) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """`_codes` of the case column, cheaper when each case's rows are one block.

    Logs grouped by case (as pm4py leaves them) change case at a few rows: only the first
    row of each block is hashed, and when no case has two blocks the codes are the block
    numbers (the same codes, in order of first appearance, `_codes` would give).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    array = _arrow(values)
    if array is None or len(array) < 2 or array.null_count or pa.types.is_dictionary(array.type):
        return _codes(values, named=named)
    keys = _fixed_width_keys(array)
    if keys is not None:
        return _codes_of_keys(array, *keys, named=named)
    changes = pc.not_equal(array.slice(1), array.slice(0, len(array) - 1))
    starts = np.flatnonzero(changes.to_numpy(zero_copy_only=False)) + 1
    if len(starts) >= len(array) // 2:  # interleaved: hashing every row is cheaper
        return _codes(values, named=named)
    starts = np.concatenate([[0], starts]).astype(np.int64)
    firsts = array.take(pa.array(starts)).dictionary_encode()
    if len(firsts.dictionary) != len(starts):  # a case comes back later: not grouped
        return _codes(values, named=named)
    lengths = np.diff(np.append(starts, len(array)))
    codes = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    return codes, _labels(firsts.dictionary) if named else _unnamed(len(starts))


def _fixed_width_keys(array: Any) -> tuple[NDArray[np.int32], int] | None:
    """Dense integer keys of text whose values all have one width and few distinct bytes at
    each position (zero-padded ids such as c0000123): equal keys, equal texts.

    The key reads the bytes that vary as digits of a mixed radix (a position holding only
    '0' to '9' counts 10), so for typical ids the keys span a few times the number of
    distinct ones and a direct table replaces Arrow's hash table: 1.3-2x faster at 1 M and
    10 M rows (a million ids no longer fit the caches as a hash table). None when the text
    is not of one width or the keys would span too much.
    """
    import pyarrow as pa

    n = len(array)
    if n < 50_000 or not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    buffers = array.buffers()
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets = np.frombuffer(
        buffers[1], dtype=offset_type, count=n + 1, offset=array.offset * offset_type(0).itemsize
    )
    width = int(offsets[1] - offsets[0])
    if not 0 < width <= 32 or int(offsets[-1] - offsets[0]) != width * n:
        return None
    if not (np.diff(offsets) == width).all():
        return None
    data = np.frombuffer(buffers[2], dtype=np.uint8, count=width * n, offset=int(offsets[0]))
    table = data.reshape(n, width)
    limit = min(max(4 * n, 1 << 17), 2**31 - 1)  # beyond: a hash table costs less
    # The range of each byte position, a block of rows at a time (each block stays in the
    # cache while its positions are scanned; a whole column at a time reads all rows again).
    lows, highs = [255] * width, [0] * width
    for start in range(0, n, _BLOCK):
        rows = table[start : start + _BLOCK]
        for position in range(width):
            column = rows[:, position]
            lows[position] = min(lows[position], int(column.min()))
            highs[position] = max(highs[position], int(column.max()))
        spans = [high - low + 1 for low, high in zip(lows, highs, strict=True)]
        span = math.prod(spans)
        if span > limit:  # ranges only grow: stop at the first block that shows it
            return None
    weights, weight = {}, 1
    for position in reversed(range(width)):  # the last byte varies fastest
        if spans[position] > 1:
            weights[position] = weight
            weight *= spans[position]
    # Sums wrap around in 32 bits; the final key is below `span`, so it comes out exact.
    start_value = np.int64(-sum(lows[p] * w for p, w in weights.items())).astype(np.int32)
    # Blocks of rows that stay in the cache while every position is added in: one pass
    # over memory instead of one per position (3x faster at 10 M rows).
    keys = np.empty(n, dtype=np.int32)
    digit = np.empty(_BLOCK, dtype=np.int32)
    for start in range(0, n, _BLOCK):
        rows = table[start : start + _BLOCK]
        block, part = keys[start : start + len(rows)], digit[: len(rows)]
        block.fill(start_value)
        for position, weight in weights.items():
            np.multiply(rows[:, position], weight, out=part, dtype=np.int32, casting="unsafe")
            block += part
    return keys, span


def _codes_of_keys(
    array: Any, keys: NDArray[np.int32], span: int, *, named: bool = True
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """`_codes` from dense keys: codes in order of each key's first row, labels read there."""
    import pyarrow as pa

    first = np.full(span, len(keys), dtype=np.int64)
    np.minimum.at(first, keys, np.arange(len(keys), dtype=np.int64))
    used = np.flatnonzero(first < len(keys))
    firsts = np.sort(first[used])  # the first row of each label, in order of appearance
    lookup = np.empty(span, dtype=np.int64)
    lookup[keys[firsts]] = np.arange(len(firsts), dtype=np.int64)
    labels = _labels(array.take(pa.array(firsts))) if named else _unnamed(len(firsts))
    return lookup[keys], labels


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
    case_codes, case_labels = _case_codes(table[case], named=cases_named)
    if activity is None or not activities:
        activity_codes, activity_labels = np.zeros(len(case_codes), np.int64), np.array([None])
        if activity is not None:
            valid &= ~np.asarray(table[activity].isna())
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


def _gathered(codes: NDArray[np.int64], size: int, order: NDArray[np.intp]) -> NDArray[np.int64]:
    """`codes[order]`, gathered on the narrowest type that holds codes below `size`: a random
    gather moves whole cache lines, so 1-2 bytes a code cost less than 8 (2.5x at 10 M)."""
    if size <= 1 << 15:
        narrow = codes.astype(np.int16 if size > 1 << 7 else np.int8)
        return narrow[order].astype(np.int64)
    return codes[order]


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
    case_codes, case_labels, activity_codes, activity_labels, time, utc = encoded(
        frame, case, activity, timestamp, cases_named=cases_named
    )
    counts = np.bincount(case_codes, minlength=len(case_labels))
    starts = np.zeros(len(case_labels) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    order = _stable_order(case_codes, time)
    if order is not None:
        # Sorted by case, case c's events are the block starts[c]:starts[c + 1].
        case_codes = _block_numbers(starts)
        activity_codes = _gathered(activity_codes, len(activity_labels), order)
        time = time[order]
    return EventLog(
        case=case_codes,
        activity=activity_codes,
        time=time,
        case_labels=case_labels,
        activity_labels=activity_labels,
        starts=starts,
        utc=utc,
    )

"""Columns of an event log as integer codes: text through Arrow's hash table, ids of one
width (c0000123) read as numbers through a direct table.

Private to `kizuna.analytics._event_log`. Pure: pandas, pyarrow and NumPy; no database, no
web. Codes are dense and in order of first appearance (-1 for missing) unless a function
says otherwise (`case_keys`: keys whose order means nothing, for results that show no case).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["case_codes", "case_keys", "codes", "codes_of_keys"]

_BLOCK = 1 << 17  # rows per block when building fixed-width keys
_FEW_ROWS = 50_000  # below this, Arrow's hash table costs less than reading ids as numbers
_SAMPLE_ROWS = 1024  # rows compared first to tell a log in time order from one grouped by case


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


def codes(
    values: pd.Series, *, named: bool = True, narrow: bool = False
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Codes in order of first appearance (-1 for missing) and the labels they stand for:
    int64, or with `narrow` the narrowest signed integers that hold them.

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
        dictionary = chunks[-1].dictionary
        width = _narrowest(len(dictionary)) if narrow else np.int64
        found = np.empty(sum(len(chunk) for chunk in chunks), dtype=width)
        done = 0
        for chunk in chunks:  # written in place: no int32 copies to join
            found[done : done + len(chunk)] = _indices(chunk)
            done += len(chunk)
        return found, _labels(dictionary) if named else _unnamed(len(dictionary))
    found, labels = pd.factorize(values, use_na_sentinel=True)
    width = _narrowest(len(labels)) if narrow else np.int64
    return found.astype(width, copy=False), np.asarray(labels, dtype=object)


def _narrowest(count: int) -> type[np.signedinteger[Any]]:
    """The narrowest signed integer type holding codes -1..count-1."""
    for width in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(width).max:
            return width
    return np.int64


def _indices(array: Any) -> NDArray[Any]:
    """A dictionary array's indices as integers (their own width), -1 where null."""
    indices = array.indices
    if indices.null_count:
        indices = indices.fill_null(-1)
    return indices.to_numpy(zero_copy_only=False)  # type: ignore[no-any-return]


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


def case_keys(values: pd.Series) -> tuple[NDArray[np.int32], int] | None:
    """Integer keys of the case column, equal keys for equal ids, all below the returned
    span, when the ids are text of one width (`_fixed_width_keys`); else None.

    Keys are not codes: their order is not the order of first appearance and some values
    below the span stand for no id. Cheaper than `case_codes` (no first appearance to find),
    for results that never show a case.
    """
    array = _arrow(values, combine=False)
    if array is None or array.null_count:
        return None
    return _fixed_width_keys(array)


def case_codes(values: pd.Series, *, named: bool = True) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """`codes` of the case column, cheaper when ids have one width or each case is one block.

    Logs grouped by case (as pm4py leaves them) change case at a few rows: only the first
    row of each block is hashed (none when those ids ascend, as pm4py sorts them: ascending
    ids are distinct), and when no case has two blocks the codes are the block numbers (the
    same codes, in order of first appearance, `codes` would give).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    array = _arrow(values, combine=False)
    if array is None or array.null_count or pa.types.is_dictionary(array.type):
        return codes(values, named=named)
    keys = _fixed_width_keys(array)
    if keys is not None:
        return codes_of_keys(array, *keys, named=named)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    starts = _run_starts(array)
    if starts is None:  # interleaved: hashing every row is cheaper
        return codes(values, named=named)
    firsts = array.take(starts)
    if (
        len(firsts) > 1
        and pc.all(pc.less(firsts.slice(0, len(firsts) - 1), firsts.slice(1))).as_py()
    ):
        # Ids in ascending order (pm4py's format_dataframe sorts them): all distinct.
        labels = _labels(firsts) if named else _unnamed(len(starts))
    else:
        firsts = firsts.dictionary_encode()
        if len(firsts.dictionary) != len(starts):  # a case comes back later: not grouped
            return codes(values, named=named)
        labels = _labels(firsts.dictionary) if named else _unnamed(len(starts))
    lengths = np.diff(np.append(starts, len(array)))
    return np.repeat(np.arange(len(starts), dtype=np.int64), lengths), labels


def _run_starts(array: Any) -> NDArray[np.int64] | None:
    """The first row of each run of equal values, when runs are longer than two rows on
    average (a log grouped by case); else None. A log in time order shows itself in its
    first rows, before the whole column is compared."""
    import pyarrow.compute as pc

    n = len(array)
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    if n > _SAMPLE_ROWS:
        head = pc.not_equal(array.slice(1, _SAMPLE_ROWS), array.slice(0, _SAMPLE_ROWS))
        if pc.sum(head).as_py() >= _SAMPLE_ROWS // 2:
            return None
    changed = pc.not_equal(array.slice(1), array.slice(0, n - 1))
    starts = pc.indices_nonzero(changed).to_numpy()
    if len(starts) >= n // 2:
        return None
    found = np.empty(len(starts) + 1, dtype=np.int64)
    found[0] = 0
    np.add(starts, 1, out=found[1:], casting="unsafe")
    return found


def _byte_tables(array: Any) -> list[NDArray[np.uint8]] | None:
    """Each chunk's text as a (rows, width) table of bytes, read in place, when every value
    of every chunk has the same width (at most 32 bytes); else None."""
    import pyarrow as pa

    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    tables: list[NDArray[np.uint8]] = []
    width = 0
    for chunk in array.chunks if isinstance(array, pa.ChunkedArray) else [array]:
        n = len(chunk)
        if n == 0:
            continue
        buffers = chunk.buffers()
        offsets = np.frombuffer(
            buffers[1],
            dtype=offset_type,
            count=n + 1,
            offset=chunk.offset * offset_type(0).itemsize,
        )
        width = width or int(offsets[1] - offsets[0])
        if not 0 < width <= 32 or int(offsets[-1] - offsets[0]) != width * n:
            return None
        if not (np.diff(offsets) == width).all():
            return None
        data = np.frombuffer(buffers[2], dtype=np.uint8, count=width * n, offset=int(offsets[0]))
        tables.append(data.reshape(n, width))
    return tables


def _fixed_width_keys(array: Any) -> tuple[NDArray[np.int32], int] | None:
    """Dense integer keys of text whose values all have one width and few distinct bytes at
    each position (zero-padded ids such as c0000123): equal keys, equal texts.

    The key reads the bytes that vary as digits of a mixed radix (a position holding only
    '0' to '9' counts 10), so for typical ids the keys span a few times the number of
    distinct ones and a direct table replaces Arrow's hash table: 1.3-2x faster at 1 M and
    10 M rows (a million ids no longer fit the caches as a hash table). Arrow's chunks are
    read where they lie. None when the text is not of one width or the keys would span
    too much.
    """
    n = len(array)
    if n < _FEW_ROWS:
        return None
    tables = _byte_tables(array)
    if not tables:
        return None
    width = tables[0].shape[1]
    limit = min(max(4 * n, 1 << 17), 2**31 - 1)  # beyond: a hash table costs less
    # The range of each byte position, a block of rows at a time (each block stays in the
    # cache while its positions are scanned; a whole column at a time reads all rows again).
    lows, highs = [255] * width, [0] * width
    for table in tables:
        for start in range(0, len(table), _BLOCK):
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
    done = 0
    for table in tables:
        for start in range(0, len(table), _BLOCK):
            rows = table[start : start + _BLOCK]
            block, part = keys[done : done + len(rows)], digit[: len(rows)]
            block.fill(start_value)
            for position, weight in weights.items():
                np.multiply(rows[:, position], weight, out=part, dtype=np.int32, casting="unsafe")
                block += part
            done += len(rows)
    return keys, span


def codes_of_keys(
    array: Any, keys: NDArray[np.int32], span: int, *, named: bool = True
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """`codes` from dense keys: codes in order of each key's first row, labels read there
    (`array`, the text, is read only when `named`)."""
    import pyarrow as pa

    n = len(keys)
    rows = np.int32 if n < 2**31 else np.int64  # half the bytes to move at random
    first: NDArray[np.signedinteger[Any]] = np.full(span, n, dtype=rows)
    numbers: NDArray[np.signedinteger[Any]] = np.empty(_BLOCK, dtype=rows)
    for start in range(0, n, _BLOCK):  # a block of row numbers at a time: no n of them
        block = keys[start : start + _BLOCK]
        found = numbers[: len(block)]
        found[:] = np.arange(start, start + len(block))
        np.minimum.at(first, block, found)
    # The first rows in order, without a sort: marked in a table of rows, then read back.
    marks = np.zeros(n, dtype=bool)
    marks[first[first < n]] = True
    firsts = np.flatnonzero(marks)
    lookup = np.empty(span, dtype=np.int64)
    lookup[keys[firsts]] = np.arange(len(firsts), dtype=np.int64)
    if not named:
        return lookup[keys], _unnamed(len(firsts))
    taken = array.take(pa.array(firsts))
    if isinstance(taken, pa.ChunkedArray):
        taken = taken.combine_chunks()
    return lookup[keys], _labels(taken)

"""Variants of an event log: cases grouped by their exact activity sequence, and the
sequences shown turned into tuples of names.

Private to `kizuna.analytics.journeys` (its `variants`). Pure NumPy and pandas over an
`SortedEvents`; no database, no web.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kizuna.analytics._event_log import SortedEvents

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["collapsed", "durations_ns", "sequences", "variant_of_case"]

_PRIME = np.uint64(0x100000001B3)  # the 64-bit FNV prime, a good odd multiplier
_HASH_BLOCK = 1 << 16  # events hashed at a time (their 64-bit terms fit the L2 cache)
_SMALL_LOG = 1 << 16  # below this many events, cases are grouped as rows of a table


def collapsed(log: SortedEvents) -> SortedEvents:
    """The events with each run of one activity in a case kept as its first event."""
    if log.cases == 0:
        return log
    repeat = np.zeros(len(log.activity), dtype=bool)
    np.equal(log.activity[1:], log.activity[:-1], out=repeat[1:])
    repeat[log.starts[:-1]] = False  # a case's first event repeats nothing
    keep = ~repeat
    starts = np.zeros(log.cases + 1, dtype=np.int64)
    np.cumsum(np.add.reduceat(keep, log.starts[:-1], dtype=np.int64), out=starts[1:])
    kept = np.flatnonzero(keep)
    order = kept if log.order is None else log.order[kept]
    return replace(log, activity=log.activity[kept], starts=starts, order=order)


def durations_ns(log: SortedEvents) -> NDArray[np.int64]:
    """Each case's duration (last event's time minus first's) in nanoseconds."""
    if log.cases == 0:
        return np.zeros(0, dtype=np.int64)
    return log.times_at(log.starts[1:] - 1) - log.times_at(log.starts[:-1])


def _case_hashes(log: SortedEvents, lengths: NDArray[np.int64]) -> NDArray[np.uint64]:
    """A 64-bit hash of each case's activity sequence (equal sequences, equal hashes).

    A polynomial over 64-bit integers, a block of whole cases at a time (a block's values
    stay in the cache, and no array of one value per event is made): the event at place i
    of its block weighs P**i, so no position within its case is needed; a case's sum, times
    P**(size - its place), is P**size times the polynomial of its own sequence, the same
    in every block.
    """
    starts = log.starts
    # Events a block holds: at least one case, at most the log.
    size = max(min(_HASH_BLOCK, len(log.activity)), int(lengths.max()))
    hashed = np.empty(log.cases, dtype=np.uint64)
    terms = np.empty(size, dtype=np.uint64)
    # Array arithmetic on unsigned integers wraps around silently: a product modulo 2**64.
    powers = np.full(size + 1, _PRIME, dtype=np.uint64)
    powers[0] = 1
    np.multiply.accumulate(powers, out=powers)
    first = 0
    while first < log.cases:
        # The cases from `first` whose events end within `size` of its start.
        last = int(np.searchsorted(starts, starts[first] + size, side="right")) - 1
        begin, end = int(starts[first]), int(starts[last])
        places = starts[first:last] - begin
        block = terms[: end - begin]
        np.multiply(
            powers[: end - begin],
            log.activity[begin:end],
            out=block,
            dtype=np.uint64,
            casting="unsafe",
        )
        found = hashed[first:last]
        np.add.reduceat(block, places, out=found)
        found *= powers[size - places]
        first = last
    hashed *= _PRIME
    hashed += lengths.astype(np.uint64)
    return hashed


def _events_of(starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> NDArray[np.int64]:
    """The indices of the events `starts[i]:starts[i] + lengths[i]`, one case after another."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    events = np.repeat(starts - offsets[:-1], lengths)
    events += np.arange(offsets[-1], dtype=np.int64)
    return events


def variant_of_case(log: SortedEvents) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each case's variant number, and for each variant the first case that follows it.

    Variants are numbered in order of their first case (by case code). Cases are grouped
    by the hash of their sequence (a hash table, in order of first case); then every event
    of a case that is not the first of its group is compared with the same position of
    that first case, so two sequences share a variant only when they are equal (a hash
    collision, never seen, falls back to comparing the sequences of each length row by row).
    Small logs instead read each case as one row of a table (`_case_rows`) and group equal
    rows exactly, in fewer calls than hashing blocks of events takes.
    """
    import pandas as pd

    if log.cases == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lengths = np.diff(log.starts)
    rows = _case_rows(log, lengths)
    if rows is not None:  # exact: equal rows, equal sequences
        group = _row_groups(rows, log.cases)
        return group, _firsts(group)
    group = pd.factorize(_case_hashes(log, lengths))[0].astype(np.int64, copy=False)
    first = _firsts(group)
    leader = first[group]  # the first case with the same hash
    others = np.flatnonzero(leader != np.arange(log.cases))
    if len(others) == 0:
        return group, first
    if (lengths[others] == lengths[leader[others]]).all():
        events = _events_of(log.starts[others], lengths[others])
        mirror = events + np.repeat(
            log.starts[leader[others]] - log.starts[others], lengths[others]
        )
        if (log.activity[events] == log.activity[mirror]).all():
            return group, first
    group, first = _variant_by_rows(log, lengths)
    # Number the variants by their first case, so the numbering follows the case codes.
    rank = np.empty(len(first), dtype=np.int64)
    order = np.argsort(first, kind="stable")
    rank[order] = np.arange(len(first))
    return rank[group], first[order]


def _firsts(group: NDArray[np.int64]) -> NDArray[np.int64]:
    """The first case of each group, groups numbered in order of their first case (a case
    starts a group when its number is new)."""
    seen = np.maximum.accumulate(group)
    new = np.empty(len(group), dtype=bool)
    new[0] = True
    np.greater(seen[1:], seen[:-1], out=new[1:])
    return np.flatnonzero(new)


def _case_rows(log: SortedEvents, lengths: NDArray[np.int64]) -> NDArray[np.int8] | None:
    """Each case's activity codes as one row of bytes, padded with -1 past its end (equal
    rows, equal sequences), rows one after another; None for a large log, more than 127
    activities, or rows much wider than the average case."""
    events = len(log.activity)
    if events >= _SMALL_LOG or len(log.activity_labels) > 127:
        return None
    width = int(lengths.max())
    if log.cases * width > 8 * events + 4096:  # one long case would make every row long
        return None
    # Event i of case c goes to byte c * width + (i - starts[c]) of the table.
    places = np.arange(events, dtype=np.int64)
    places += np.repeat(np.arange(0, log.cases * width, width) - log.starts[:-1], lengths)
    table = np.full(log.cases * width, -1, dtype=np.int8)
    table[places] = log.activity
    return table


def _row_groups(table: NDArray[np.int8], cases: int) -> NDArray[np.int64]:
    """Each row's group, rows of equal bytes alike, numbered in order of first row: Arrow's
    hash table over the rows as fixed-width binary values, read in place (exact, and fewer
    calls than a hash of NumPy words, a factorize and a check: 41 vs 63 us, 1,434 cases)."""
    import pyarrow as pa

    width = len(table) // cases
    rows = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), cases, [None, pa.py_buffer(table)]
    )
    indices = rows.dictionary_encode().indices.to_numpy()
    return indices.astype(np.int64)  # type: ignore[no-any-return]


def _variant_by_rows(
    log: SortedEvents, lengths: NDArray[np.int64]
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


def sequences(
    log: SortedEvents, cases: NDArray[np.int64], lengths: NDArray[np.int64]
) -> NDArray[Any]:
    """Each case's activity names as one tuple (an object array of them, in `cases` order).

    Only the variants shown become Python objects. Cases of one length are read as a
    (length, cases) table of names whose columns `zip` turns into tuples in C, one
    allocation each, rather than slicing a list per case.
    """
    if len(cases) <= 2000:  # few: one list of names, sliced per case, costs less
        offsets = np.zeros(len(cases) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        names = log.activity_labels[log.activity[_events_of(log.starts[cases], lengths)]].tolist()
        bounds = offsets.tolist()
        return np.fromiter(
            (tuple(names[b:e]) for b, e in pairwise(bounds)), dtype=object, count=len(cases)
        )
    found = np.empty(len(cases), dtype=object)
    # Hundreds of thousands of new tuples would set off the cyclic garbage collector again
    # and again (20-30% of this step); they hold only text, so it can wait until the end.
    enabled = gc.isenabled()
    gc.disable()
    try:
        _fill_sequences(found, log, cases, lengths)
    finally:
        if enabled:
            gc.enable()
    return found


def _fill_sequences(
    found: NDArray[Any], log: SortedEvents, cases: NDArray[np.int64], lengths: NDArray[np.int64]
) -> None:
    by_length = np.argsort(lengths, kind="stable")
    firsts = log.starts[cases[by_length]]
    sizes = np.bincount(lengths) if len(lengths) else np.zeros(0, dtype=np.int64)
    done = 0
    for length in np.flatnonzero(sizes).tolist():
        rows = by_length[done : done + sizes[length]]
        at = firsts[done : done + sizes[length]]
        # Read case by case (each case's events are adjacent: a window of the codes, read
        # without an index per event), then one list per position.
        codes = sliding_window_view(log.activity, length)[at].T
        names = log.activity_labels[codes].tolist()
        found[rows] = np.fromiter(zip(*names, strict=True), dtype=object, count=len(rows))
        done += len(rows)

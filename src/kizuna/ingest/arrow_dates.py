"""Whole columns of common date strings parsed at once (pyarrow and NumPy), in a zone.

The column form of `values.DateParser.at` for what files mostly hold: ISO 8601 and
2025/4/1 10:30 (year first, `-`, `/` or `.` between the parts, optional seconds, fraction
and zone). Anything else (2025年4月1日, 令和7年, full-width digits, day first, 25:00, a
wall-clock time that the zone skips) is left to the row path, which parses it or says why
not: for every string this module accepts, the row path gives the very same instant, so a
row's result never depends on which path took it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Days", "Instants", "ParsedDates", "parse_dates"]

# A subset of values._YMD (one or more spaces or "T" before the time, ":" in the time, a
# zone only after a time: Python's fromisoformat, tried first, reads "2025-04-01-05:00" as
# 05:00 local), ASCII digits only; RE2 syntax.
_PATTERN = (
    r"^(?P<y>[0-9]{4})[-/.](?P<mo>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})"
    r"(?:[ T]+(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{1,2})"
    r"(?::(?P<s>[0-9]{1,2})(?:\.(?P<f>[0-9]{1,6}))?)?"
    r"(?P<z>Z|[+-](?P<zh>[0-9]{2}):?(?P<zm>[0-9]{2}))?)?$"
)
_FIRST = np.datetime64("0001-01-01T00:00:00", "us")
_LAST = np.datetime64("9999-12-31T23:59:59.999999", "us")
_EPOCH = np.datetime64("1970-01-01T00:00:00", "us")
_US = {"h": 3_600_000_000, "mi": 60_000_000, "s": 1_000_000}
Ints = np.ndarray[Any, np.dtype[np.int64]]
Mask = np.ndarray[Any, np.dtype[np.bool_]]


class Instants(Sequence[dt.datetime]):
    """A column of UTC instants kept as NumPy datetime64[us]: Python datetimes (aware UTC)
    are made only for the rows someone reads, and SQLite's text comes from pyarrow."""

    def __init__(self, values: np.ndarray[Any, Any]) -> None:
        self.values = values.astype("datetime64[us]")

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> dt.datetime: ...
    @overload
    def __getitem__(self, index: slice) -> Instants: ...
    def __getitem__(self, index: int | slice) -> dt.datetime | Instants:
        if isinstance(index, slice):
            return Instants(self.values[index])
        moment: dt.datetime = self.values[index].item()
        return moment.replace(tzinfo=dt.UTC)

    def __setitem__(self, index: int, value: dt.datetime) -> None:
        naive = value.astimezone(dt.UTC).replace(tzinfo=None)
        self.values[index] = np.datetime64(naive, "us")

    def sqlite_texts(self) -> list[str]:
        """SQLAlchemy's SQLite DATETIME text (naive UTC, 6 fraction digits) for each row."""
        texts: list[str] = pa.array(self.values).cast(pa.string()).to_pylist()
        return texts


class Days(Sequence[dt.date]):
    """A column of calendar days kept as NumPy datetime64[D]."""

    def __init__(self, values: np.ndarray[Any, Any]) -> None:
        self.values = values.astype("datetime64[D]")

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> dt.date: ...
    @overload
    def __getitem__(self, index: slice) -> Days: ...
    def __getitem__(self, index: int | slice) -> dt.date | Days:
        if isinstance(index, slice):
            return Days(self.values[index])
        day: dt.date = self.values[index].item()
        return day

    def __setitem__(self, index: int, value: dt.date) -> None:
        self.values[index] = np.datetime64(value, "D")

    def sqlite_texts(self) -> list[str]:
        """ISO dates, as SQLAlchemy's SQLite DATE stores them."""
        texts: list[str] = pa.array(self.values).cast(pa.string()).to_pylist()
        return texts


@dataclass
class ParsedDates:
    """Instants (UTC) and the calendar day in the zone; `ok` is False where the row path
    must decide (their values here are placeholders)."""

    ok: Mask
    at: Instants
    on: Days


def parse_dates(column: pa.Array, zone: str) -> ParsedDates:
    """Parse a column of strings; wall-clock times without a zone are in `zone`."""
    found = pc.extract_regex(column, _PATTERN)
    ok = found.is_valid().to_numpy(zero_copy_only=False)
    part = {name: _ints(found.field(name), ok) for name in ("y", "mo", "d", "h", "mi", "s")}
    fraction = pc.utf8_rpad(pc.if_else(found.is_valid(), found.field("f"), ""), 6, "0")
    micro = _ints(fraction, ok)
    year, month, day = part["y"], part["mo"], part["d"]
    # Zone rules past 2037 are extrapolated by Python, not by pyarrow: the row path decides.
    ok &= (year >= 1900) & (year <= 2037) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= (part["h"] < 24) & (part["mi"] < 60) & (part["s"] < 60)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    ok &= day <= (months + 1).astype("datetime64[D]") - first  # 2025/2/30 is no date
    wall = first.astype("datetime64[us]") + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    for name, size in _US.items():
        wall = wall + (part[name] * size).astype("timedelta64[us]")
    wall = wall + micro.astype("timedelta64[us]")
    zoned = ok & pc.not_equal(pc.fill_null(found.field("z"), ""), "").to_numpy(zero_copy_only=False)
    offset = _offsets(found, ok)
    ok &= ~zoned | (np.abs(offset) < 24 * 60)
    utc, local, skipped = _in_zone(wall, zoned, offset, zone)
    ok &= ~skipped & (utc >= _FIRST) & (utc <= _LAST) & (local >= _FIRST) & (local <= _LAST)
    utc = np.where(ok, utc, _EPOCH)  # placeholders stay inside Python's datetime range
    local = np.where(ok, local, _EPOCH)
    return ParsedDates(ok, Instants(utc), Days(local))


def _ints(strings: pa.Array, ok: Mask) -> Ints:
    """Digits (or "") as integers; 0 where the string is empty or the row did not match."""
    usable = pc.and_(pc.is_valid(strings), pc.not_equal(strings, ""))
    digits = pc.if_else(pc.and_(usable, pa.array(ok)), strings, "0")
    found: Ints = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64)
    return found


def _offsets(found: pa.StructArray, ok: Mask) -> Ints:
    """The zone's offset in minutes east of UTC (0 for "Z" or no zone)."""
    zone = pc.fill_null(found.field("z"), "")
    hours = _ints(found.field("zh"), ok)
    minutes = _ints(found.field("zm"), ok)
    sign = np.where(pc.starts_with(zone, "-").to_numpy(zero_copy_only=False), -1, 1)
    too_many = minutes >= 60  # the row path reads +09:75 as 10:15; leave it to it
    return np.where(too_many, 24 * 60, sign * (hours * 60 + minutes)).astype(np.int64)


def _in_zone(
    wall: np.ndarray[Any, Any], zoned: Mask, offset: Ints, zone: str
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], Mask]:
    """UTC instants, local wall-clock times in `zone` (for the calendar day), and which
    wall-clock times the zone skips."""
    # Written with a zone: the instant is wall - offset; its day is the zone's.
    fixed = wall - (offset * 60_000_000).astype("timedelta64[us]")
    # Without: the wall clock is the zone's. fold=0 (the row path) is the earlier instant.
    naive = pa.array(wall, pa.timestamp("us"))
    placed = pc.assume_timezone(naive, timezone=zone, ambiguous="earliest", nonexistent="earliest")
    back = pc.local_timestamp(placed).cast(pa.timestamp("us"))
    # A time the zone skips (DST starts) comes back another: the row path decides.
    skipped = ~zoned & pc.not_equal(back, naive).to_numpy(zero_copy_only=False)
    floating = placed.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
    utc = np.where(zoned, fixed, floating.to_numpy(zero_copy_only=False))
    if zoned.any():
        there = pa.array(utc, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
        local_of_fixed = pc.local_timestamp(there.cast(pa.timestamp("us", tz=zone)))
        local = np.where(zoned, local_of_fixed.to_numpy(zero_copy_only=False), wall)
    else:
        local = wall
    return utc.astype("datetime64[us]"), local.astype("datetime64[us]"), skipped

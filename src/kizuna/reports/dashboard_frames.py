"""Dashboard rows read once per filter and kept in `dashboard_cache` as frames, then summed in
pandas by every widget: the segment's voices (`kizuna.reports.dashboard_segment`) and the
"full"-grain rollup rows that a filter on several dimensions at once matches.

A filter on several dimensions reads the "full" grain, which holds one row per day and
distinct combination of dimensions: many more rows than the one-dimension grains. Read per
widget, that is a dozen scans of them per page; here the matching rows of the whole window
(the period, the month and week before it, and the previous period of the same length) are
read once per rollup version, and each widget sums the frame. Must not write anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.metrics import shift_period, start_of_period
from kizuna.reports.dashboard_cache import cached, lookup, rollup_version, store
from kizuna.reports.models import DashboardDay, DashboardTopicDay
from kizuna.reports.rollup_counts import DAY_COUNTS, DIMENSIONS, FULL, TOPIC_COUNTS

if TYPE_CHECKING:
    import pandas as pd

    from kizuna.reports.dashboard import DashboardFilter

__all__ = ["covering", "full_sums", "narrowed_sums", "sum_frame", "window_of"]

Frames = tuple["pd.DataFrame", "pd.DataFrame"]


def window_of(chosen: DashboardFilter) -> tuple[dt.date, dt.date]:
    """The days every widget may read: the period, the month or week before it (for the
    first period's change) and the previous period of the same length (topics)."""
    month = shift_period(start_of_period(chosen.start, "month"), "month", -1)
    week = shift_period(start_of_period(chosen.start, "week"), "week", -1)
    return min(month, week, chosen.previous().start), chosen.end


def covering(
    key: tuple[Any, ...],
    chosen: DashboardFilter,
    first: dt.date | None,
    last: dt.date | None,
    load: Callable[[dt.date, dt.date], Frames],
) -> Frames:
    """The frames cached under `key` when they cover `first`..`last`; else `load` of the
    filter's window (widened to what the cache held and what is asked), stored."""
    window_first, window_last = window_of(chosen)
    first, last = first or window_first, last or window_last
    found = lookup(key)
    if found is not None and found[0] <= first and last <= found[1]:
        return found[2], found[3]
    first, last = min(first, window_first), max(last, window_last)
    if found is not None:
        first, last = min(first, found[0]), max(last, found[1])
    days, topics = load(first, last)
    store(key, (first, last, days, topics))
    return days, topics


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number a database driver would give."""
    return value.item() if hasattr(value, "item") else value


def _matching(frame: pd.DataFrame, chosen: DashboardFilter, keep: pd.Series) -> pd.Series:
    """`keep` narrowed to the rows holding every dimension value the filter names."""
    for name, value in chosen.dimensions().items():
        keep &= frame[name] == value
    return keep


def sum_frame(
    frame: pd.DataFrame,
    chosen: DashboardFilter,
    columns: dict[str, str],
    keys: tuple[str, ...],
    first: dt.date,
    last: dt.date,
) -> list[tuple[Any, ...]]:
    """What `kizuna.reports.dashboard.read_sums` gives, summed over a frame's rows."""
    names = list(columns.values())
    if frame.empty:
        return [] if keys else [tuple(0 for _ in names)]
    inside = frame[_matching(frame, chosen, (frame["day"] >= first) & (frame["day"] <= last))]
    if not keys:
        return [tuple(_plain(inside[n].sum()) for n in names)]
    if inside.empty:
        return []
    summed = inside.groupby(list(keys), sort=False)[names].sum().reset_index()
    values = [summed[name].tolist() for name in (*keys, *names)]
    return [tuple(row) for row in zip(*values, strict=True)]


def _narrow(frame: pd.DataFrame, chosen: DashboardFilter, keys: tuple[str, ...]) -> pd.DataFrame:
    if frame.empty:
        return frame
    keep = _matching(frame, chosen, frame["day"].notna())
    return frame[keep].groupby(list(keys), sort=False, as_index=False).sum(numeric_only=True)


def narrowed_sums(
    held: tuple[Any, ...],
    frame: pd.DataFrame,
    chosen: DashboardFilter,
    columns: dict[str, str],
    keys: tuple[str, ...],
    first: dt.date,
    last: dt.date,
) -> list[tuple[Any, ...]]:
    """`sum_frame` over the frame narrowed to the filter's dimensions and summed by day and
    `keys` once (cached under `held`, the frame's own cache key and window, and what is
    kept), so the page's dozen reads each sum a small frame."""
    from dataclasses import replace

    kept = ("day", *(k for k in keys if k != "day"))
    dims = tuple(sorted(chosen.dimensions().items()))
    narrow = cached(("narrow", *held, dims, kept), lambda: _narrow(frame, chosen, kept))
    cleared: dict[str, Any] = dict.fromkeys(chosen.dimensions())
    return sum_frame(narrow, replace(chosen, **cleared), columns, keys, first, last)


def _read(
    session: Session, workspace_id: int, chosen: DashboardFilter, first: dt.date, last: dt.date
) -> Frames:
    import pandas as pd

    frames = []
    for table, extra, counts in (
        (DashboardDay, (), DAY_COUNTS),
        (DashboardTopicDay, ("topic",), TOPIC_COUNTS),
    ):
        names = ("day", *DIMENSIONS, *extra, *counts)
        query = select(*(getattr(table, n) for n in names)).where(
            table.workspace_id == workspace_id,
            table.grain == FULL,
            table.day >= first,
            table.day <= last,
            *(getattr(table, n) == v for n, v in chosen.dimensions().items()),
        )
        frames.append(pd.DataFrame([tuple(r) for r in session.execute(query)], columns=names))
    return frames[0], frames[1]


def full_sums(
    session: Session,
    workspace_id: int,
    chosen: DashboardFilter,
    table: Any,
    columns: dict[str, str],
    keys: tuple[str, ...],
    first: dt.date,
    last: dt.date,
) -> list[tuple[Any, ...]]:
    """`read_sums` for a filter on several dimensions, from the cached "full" rows."""
    version = rollup_version(session, workspace_id)
    dims = tuple(sorted(chosen.dimensions().items()))
    key = ("full-rollups", workspace_id, dims, version)

    def load(a: dt.date, b: dt.date) -> Frames:
        return _read(session, workspace_id, chosen, a, b)

    days, topics = covering(key, chosen, first, last, load)
    frame = days if table is DashboardDay else topics
    held = lookup(key)
    window = (held[0], held[1]) if held is not None else (first, last)
    return narrowed_sums(
        (*key, window, table.__tablename__), frame, chosen, columns, keys, first, last
    )

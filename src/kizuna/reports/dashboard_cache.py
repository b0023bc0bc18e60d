"""A small in-process cache for the dashboard's widgets that read voices (drivers, notable
voices), keyed by the workspace, the filter and the rollups' version.

The version (`rollup_version`) changes whenever the rollups count a day again, that is when
voices or analyses change, so a cached answer is never older than the data it came from;
entries also expire after `TTL` seconds (customers' CLV, which the valuable voices depend
on, changes without a voice). Each web process keeps its own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.reports.models import DashboardState

__all__ = ["cached", "clear_cache", "lookup", "rollup_version", "store"]

T = TypeVar("T")
SIZE = 256
TTL = 300.0
_entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
_lock = threading.Lock()


def rollup_version(session: Session, workspace_id: int) -> tuple[Any, ...]:
    """What the rollups have read so far; changes when any day is counted again."""
    row = session.execute(
        select(
            DashboardState.feedback_mark, DashboardState.analysis_mark, DashboardState.built_at
        ).where(DashboardState.workspace_id == workspace_id)
    ).first()
    return tuple(row) if row is not None else ()


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """The value stored under `key` when fresh, else `compute()` stored under it."""
    now = time.monotonic()
    with _lock:
        found = _entries.get(key)
        if found is not None and now - found[0] < TTL:
            _entries.move_to_end(key)
            return found[1]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        _entries[key] = (now, value)
        _entries.move_to_end(key)
        while len(_entries) > SIZE:
            _entries.popitem(last=False)
    return value


def lookup(key: Hashable) -> Any:
    """The fresh value stored under `key`, else None."""
    with _lock:
        found = _entries.get(key)
        if found is not None and time.monotonic() - found[0] < TTL:
            _entries.move_to_end(key)
            return found[1]
    return None


def store(key: Hashable, value: Any) -> None:
    """Keep `value` under `key` (replacing what was there)."""
    with _lock:
        _entries[key] = (time.monotonic(), value)
        _entries.move_to_end(key)
        while len(_entries) > SIZE:
            _entries.popitem(last=False)


def clear_cache() -> None:
    with _lock:
        _entries.clear()

"""One step of a large computation run on a second thread while the caller does another.

NumPy, pandas' sorts and Arrow's compute functions release the GIL in their loops, so two
such steps on two cores take the time of the longer one. Private to the journeys analytics
(`_event_log`, `journeys`); only worth a thread on large inputs (a thread costs about
0.1 ms), so the caller says when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

__all__ = ["alongside"]

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def alongside(
    threaded: bool, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> Iterator[Callable[[], T]]:
    """Run `function(*args, **kwargs)` on another thread while the block runs (when
    `threaded`; else in this thread, when its result is asked for). The block gets a
    callable that waits for the result (an error in the function is raised there)."""
    if not threaded:
        yield lambda: function(*args, **kwargs)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizuna-journeys") as pool:
        pending = pool.submit(function, *args, **kwargs)
        yield pending.result

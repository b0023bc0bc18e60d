"""The answer writer: group commit of respondents' submissions, one thread per process.

Answering pages are public and bursty (an e-mail to ten thousand customers, a QR code at a
busy counter). Each request hands its work to this writer and waits for the commit that
holds it: the writer takes whatever work is waiting (up to `max_batch`), runs it in one
transaction through one `AnswerBatch` (so the batch's voices are written in one pass) and
commits once. A request is answered only after its commit, so every acknowledged answer is
stored; a crash loses only answers nobody was told were saved.

Why one writer: SQLite takes one writer at a time, and writers that queue on its lock sleep
in growing steps (up to 100 ms) where this queue hands over at once; on PostgreSQL the
commit is the cost that grouping shares. A work item that fails its checks raises before
writing anything and fails alone; if the transaction itself fails, each item of the group
is run again in its own transaction, so one bad item never costs the others.

The thread starts on first use and ends after `idle_seconds` without work.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from kizuna.app import Kizuna
from kizuna.errors import KizunaError
from kizuna.surveys.answering import AnswerBatch, Submission

__all__ = ["AnswerWriter", "writer_for"]

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[AnswerBatch], Any]


@dataclass
class _Item:
    work: Work
    future: Future[Any] | None = None  # a thread waits on it (`run`)
    hint: Submission | None = None
    waiter: asyncio.Future[Any] | None = None  # or a coroutine on its event loop (`run_async`)


class AnswerWriter:
    """Runs work items against the database in groups (see the module docstring)."""

    def __init__(self, kz: Kizuna, *, max_batch: int = 256, idle_seconds: float = 60.0) -> None:
        self.kz = kz
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.items = 0

    def submit(self, work: Work, hint: Submission | None = None) -> Future[Any]:
        """Queue `work(batch)`; the future holds its result once committed (or its error).
        `hint`: the submission the work will make, so the group reads its responses at once."""
        future: Future[Any] = Future()
        self._put(_Item(work, future, hint))
        return future

    def run(self, work: Callable[[AnswerBatch], T], timeout: float = 60.0) -> T:
        """Run `work` in the next group and wait for its commit."""
        result: T = self.submit(work).result(timeout)
        return result

    async def run_async(
        self, work: Callable[[AnswerBatch], T], hint: Submission | None = None
    ) -> T:
        """Like `run`, without holding the event loop while the group commits. The group's
        results reach each event loop in one call, not one wake-up per request."""
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._put(_Item(work, None, hint, waiter))
        return await waiter

    def _put(self, item: _Item) -> None:
        self._queue.put(item)
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="kizuna-answer-writer", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            items = [first]
            while len(items) < self.max_batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._process(items)

    def _process(self, items: list[_Item]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.kz.session() as session:
                batch = AnswerBatch(self.kz.settings, session)
                batch.prefetch(item.hint for item in items if item.hint is not None)
                for item in items:
                    try:
                        outcomes.append((True, item.work(batch)))
                    except KizunaError as exc:  # checks fail before anything is written
                        outcomes.append((False, exc))
                batch.close()
        except Exception:
            if len(items) == 1:
                self._fail(items[0])
                return
            log.warning("answer group of %d failed; running each alone", len(items))
            for item in items:
                self._process([item])
            return
        self.batches += 1
        self.items += len(items)
        _settle(items, outcomes)

    def _fail(self, item: _Item) -> None:
        try:
            with self.kz.session() as session:
                batch = AnswerBatch(self.kz.settings, session)
                value = item.work(batch)
                batch.close()
        except BaseException as exc:
            _settle([item], [(False, exc)])
            return
        _settle([item], [(True, value)])


def _settle(items: list[_Item], outcomes: list[tuple[bool, Any]]) -> None:
    """Hand each item its result (or error): futures at once, coroutines' waiters in one
    call per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for item, (ok, value) in zip(items, outcomes, strict=True):
        if item.waiter is not None:
            by_loop.setdefault(item.waiter.get_loop(), []).append((item.waiter, ok, value))
        elif item.future is not None and item.future.set_running_or_notify_cancel():
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, settled)
        except RuntimeError:  # the loop has closed: nobody waits for these any more
            log.info("answer group finished after its event loop closed")


def _resolve(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for waiter, ok, value in settled:
        if waiter.done():  # cancelled: the client went away (its answer is stored)
            continue
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)


_writers: weakref.WeakKeyDictionary[Kizuna, AnswerWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def writer_for(kz: Kizuna) -> AnswerWriter:
    """The one writer of this application object (made on first use)."""
    with _writers_lock:
        found = _writers.get(kz)
        if found is None:
            found = _writers[kz] = AnswerWriter(kz)
        return found

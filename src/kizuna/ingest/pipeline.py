"""Batches written on one background thread while the caller converts the next one.

Converting rows is Python work; writing them is mostly the database's own work, during
which the driver releases the GIL. Overlapping the two uses the second core. Order and
atomicity stay simple: at most one batch is in flight, each batch is one transaction,
and the next batch is handed over only after the previous one committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from kizuna.app import Kizuna
from kizuna.ingest.fields import Prepared
from kizuna.ingest.writer import Counts, Rejection, Scope, Written, write_batch

__all__ = ["BatchWriter"]

Entries = list[Prepared | Rejection]
OnWritten = Callable[[Entries, Written, int], None]


class BatchWriter:
    """Writes batches in order, one transaction each; `committed` counts what is saved."""

    def __init__(
        self,
        kz: Kizuna,
        scope: Scope,
        *,
        sources: Sequence[str],
        want_ids: bool,
        on_written: OnWritten,
    ) -> None:
        self.kz = kz
        self.scope = scope
        self.sources = list(sources)
        self.want_ids = want_ids
        self.on_written = on_written
        self.committed = Counts()
        self.failed_lines: tuple[int, int] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizuna-import")
        self._pending: tuple[Future[Written], Entries, int] | None = None

    def submit(self, batch: Entries, position: int) -> None:
        """Hand a batch over; waits for the one before it (so counts and order hold)."""
        self.wait()
        future = self._pool.submit(self._write, batch)
        self._pending = (future, batch, position)

    def wait(self) -> None:
        """Wait for the batch in flight; its error, if any, is raised here."""
        if self._pending is None:
            return
        future, batch, position = self._pending
        self._pending = None
        try:
            written = future.result()
        except BaseException:
            self.failed_lines = (_line(batch[0]), _line(batch[-1]))
            raise
        self.committed.add(written.counts)
        self.on_written(batch, written, position)

    def close(self) -> None:
        """Wait for the last batch, keeping the first error; always stops the thread."""
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)

    def abandon(self) -> None:
        """After an error elsewhere: let the batch in flight finish (commit or roll back)."""
        try:
            self.wait()
        except BaseException:  # the first error is the one the caller reports
            pass
        finally:
            self._pool.shutdown(wait=True)

    def _write(self, batch: Entries) -> Written:
        with self.kz.engine.begin() as conn:
            return write_batch(
                conn,
                self.scope,
                batch,
                self.committed,
                sources=self.sources,
                want_ids=self.want_ids,
            )


def _line(entry: Prepared | Rejection) -> int:
    return entry.line

"""Batches written on one background thread while the caller converts the next one.

Converting rows is Python work; writing them is mostly the database's own work, during
which the driver releases the GIL. Overlapping the two uses the second core. Order and
atomicity stay simple: at most one batch is in flight, each batch is one transaction,
and the next batch is handed over only after the previous one committed. The writer keeps
one connection for the run; on SQLite it has a larger page cache and checkpoints less
often meanwhile (both restored at the end).

A batch read from a file also says where the file goes on after it (`Batch.after`); the
writer records that on the import run in the batch's own transaction, so an interrupted
run's position never claims a row that was not saved (`kizuna.ingest.resume`).

The two threads still hand the GIL to each other a few times per batch (the writer's own
Python: key lookup, tuples, binding). Each hand-over waits for the interpreter's switch
interval, 5 ms by default. A shorter interval helps (about 10% more rows per second), but
it is process-wide state, so library code leaves it alone: only `kizuna import`, a process
of its own, shortens it (`kizuna.ingest.cli`), never the web server or a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Connection, update

from kizuna.app import Kizuna
from kizuna.ingest.block import Block, Rejection
from kizuna.ingest.models import ImportRun
from kizuna.ingest.readers import Start
from kizuna.ingest.writer import Counts, Scope, Written, write_batch

__all__ = ["Batch", "BatchWriter"]

# While importing into SQLite: a 64 MiB page cache (the default is 2 MiB) keeps the indexes
# of a growing table in memory (measured: about 15% less SQLite CPU per row at 300,000),
# and a checkpoint every 10,000 WAL pages (not 1,000, about one batch) copies the index
# pages every batch rewrites into the database file once per ten batches, not every time.
_IMPORT_PRAGMAS = {"cache_size": -65_536, "wal_autocheckpoint": 10_000}


@dataclass
class Batch:
    """What one transaction writes: the valid rows and the refused ones."""

    block: Block
    rejected: list[Rejection]
    after: Start | None = None  # where the source goes on after this batch

    def __len__(self) -> int:
        return len(self.block) + len(self.rejected)

    def lines(self) -> tuple[int, int]:
        """The first and last line of the batch."""
        lines = self.block.lines + [r.line for r in self.rejected]
        return min(lines), max(lines)


OnWritten = Callable[[Batch, Written, int], None]


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
        self._stopped = False
        self._pending: tuple[Future[Written], Batch, int] | None = None
        self._conn: Connection | None = None  # opened and used on the writer thread only
        self._pragmas: dict[str, int] = {}  # SQLite's settings before the run

    def submit(self, batch: Batch, position: int) -> None:
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
            self.failed_lines = batch.lines()
            raise
        self.committed.add(written.counts)
        self.on_written(batch, written, position)

    def close(self) -> None:
        """Wait for the last batch, keeping the first error; always stops the thread."""
        try:
            self.wait()
        finally:
            self._stop()

    def abandon(self) -> None:
        """After an error elsewhere: let the batch in flight finish (commit or roll back)."""
        try:
            self.wait()
        except BaseException:  # the first error is the one the caller reports
            pass
        finally:
            self._stop()

    def _stop(self) -> None:
        if self._stopped:  # close() then abandon() after an error: stop once
            return
        self._stopped = True
        try:
            self._pool.submit(self._release).result()
        finally:
            self._pool.shutdown(wait=True)

    def _connection(self) -> Connection:
        if self._conn is None:
            conn = self.kz.engine.connect()
            if conn.dialect.name == "sqlite":
                self._pragmas = {name: _pragma(conn, name) for name in _IMPORT_PRAGMAS}
                for name, value in _IMPORT_PRAGMAS.items():
                    conn.exec_driver_sql(f"PRAGMA {name} = {value}")
                conn.commit()
            self._conn = conn
        return self._conn

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if self._pragmas and not conn.invalidated:
                conn.rollback()
                for name, value in self._pragmas.items():
                    conn.exec_driver_sql(f"PRAGMA {name} = {value}")
                conn.commit()
        finally:
            conn.close()

    def _write(self, batch: Batch) -> Written:
        conn = self._connection()
        with conn.begin():
            written = write_batch(
                conn,
                self.scope,
                batch.block,
                batch.rejected,
                self.committed,
                sources=self.sources,
                want_ids=self.want_ids,
            )
            if batch.after is not None and self.scope.run_id is not None:
                conn.execute(
                    update(ImportRun)
                    .where(ImportRun.id == self.scope.run_id)
                    .values(
                        resume_rows=self.committed.read + written.counts.read,
                        resume_line=batch.after.line,
                        resume_offset=batch.after.offset,
                    )
                )
            return written


def _pragma(conn: Connection, name: str) -> int:
    return int(str(conn.exec_driver_sql(f"PRAGMA {name}").scalar()))

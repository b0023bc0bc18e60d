"""The worker: claims ready jobs, runs their handlers and records what happened.

Each job runs in three short steps so that no lock is held while a handler works: claim
(one transaction, committed), the handler (which opens its own sessions from `kz`), and
the outcome (one transaction, guarded by the worker's name so a worker whose lease ran
out cannot overwrite a job another worker has since taken). `kizuna worker` runs
`Worker.run` in a process; `EmbeddedWorker` runs it in a daemon thread of the web app.
Errors are stored as exception type and message only: no traceback, no payload.

While running, a worker also enqueues due recurring jobs (`kizuna.jobs.schedule`), and on
PostgreSQL it sleeps on LISTEN/NOTIFY instead of polling: `enqueue` notifies at commit,
so new work starts at once; the poll interval stays as a safety net.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, update

from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.jobs.claim import claim_job, release_job, requeue_stale
from kizuna.jobs.models import Job
from kizuna.jobs.queue import (
    PayloadMismatch,
    UnknownJobKind,
    effective_max_attempts,
    get_handler,
    notify_channel,
)
from kizuna.jobs.schedule import run_due_schedules, sync_feature_schedules

__all__ = ["EmbeddedWorker", "JobOutcome", "Worker", "finish_job", "retry_delay"]

log = logging.getLogger(__name__)

_ERROR_MAX_LENGTH = 2000
_NAME_MAX_LENGTH = 100
_STALE_CHECK_FRACTION = 0.25  # of the lease: a dead worker's job waits at most 1.25 leases
_SCHEDULE_CHECK_SECONDS = 15.0
# A job's end, built once with its values as parameters: recorded after every job, it is
# hot enough that building the statement and its cache key each time shows in the profile.
# Guarded by the worker's name: after a lease ran out the job may belong to another worker.
_DONE = (
    update(Job)
    .where(
        Job.id == bindparam("p_job"), Job.state == "running", Job.locked_by == bindparam("p_worker")
    )
    .values(state="done", finished_at=bindparam("p_now"), last_error=None)
)


@dataclass(frozen=True)
class JobOutcome:
    """What one run of a job came to: 'done', 'retry' (at `retry_at`) or 'dead'."""

    job_id: int
    kind: str
    outcome: Literal["done", "retry", "dead"]
    attempt: int
    max_attempts: int
    seconds: float
    error_type: str | None = None
    retry_at: dt.datetime | None = None


def retry_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...).

    Exponential backoff with "equal jitter": d = min(cap, base * 2**(attempt-1)), wait
    d/2 + U(0, d/2) (Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
    """
    ceiling = min(cap, base * 2.0 ** max(attempt - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def default_worker_name() -> str:
    """host:pid:random, unique per worker so outcomes can be fenced by name."""
    name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    return name[-_NAME_MAX_LENGTH:]


class Worker:
    """Runs jobs from the job table of `kz`'s database, one at a time.

    `kinds` limits the worker to those kinds (None: every kind; a job whose kind has no
    handler here is marked dead). `retry_base_seconds` / `retry_cap_seconds` shape the
    backoff; `lease` (default KIZUNA_JOB_LEASE_SECONDS) is how long a running job may go
    without its worker's heartbeat before any worker re-queues it: while a handler runs, a
    heartbeat thread renews the job's lease every third of it. `on_outcome` is called after
    every job (the CLI prints a line).
    """

    def __init__(
        self,
        kz: Kizuna,
        name: str | None = None,
        *,
        kinds: Collection[str] | None = None,
        retry_base_seconds: float = 10.0,
        retry_cap_seconds: float = 3600.0,
        lease: dt.timedelta | None = None,
        on_outcome: Callable[[JobOutcome], None] | None = None,
    ) -> None:
        self.kz = kz
        self.name = (name or default_worker_name())[:_NAME_MAX_LENGTH]
        self.kinds = frozenset(kinds) if kinds is not None else None
        self.retry_base_seconds = retry_base_seconds
        self.retry_cap_seconds = retry_cap_seconds
        self.lease = lease or dt.timedelta(seconds=kz.settings.job_lease_seconds)
        self.on_outcome = on_outcome
        self.processed = 0
        self._heartbeat = _Heartbeat(kz, self.name, self.lease / 3)

    def __repr__(self) -> str:
        return f"Worker(name={self.name!r}, processed={self.processed})"

    def requeue_stale(self) -> int:
        """Re-queue jobs whose worker's lease ran out; returns how many."""
        with self.kz.session() as session:
            found = requeue_stale(
                session,
                lease=self.lease,
                default_max_attempts=self.kz.settings.job_max_attempts,
            )
        if found:
            log.warning("re-queued %d job(s) left running past their lease", found)
        return found

    def run_once(self) -> bool:
        """Claim one ready job, run it and record the outcome; False when none was ready."""
        with self.kz.session() as session:
            job = claim_job(session, self.name, kinds=self.kinds)
        if job is None:
            return False
        started = time.perf_counter()
        try:
            # The heartbeat covers finding the handler too: the first one may import modules
            # for seconds, and a lapsed lease would let another worker run the job as well.
            with self._heartbeat.running(job.id):
                spec = get_handler(job.kind)
                spec.run(self.kz, job, spec.parse(job))
        except (UnknownJobKind, PayloadMismatch) as exc:
            outcome = self._record_failure(job, exc, started, permanent=True)
        except Exception as exc:
            outcome = self._record_failure(job, exc, started, permanent=False)
        except BaseException:
            # Ctrl+C or exit mid-job: hand the job back now rather than after the lease.
            with self.kz.session() as session:
                release_job(session, job.id, self.name)
            raise
        else:
            outcome = self._record_done(job, started)
        self.processed += 1
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return True

    def run_schedules(self) -> int:
        """Enqueue the recurring jobs that are due; returns how many were enqueued."""
        if not self.kz.settings.run_schedules:
            return 0
        with self.kz.session() as session:
            return len(run_due_schedules(session))

    def run_burst(self, stop: threading.Event | None = None) -> int:
        """Run jobs until none is ready (or `stop` is set); returns how many ran."""
        self.requeue_stale()
        self.run_schedules()
        ran = 0
        while (stop is None or not stop.is_set()) and self.run_once():
            ran += 1
        return ran

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set, polling every settings.worker_poll_seconds when idle.

        Database errors (a restart, a dropped connection) are logged and retried after
        a poll interval, so an embedded worker never dies with its web process alive.
        """
        poll = self.kz.settings.worker_poll_seconds
        next_stale_check = next_schedule_check = 0.0
        try:
            if self.kz.settings.run_schedules:
                sync_feature_schedules(self.kz)
        except Exception as exc:
            log.error("worker %s: schedules not synced: %s", self.name, type(exc).__name__)
        with _Wakeup(self.kz, stop) as wakeup:
            while not stop.is_set():
                try:
                    if time.monotonic() >= next_stale_check:
                        self.requeue_stale()
                        check_every = self.lease.total_seconds() * _STALE_CHECK_FRACTION
                        next_stale_check = time.monotonic() + check_every
                    if time.monotonic() >= next_schedule_check:
                        self.run_schedules()
                        next_schedule_check = time.monotonic() + _SCHEDULE_CHECK_SECONDS
                    if self.run_once():
                        continue
                except Exception as exc:
                    log.error(
                        "worker %s: %s; retrying in %.1f s", self.name, type(exc).__name__, poll
                    )
                wakeup.wait(poll)

    def _record_done(self, job: Job, started: float) -> JobOutcome:
        if job.state != "done":  # else the handler finished it (`finish_job`)
            with self.kz.engine.begin() as conn:
                result = conn.execute(
                    _DONE, {"p_job": job.id, "p_worker": self.name, "p_now": utcnow()}
                )
            if not result.rowcount:
                self._warn_taken(job)
        return JobOutcome(
            job.id,
            job.kind,
            "done",
            job.attempts,
            self._max_attempts(job),
            time.perf_counter() - started,
        )

    def _record_failure(
        self, job: Job, exc: Exception, started: float, *, permanent: bool
    ) -> JobOutcome:
        now = utcnow()
        error = f"{type(exc).__name__}: {exc}"[:_ERROR_MAX_LENGTH]
        max_attempts = self._max_attempts(job)
        dead = permanent or job.attempts >= max_attempts
        retry_at = None
        if dead:
            values: dict[str, object] = {"state": "dead", "finished_at": now}
        else:
            delay = retry_delay(job.attempts, self.retry_base_seconds, self.retry_cap_seconds)
            retry_at = now + dt.timedelta(seconds=delay)
            values = {"state": "failed", "run_after": retry_at}
        self._record(job, {"last_error": error, **values})
        return JobOutcome(
            job.id,
            job.kind,
            "dead" if dead else "retry",
            job.attempts,
            max_attempts,
            time.perf_counter() - started,
            error_type=type(exc).__name__,
            retry_at=retry_at,
        )

    def _record(self, job: Job, values: dict[str, object]) -> None:
        # Guarded by our name: after a lease ran out the job may belong to another worker.
        # A Core statement on a connection: the ORM session adds nothing to one UPDATE.
        with self.kz.engine.begin() as conn:
            result = conn.execute(
                update(Job)
                .where(Job.id == job.id, Job.state == "running", Job.locked_by == self.name)
                .values(**values)
            )
        if not result.rowcount:
            self._warn_taken(job)

    def _warn_taken(self, job: Job) -> None:
        log.warning("job %s #%d was re-queued before %s finished it", job.kind, job.id, self.name)

    def _max_attempts(self, job: Job) -> int:
        return effective_max_attempts(job, self.kz.settings.job_max_attempts)


def finish_job(conn: Connection, job: Job) -> bool:
    """Mark the running `job` done in the caller's transaction; True when it was still its
    worker's (False: its lease lapsed and another worker took it).

    For a handler's last transaction, so that what the job did and the job's end commit
    together: one commit fewer per job, and no window where the work is recorded but the job
    still runs. The worker then records nothing more for a job that returns normally.
    """
    finished = conn.execute(
        _DONE, {"p_job": job.id, "p_worker": job.locked_by, "p_now": utcnow()}
    ).rowcount
    if finished:
        job.state = "done"
    return bool(finished)


class _Heartbeat:
    """While a handler runs, renew its job's lease every `every` (one daemon thread per worker).

    The thread outlives a job, so a job costs no thread start: it renews whichever job its
    worker runs at each beat, the first within `every` of the job's start, and ends after a
    few idle beats (the next job starts it again). The renewal is guarded by the worker's name
    like every outcome, so a worker whose job was taken over (its lease had lapsed after all)
    renews nothing of someone else's job.
    """

    _IDLE_BEATS = 3

    def __init__(self, kz: Kizuna, worker: str, every: dt.timedelta) -> None:
        self.kz = kz
        self.worker = worker
        self.every = every.total_seconds()
        self._job_id: int | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @contextmanager
    def running(self, job_id: int) -> Iterator[None]:
        """Renew `job_id`'s lease for the duration of the block."""
        with self._lock:
            self._job_id = job_id
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._beat, name="kizuna-heartbeat", daemon=True
                )
                self._thread.start()
        try:
            yield
        finally:
            self._job_id = None

    def _beat(self) -> None:
        idle = 0
        while True:
            time.sleep(self.every)
            with self._lock:
                job_id = self._job_id
                if job_id is None:
                    idle += 1
                    if idle >= self._IDLE_BEATS:
                        self._thread = None
                        return
                    continue
            idle = 0
            try:
                with self.kz.engine.begin() as conn:
                    conn.execute(
                        update(Job)
                        .where(
                            Job.id == job_id, Job.state == "running", Job.locked_by == self.worker
                        )
                        .values(locked_at=utcnow())
                    )
            except Exception as exc:  # a blip: the next beat tries again
                log.warning("heartbeat of job #%d failed: %s", job_id, type(exc).__name__)


class _Wakeup:
    """Waits between polls: on PostgreSQL until a NOTIFY from `enqueue`, else a plain sleep.

    The listening connection is the engine's own (autocommit while held); if LISTEN fails
    the worker simply polls.
    """

    def __init__(self, kz: Kizuna, stop: threading.Event) -> None:
        self.kz = kz
        self.stop = stop
        self._raw: Any = None
        self._conn: Any = None

    def __enter__(self) -> _Wakeup:
        if self.kz.engine.dialect.name == "postgresql":
            try:
                self._raw = self.kz.engine.raw_connection()
                self._conn = self._raw.driver_connection
                self._conn.autocommit = True
                self._conn.execute(f"LISTEN {notify_channel()}")
            except Exception as exc:
                log.warning("LISTEN failed (%s); polling instead", type(exc).__name__)
                self._close()
        return self

    def wait(self, seconds: float) -> None:
        if self._conn is None:
            self.stop.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        try:
            # Short slices, so a stop request is seen within a second.
            while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
                if any(True for _ in self._conn.notifies(timeout=min(left, 1.0), stop_after=1)):
                    return
        except Exception as exc:
            log.warning("LISTEN connection lost (%s); polling instead", type(exc).__name__)
            self._close()

    def _close(self) -> None:
        raw, self._raw, self._conn = self._raw, None, None
        if raw is None:
            return
        try:
            raw.driver_connection.execute("UNLISTEN *")
            raw.driver_connection.autocommit = False
            raw.close()
        except Exception:
            raw.invalidate()

    def __exit__(self, *exc: object) -> None:
        self._close()


class EmbeddedWorker:
    """A `Worker` in a daemon thread of the web process (settings.embedded_worker).

    `worker` defaults to `Worker(kz)`; pass one to choose its name, kinds or backoff.
    """

    def __init__(self, kz: Kizuna, worker: Worker | None = None) -> None:
        self.worker = worker if worker is not None else Worker(kz)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"EmbeddedWorker({self.worker.name!r}, running={self.is_running})"

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once; starting a running worker does nothing)."""
        if self.is_running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.worker.run, args=(self._stop,), name="kizuna-worker", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the thread to stop after its current job; True when it ended within `timeout`."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

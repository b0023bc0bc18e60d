"""The worker: done, retries with backoff, dead jobs, stale leases, the embedded thread."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from jobs_handlers_fixture import (
    COUNT_KIND,
    FAIL_KIND,
    INTERRUPT_KIND,
    OVERTAKEN_KIND,
    PAYLOADS,
    TEST_KINDS,
    UNKNOWN_KIND,
)
from sqlalchemy import func, select, update

from kizuna import Kizuna
from kizuna.accounts.models import AuditEvent
from kizuna.jobs.claim import claim_job
from kizuna.jobs.models import Job
from kizuna.jobs.queue import enqueue
from kizuna.jobs.worker import EmbeddedWorker, JobOutcome, Worker, retry_delay


def add_job(kz: Kizuna, kind: str, workspace_id: int | None = None, **options: int) -> int:
    with kz.session() as session:
        payload = PAYLOADS[kind](customer="山田 花子")
        return enqueue(session, payload, workspace_id=workspace_id, **options).id


def load(kz: Kizuna, job_id: int) -> Job:
    with kz.session() as session:
        return session.get_one(Job, job_id)


def runs_of(kz: Kizuna, workspace_id: int, job_id: int) -> int:
    """How many times the count handler ran for this job (SQLite reuses deleted ids)."""
    with kz.session() as session:
        runs = select(func.count()).where(
            AuditEvent.workspace_id == workspace_id, AuditEvent.actor == f"job:{job_id}"
        )
        return session.scalar(runs) or 0


def make_time_pass(kz: Kizuna, job_id: int) -> None:
    """The retry time has come (instead of sleeping through the backoff)."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with kz.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(run_after=past))


def test_job_runs_once_and_is_done(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    job_id = add_job(kz, COUNT_KIND, ws.workspace.id)
    outcomes: list[JobOutcome] = []
    worker = Worker(kz, "w-done", kinds=TEST_KINDS, on_outcome=outcomes.append)
    assert worker.run_once() is True
    assert worker.run_once() is False
    job = load(kz, job_id)
    assert (job.state, job.attempts, job.locked_by, job.last_error) == ("done", 1, "w-done", None)
    assert job.finished_at is not None
    assert runs_of(kz, ws.workspace.id, job_id) == 1
    assert [(o.job_id, o.outcome) for o in outcomes] == [(job_id, "done")]


def test_failing_job_backs_off_then_dies(kz: Kizuna) -> None:
    job_id = add_job(kz, FAIL_KIND, max_attempts=3)
    worker = Worker(kz, kinds=TEST_KINDS, retry_base_seconds=30, retry_cap_seconds=3600)
    delays = []
    for attempt in (1, 2):
        before = dt.datetime.now(dt.UTC)
        assert worker.run_once() is True
        job = load(kz, job_id)
        assert (job.state, job.attempts) == ("failed", attempt)
        assert job.last_error == f"ValueError: cannot reach the mail server (attempt {attempt})"
        delays.append((job.run_after - before).total_seconds())
        assert worker.run_once() is False, "a job waiting for its retry time must not run"
        make_time_pass(kz, job_id)
    # equal jitter: attempt 1 waits 15-30 s, attempt 2 waits 30-60 s
    assert 15 <= delays[0] <= 31 and 30 <= delays[1] <= 61
    assert worker.run_once() is True
    job = load(kz, job_id)
    assert (job.state, job.attempts, job.finished_at is not None) == ("dead", 3, True)
    assert job.last_error is not None and job.last_error.startswith("ValueError")
    assert worker.run_once() is False


def test_attempts_default_to_the_setting(kz: Kizuna) -> None:
    strict = Kizuna(kz.settings.model_copy(update={"job_max_attempts": 2}), engine=kz.engine)
    job_id = add_job(kz, FAIL_KIND)
    worker = Worker(strict, kinds=TEST_KINDS)
    worker.run_once()
    make_time_pass(kz, job_id)
    outcomes: list[JobOutcome] = []
    worker.on_outcome = outcomes.append
    worker.run_once()
    assert load(kz, job_id).state == "dead"
    assert (outcomes[0].attempt, outcomes[0].max_attempts, outcomes[0].outcome) == (2, 2, "dead")


def test_retry_delay_grows_and_stops_at_the_cap() -> None:
    for attempt in range(1, 12):
        ceiling = min(300.0, 10.0 * 2 ** (attempt - 1))
        assert ceiling / 2 <= retry_delay(attempt, 10.0, 300.0) <= ceiling


def test_unknown_kind_goes_dead_at_once(kz: Kizuna) -> None:
    job_id = add_job(kz, UNKNOWN_KIND, max_attempts=5)
    assert Worker(kz, kinds=TEST_KINDS).run_once() is True
    job = load(kz, job_id)
    assert (job.state, job.attempts) == ("dead", 1)
    assert job.last_error is not None
    assert "No handler is registered for job kind" in job.last_error


def test_stale_running_job_is_requeued(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    lost = add_job(kz, COUNT_KIND, ws.workspace.id)
    hopeless = add_job(kz, COUNT_KIND, ws.workspace.id, max_attempts=1)
    busy = add_job(kz, COUNT_KIND, ws.workspace.id)
    for _ in range(3):
        with kz.session() as session:
            assert claim_job(session, "crashed-worker", kinds=TEST_KINDS) is not None
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    with kz.session() as session:
        session.execute(update(Job).where(Job.id.in_([lost, hopeless])).values(locked_at=long_ago))

    worker = Worker(kz, kinds=TEST_KINDS, lease=dt.timedelta(minutes=10))
    assert worker.requeue_stale() == 2
    assert load(kz, busy).state == "running", "a job inside its lease belongs to its worker"
    dead = load(kz, hopeless)
    assert dead.state == "dead"
    assert dead.last_error is not None and dead.last_error.startswith("LeaseExpired")
    assert load(kz, lost).state == "queued"
    assert worker.run_once() is True
    job = load(kz, lost)
    assert (job.state, job.attempts) == ("done", 2)
    assert runs_of(kz, ws.workspace.id, lost) == 1


def test_worker_past_its_lease_leaves_the_new_owners_job_alone(kz: Kizuna) -> None:
    job_id = add_job(kz, OVERTAKEN_KIND)
    assert Worker(kz, "slow-worker", kinds=TEST_KINDS).run_once() is True
    job = load(kz, job_id)
    assert (job.state, job.locked_by, job.finished_at) == ("running", "other-worker", None)


def test_interrupted_job_goes_back_to_the_queue(kz: Kizuna) -> None:
    job_id = add_job(kz, INTERRUPT_KIND)
    with pytest.raises(KeyboardInterrupt):
        Worker(kz, kinds=TEST_KINDS).run_once()
    job = load(kz, job_id)
    assert (job.state, job.attempts) == ("queued", 0)


def test_embedded_worker_runs_jobs_and_stops(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    quick = Kizuna(kz.settings.model_copy(update={"worker_poll_seconds": 0.05}), engine=kz.engine)
    embedded = EmbeddedWorker(quick, Worker(quick, "embedded", kinds=TEST_KINDS))
    embedded.start()
    try:
        assert embedded.is_running
        job_id = add_job(kz, COUNT_KIND, ws.workspace.id)
        deadline = time.monotonic() + 10
        while load(kz, job_id).state != "done" and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        assert embedded.stop(timeout=5) is True
    assert not embedded.is_running
    assert load(kz, job_id).state == "done"
    assert runs_of(kz, ws.workspace.id, job_id) == 1


def test_a_long_job_keeps_its_lease_while_a_dead_workers_job_is_taken_over(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    """A heartbeat renews the lease of a running job; a silent worker's job is re-queued
    within a lease, so work recovers within a minute by default (KIZUNA_JOB_LEASE_SECONDS)."""
    import threading

    from jobs_handlers_fixture import Count

    # Generous margins: the heartbeat (every lease/3) may be late on a busy machine, never
    # by a whole lease.
    lease = dt.timedelta(seconds=4)
    wid = ws.workspace.id
    with kz.session() as session:
        long_id = enqueue(session, Count(sleep=7.0), workspace_id=wid, priority=5).id
    busy = Worker(kz, "w-long", kinds=TEST_KINDS, lease=lease)
    runner = threading.Thread(target=busy.run_once)
    runner.start()
    time.sleep(5.5)  # past the lease: only the heartbeat keeps the job its worker's
    assert Worker(kz, "w-sweeper", kinds=TEST_KINDS, lease=lease).requeue_stale() == 0
    runner.join(timeout=30)
    assert load(kz, long_id).state == "done" and runs_of(kz, wid, long_id) == 1

    dead_id = add_job(kz, COUNT_KIND, wid)
    with kz.session() as session:  # claimed by a worker that then died: no heartbeat
        claimed = claim_job(session, "w-died", kinds=TEST_KINDS)
    assert claimed is not None and claimed.id == dead_id
    time.sleep(4.5)
    rescuer = Worker(kz, "w-rescue", kinds=TEST_KINDS, lease=lease)
    assert rescuer.requeue_stale() >= 1  # other tests' leftovers may be stale too
    assert load(kz, dead_id).state == "queued"
    assert rescuer.run_once()
    stored = load(kz, dead_id)
    assert (stored.state, stored.locked_by, runs_of(kz, wid, dead_id)) == ("done", "w-rescue", 1)

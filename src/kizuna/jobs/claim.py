"""Taking a ready job so that no two workers take the same one, and freeing lost ones.

PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED` picks a row no other worker holds, and the
same transaction marks it running. SQLite serialises writers, so one
`UPDATE ... WHERE id = (SELECT ... LIMIT 1) AND state IN (...) RETURNING` is atomic; SQLite
older than 3.35 (no RETURNING) takes a guarded compare-and-set instead. A job whose worker
died stays 'running' until its lease ends; `requeue_stale` then gives it back to the queue.
Nothing here runs a handler (that is `kizuna.jobs.worker`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection

from sqlalchemy import ColumnElement, String, and_, case, func, literal, select, true, update
from sqlalchemy.orm import Session

from kizuna.db.base import utcnow
from kizuna.jobs.models import Job
from kizuna.jobs.queue import USE_SETTING

__all__ = ["READY_STATES", "claim_job", "release_job", "requeue_stale", "sqlite_has_returning"]

# 'failed' is a job whose last attempt failed and that waits for its retry time.
READY_STATES = ("queued", "failed")


def sqlite_has_returning() -> bool:
    """Whether the linked SQLite understands UPDATE ... RETURNING (3.35 or newer)."""
    return sqlite3.sqlite_version_info >= (3, 35, 0)


def claim_job(
    session: Session,
    worker_name: str,
    *,
    kinds: Collection[str] | None = None,
    now: dt.datetime | None = None,
) -> Job | None:
    """Mark one ready job running for `worker_name` and return it; None when none is ready.

    Call it as the first statement of a fresh transaction and commit right after: on
    SQLite an earlier read would turn the claim's write into a lock upgrade that can fail.
    """
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        return _claim_locking(session, worker_name, kinds, now)
    if sqlite_has_returning():
        return _claim_returning(session, worker_name, kinds, now)
    return _claim_compare_and_set(session, worker_name, kinds, now)


def release_job(session: Session, job_id: int, worker_name: str) -> bool:
    """Give a claimed job back untouched (the worker is stopping mid-job); True if it was ours."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running", Job.locked_by == worker_name)
        .values(state="queued", attempts=Job.attempts - 1, run_after=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def requeue_stale(
    session: Session,
    *,
    lease: dt.timedelta = dt.timedelta(minutes=10),
    default_max_attempts: int = 5,
    now: dt.datetime | None = None,
) -> int:
    """Put back jobs left 'running' longer than `lease`; returns how many were found.

    The lost run counts as an attempt, so a job that kills its worker every time ends
    'dead' instead of taking workers down forever. Each UPDATE re-checks its condition
    atomically, so two workers sweeping at once never re-queue a job a third has since
    claimed again.
    """
    now = now or utcnow()
    stale = and_(Job.state == "running", Job.locked_at < now - lease)
    limit = case((Job.max_attempts > USE_SETTING, Job.max_attempts), else_=default_max_attempts)
    error = (
        literal("LeaseExpired: worker ", String)
        + func.coalesce(Job.locked_by, "?")
        + literal(f" did not finish within {lease.total_seconds():.0f} s (it probably stopped)")
    )
    found = 0
    for condition, values in (
        (Job.attempts >= limit, {"state": "dead", "finished_at": now}),
        (true(), {"state": "queued", "run_after": now}),
    ):
        result = session.execute(
            update(Job)
            .where(stale, condition)
            .values(last_error=error, **values)
            .execution_options(synchronize_session=False)
        )
        found += int(getattr(result, "rowcount", 0))
    return found


def _ready(kinds: Collection[str] | None, now: dt.datetime) -> ColumnElement[bool]:
    condition = and_(Job.state.in_(READY_STATES), Job.run_after <= now)
    if kinds is not None:
        condition = and_(condition, Job.kind.in_(list(kinds)))
    return condition


def _claim_locking(
    session: Session, worker_name: str, kinds: Collection[str] | None, now: dt.datetime
) -> Job | None:
    job = session.scalars(
        select(Job)
        .where(_ready(kinds, now))
        .order_by(Job.priority.desc(), Job.run_after, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is None:
        return None
    job.state = "running"
    job.locked_by = worker_name
    job.locked_at = now
    job.attempts += 1
    session.flush()
    return job


def _claim_returning(
    session: Session, worker_name: str, kinds: Collection[str] | None, now: dt.datetime
) -> Job | None:
    next_id = (
        select(Job.id)
        .where(_ready(kinds, now))
        .order_by(Job.priority.desc(), Job.run_after, Job.id)
        .limit(1)
        .scalar_subquery()
    )
    return session.scalars(
        update(Job)
        .where(Job.id == next_id, Job.state.in_(READY_STATES))
        .values(state="running", locked_by=worker_name, locked_at=now, attempts=Job.attempts + 1)
        .returning(Job)
        .execution_options(synchronize_session=False)
    ).first()


def _claim_compare_and_set(
    session: Session, worker_name: str, kinds: Collection[str] | None, now: dt.datetime
) -> Job | None:
    # Without RETURNING: read candidates, then take the first whose state is still ready.
    # The guarded UPDATE is atomic, so a rival that got there first makes ours match 0 rows.
    candidates = session.scalars(
        select(Job.id)
        .where(_ready(kinds, now))
        .order_by(Job.priority.desc(), Job.run_after, Job.id)
        .limit(8)
    ).all()
    for job_id in candidates:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(READY_STATES))
            .values(
                state="running", locked_by=worker_name, locked_at=now, attempts=Job.attempts + 1
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            return session.get(Job, job_id, populate_existing=True)
    return None

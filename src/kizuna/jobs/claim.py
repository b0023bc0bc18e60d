"""Taking a ready job so that no two workers take the same one, and freeing lost ones.

PostgreSQL: one `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING`
picks a row no other worker holds and marks it running. SQLite serialises writers, so one
`UPDATE ... WHERE id = (SELECT ... LIMIT 1) AND state IN (...) RETURNING` is atomic; SQLite
older than 3.35 (no RETURNING) takes a guarded compare-and-set instead. A job whose worker
died stays 'running' until its lease ends; `requeue_stale` then gives it back to the queue.
Nothing here runs a handler (that is `kizuna.jobs.worker`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    String,
    Table,
    Update,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session, make_transient_to_detached

from kizuna.db.base import utcnow
from kizuna.jobs.models import READY_CONDITION, Job
from kizuna.jobs.queue import USE_SETTING

__all__ = ["READY_STATES", "claim_job", "release_job", "requeue_stale", "sqlite_has_returning"]

# 'failed' is a job whose last attempt failed and that waits for its retry time.
READY_STATES = ("queued", "failed")
_JOB = cast(Table, Job.__table__)


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
    # The states as SQL text, not parameters, so the databases may use the partial index
    # `ix_job_claim`, already in the claim's order: no sort of every ready job per claim.
    # SQLite without statistics prefers `ix_job_ready` (an equality on state) and sorts, so
    # its claim names the index (`_claim_returning`).
    condition = and_(text(READY_CONDITION), Job.run_after <= now)
    if kinds is not None:
        condition = and_(condition, Job.kind.in_(list(kinds)))
    return condition


def _claim_locking(
    session: Session, worker_name: str, kinds: Collection[str] | None, now: dt.datetime
) -> Job | None:
    return _mark_running(
        session, _claim_statement("postgresql", kinds is not None), worker_name, kinds, now
    )


def _claim_returning(
    session: Session, worker_name: str, kinds: Collection[str] | None, now: dt.datetime
) -> Job | None:
    return _mark_running(
        session, _claim_statement("sqlite", kinds is not None), worker_name, kinds, now
    )


def _mark_running(
    session: Session,
    statement: Update,
    worker_name: str,
    kinds: Collection[str] | None,
    now: dt.datetime,
) -> Job | None:
    """Run the claim (an UPDATE ... RETURNING), the row made a detached Job: a worker claims
    thousands of jobs a minute, and an ORM-enabled UPDATE costs several times as much."""
    parameters: dict[str, Any] = {"p_now": now, "p_worker": worker_name}
    if kinds is not None:
        parameters["p_kinds"] = list(kinds)
    row = session.execute(statement, parameters).first()
    if row is None:
        return None
    job = Job(**row._mapping)
    make_transient_to_detached(job)  # as if loaded by a session since closed
    return job


@cache
def _claim_statement(dialect: str, by_kind: bool) -> Update:
    """The claim as one statement, built once (its values are parameters): the first ready
    job in order, marked running.

    PostgreSQL: the subquery locks the first ready row no other worker holds (skipping the
    ones they hold), the UPDATE marks it ours; the lock lasts until the commit. SQLite: the
    subquery is written out to name the index (INDEXED BY, SQLite's own; see `_ready`).
    """
    now = bindparam("p_now", type_=_JOB.c.run_after.type)
    next_id: ScalarSelect[Any]
    if dialect == "postgresql":
        query = select(Job.id).where(text(READY_CONDITION), Job.run_after <= now)
        if by_kind:
            query = query.where(Job.kind.in_(bindparam("p_kinds", expanding=True)))
        next_id = (
            query.order_by(Job.priority.desc(), Job.run_after, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    else:
        written = text(
            f"SELECT id FROM job INDEXED BY ix_job_claim WHERE {READY_CONDITION} "
            f"AND run_after <= :p_now{' AND kind IN :p_kinds' if by_kind else ''} "
            "ORDER BY priority DESC, run_after, id LIMIT 1"
        ).bindparams(now)
        if by_kind:
            written = written.bindparams(bindparam("p_kinds", expanding=True))
        next_id = written.columns(_JOB.c.id).scalar_subquery()
    return (
        update(_JOB)
        .where(_JOB.c.id == next_id, _JOB.c.state.in_(READY_STATES))
        .values(
            state="running",
            locked_by=bindparam("p_worker"),
            locked_at=now,
            attempts=_JOB.c.attempts + 1,
        )
        .returning(*_JOB.c)
    )


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

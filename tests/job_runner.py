"""Running one workspace's queued jobs inside a test, as the worker would.

Claim the most urgent ready job of the given kinds (priority, then age), run its handler,
record done, or failed with a tiny backoff (dead after the last attempt), until none of
those kinds is waiting. Scoped to one workspace: the suite shares one database, and other
rooms' queued work is theirs to run. The rooms' support modules (loop, surveys) call this
with their own kinds, importing their handlers first so that `get_handler` never has to
import every feature's job modules.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import func, select, update

from kizuna import Kizuna
from kizuna.db.base import utcnow
from kizuna.jobs.models import Job
from kizuna.jobs.queue import effective_max_attempts, get_handler

__all__ = ["run_workspace_jobs"]

RETRY_AFTER = dt.timedelta(milliseconds=10)


def _claim(
    app: Kizuna, workspace_id: int, kinds: tuple[str, ...], moment: dt.datetime, locked_by: str
) -> Job | None:
    with app.session() as session:
        ready = session.scalars(
            select(Job.id)
            .where(
                Job.workspace_id == workspace_id,
                Job.kind.in_(kinds),
                Job.state.in_(("queued", "failed")),
                Job.run_after <= moment,
            )
            .order_by(Job.priority.desc(), Job.id)
            .limit(1)
        ).first()
        if ready is None:
            return None
        session.execute(
            update(Job)
            .where(Job.id == ready)
            .values(
                state="running",
                attempts=Job.attempts + 1,
                locked_by=locked_by,
                locked_at=utcnow(),
            )
        )
    with app.session() as session:
        job = session.get_one(Job, ready)
        session.expunge(job)
        return job


def _waiting(app: Kizuna, workspace_id: int, kinds: tuple[str, ...], moment: dt.datetime) -> int:
    with app.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    Job.workspace_id == workspace_id,
                    Job.kind.in_(kinds),
                    Job.state.in_(("queued", "failed", "running")),
                    Job.run_after <= moment + dt.timedelta(seconds=1),  # a retry's backoff
                )
            )
            or 0
        )


def _run(app: Kizuna, job: Job, fail_fast: bool) -> None:
    spec = get_handler(job.kind)
    limit = effective_max_attempts(job, app.settings.job_max_attempts)
    try:
        spec.run(app, job, spec.parse(job))
        values: dict[str, Any] = {"state": "done", "finished_at": utcnow()}
    except Exception as exc:
        if fail_fast:
            raise
        values = {"last_error": f"{type(exc).__name__}: {exc}"[:2000]}
        if job.attempts >= limit:
            values.update(state="dead", finished_at=utcnow())
        else:
            values.update(state="failed", run_after=utcnow() + RETRY_AFTER)
    with app.session() as session:
        session.execute(update(Job).where(Job.id == job.id).values(**values))


def run_workspace_jobs(
    app: Kizuna,
    workspace_id: int,
    kinds: tuple[str, ...],
    *,
    now: dt.datetime | None = None,
    timeout: float = 60.0,
    max_runs: int | None = None,
    locked_by: str = "test",
    fail_fast: bool = False,
) -> int:
    """Run the workspace's ready jobs of `kinds` until none is left; how many ran.

    `now` lets a test run jobs delayed until then (a trigger's delay); `max_runs` stops
    after that many; `fail_fast` lets a handler's error fail the test instead of being
    retried as the worker would. Raises AssertionError when jobs still wait after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    ran = 0
    while time.monotonic() < deadline:
        if max_runs is not None and ran >= max_runs:
            return ran
        moment = max(now or utcnow(), utcnow())
        job = _claim(app, workspace_id, kinds, moment, locked_by)
        if job is None:
            if not _waiting(app, workspace_id, kinds, moment):
                return ran
            time.sleep(0.02)
            continue
        _run(app, job, fail_fast)
        ran += 1
    raise AssertionError(f"{kinds} jobs still waiting after {timeout} s")

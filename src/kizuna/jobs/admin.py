"""Looking after the queue: jobs by state, failures, schedules, and retrying what died.

Used by `kizuna jobs` and the admin page. Listing shows kinds, states, attempts and the
last error's type and message (which handlers keep free of personal data), never payloads.
A retry puts a failed or dead job back in the queue with a fresh attempt budget, audited.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.db.base import utcnow
from kizuna.errors import NotFound
from kizuna.jobs.models import JOB_STATES, Job, JobSchedule

__all__ = [
    "JOB_STATES",
    "list_jobs",
    "list_schedules",
    "retry_jobs",
    "set_schedule_enabled",
]

MAX_PAGE = 200


def list_jobs(
    session: Session,
    workspace_id: int | None = None,
    states: tuple[str, ...] = ("failed", "dead"),
    limit: int = 50,
) -> list[Job]:
    """Jobs in these states, newest first (one workspace's when given)."""
    query = select(Job).where(Job.state.in_(states))
    if workspace_id is not None:
        query = query.where(Job.workspace_id == workspace_id)
    return list(session.scalars(query.order_by(Job.id.desc()).limit(min(limit, MAX_PAGE))))


def retry_jobs(
    session: Session, job_ids: list[int], *, workspace_id: int | None, actor: str
) -> int:
    """Queue failed or dead jobs again now, attempts reset; returns how many were queued.

    With a workspace, only that workspace's jobs are touched; an id of another is a 404.
    """
    query = select(Job).where(Job.id.in_(job_ids), Job.state.in_(("failed", "dead")))
    if workspace_id is not None:
        query = query.where(Job.workspace_id == workspace_id)
    found = list(session.scalars(query))
    if job_ids and not found:
        raise NotFound(
            "No failed or dead job with that id here. List them with `kizuna jobs failures`.",
            "その ID の失敗・停止ジョブはありません。`kizuna jobs failures` で確認してください。",
        )
    session.execute(
        update(Job)
        .where(Job.id.in_([j.id for j in found]))
        .values(state="queued", attempts=0, run_after=utcnow(), finished_at=None)
        .execution_options(synchronize_session=False)
    )
    for job in found:
        if job.workspace_id is not None:
            record_audit(session, job.workspace_id, actor, "job.retry", f"job:{job.id}")
    return len(found)


def list_schedules(session: Session, workspace_id: int | None = None) -> list[JobSchedule]:
    query = select(JobSchedule)
    if workspace_id is not None:
        query = query.where(JobSchedule.workspace_id == workspace_id)
    return list(session.scalars(query.order_by(JobSchedule.name, JobSchedule.id)))


def set_schedule_enabled(
    session: Session, schedule_id: int, enabled: bool, *, workspace_id: int | None, actor: str
) -> JobSchedule:
    query = select(JobSchedule).where(JobSchedule.id == schedule_id)
    if workspace_id is not None:
        query = query.where(JobSchedule.workspace_id == workspace_id)
    found = session.scalar(query)
    if found is None:
        raise NotFound(
            "No schedule with that id here. List them with `kizuna jobs schedules`.",
            "その ID のスケジュールはありません。`kizuna jobs schedules` で確認してください。",
        )
    found.enabled = enabled
    if found.workspace_id is not None:
        action = "schedule.enable" if enabled else "schedule.disable"
        record_audit(session, found.workspace_id, actor, action, f"schedule:{found.id}")
    return found

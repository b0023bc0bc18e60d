"""Import runs as people see them, with runs whose process died marked "interrupted".

A run is written by one process (`worker` = host:pid) that renews `heartbeat_at` with every
committed batch. A run still "running" is interrupted when its process is gone: on the same
host, when that pid no longer runs (seen at once); elsewhere, when its heartbeat is older
than `STALE_AFTER` (a batch takes seconds, so ten minutes of silence means it stopped).
Whatever it committed stays; re-running the same import on the same file resumes the run
where its last committed batch ended (`kizuna.ingest.resume`).
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.ingest.models import ImportRun

__all__ = ["STALE_AFTER", "list_runs", "mark_interrupted", "this_worker"]

STALE_AFTER = dt.timedelta(minutes=10)


def this_worker() -> str:
    """host:pid of this process, as stored in `import_run.worker`."""
    return f"{socket.gethostname()}:{os.getpid()}"[-100:]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _gone(worker: str, heartbeat: dt.datetime | None, now: dt.datetime) -> bool:
    host, _, pid = worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not _alive(int(pid))
    return heartbeat is None or heartbeat < now - STALE_AFTER


def mark_interrupted(
    session: Session, workspace_id: int | None = None, now: dt.datetime | None = None
) -> int:
    """Mark running imports whose process is gone as interrupted; returns how many."""
    now = now or utcnow()
    query = select(ImportRun.id, ImportRun.worker, ImportRun.heartbeat_at, ImportRun.started_at)
    query = query.where(ImportRun.status == "running")
    if workspace_id is not None:
        query = query.where(ImportRun.workspace_id == workspace_id)
    stale = [
        (run_id, heartbeat or started)
        for run_id, worker, heartbeat, started in session.execute(query)
        if _gone(worker, heartbeat or started, now)
    ]
    for run_id, last in stale:
        session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id, ImportRun.status == "running")
            .values(status="interrupted", finished_at=last)
        )
    return len(stale)


def list_runs(session: Session, workspace: Workspace, limit: int = 20) -> list[ImportRun]:
    """The workspace's newest runs, interrupted ones marked so first."""
    mark_interrupted(session, workspace.id)
    return list(
        session.scalars(
            select(ImportRun)
            .where(ImportRun.workspace_id == workspace.id)
            .order_by(ImportRun.id.desc())
            .limit(limit)
        )
    )

"""Background work of the customers room: scoring every customer (nightly by schedule)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, job_handler

__all__ = ["ScoreCustomers", "score_workspace"]


class ScoreCustomers(JobPayload):
    """Score the job's workspace (CLV, churn risk, lifecycle) as of a day (default: latest)."""

    kind: ClassVar[str] = "customers.score"
    as_of: dt.date | None = None


@job_handler(ScoreCustomers)
def score_workspace(kz: Kizuna, job: Job, payload: ScoreCustomers) -> None:
    from kizuna.customers.scores import score_customers

    assert job.workspace_id is not None
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
    if workspace is None:  # deleted since: nothing to score
        return
    score_customers(kz, workspace, as_of=payload.as_of, actor=f"job:{job.id}")

"""Background work of the topics room: relabelling past voices after a change, and
discovering new topics (weekly by schedule, or asked)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, job_handler

__all__ = ["DiscoverTopics", "RelabelTopics", "run_discovery", "run_relabel_job"]


class RelabelTopics(JobPayload):
    """Rewrite the stored topics of the workspace's past voices (one relabel run)."""

    kind: ClassVar[str] = "topics.relabel"
    relabel_id: int


class DiscoverTopics(JobPayload):
    """Propose new topics from the recent voices no topic matched."""

    kind: ClassVar[str] = "topics.discover"
    days: int = Field(default=90, ge=1, le=3660)


@job_handler(RelabelTopics)
def run_relabel_job(kz: Kizuna, job: Job, payload: RelabelTopics) -> None:
    from kizuna.topics.relabel import run_relabel

    run_relabel(kz, payload.relabel_id)


@job_handler(DiscoverTopics)
def run_discovery(kz: Kizuna, job: Job, payload: DiscoverTopics) -> None:
    from kizuna.topics.proposals import discover_proposals

    assert job.workspace_id is not None
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
        if workspace is None:  # deleted since
            return
        discover_proposals(session, workspace, days=payload.days, actor=f"job:{job.id}")

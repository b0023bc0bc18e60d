"""Background work of the personas room: building personas (weekly by schedule, or asked)."""

from __future__ import annotations

from typing import ClassVar

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.errors import InsufficientData
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, job_handler

__all__ = ["BuildPersonas", "run_build"]


class BuildPersonas(JobPayload):
    """Cluster the job's workspace into personas, keeping ids and names of the last build."""

    kind: ClassVar[str] = "personas.build"
    seed: int = 0
    n_personas: int | None = None


@job_handler(BuildPersonas)
def run_build(kz: Kizuna, job: Job, payload: BuildPersonas) -> None:
    from kizuna.personas.service import build_personas

    assert job.workspace_id is not None
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
        if workspace is not None:
            session.expunge(workspace)
    if workspace is None:  # deleted since
        return
    try:
        build_personas(
            kz, workspace, seed=payload.seed, n_personas=payload.n_personas, actor=f"job:{job.id}"
        )
    except InsufficientData:  # too few customers yet: the next scheduled build tries again
        return

"""Background work of the journeys room: computing the stored analytics of each scope.

- `journeys.aggregate`: one scope and period (`RefreshJourney`).
- `journeys.refresh`: every scope the workspace looks at (everyone for each period, every
  active persona and saved segment over the last year, and any scope already stored),
  queued nightly by schedule and after the journey's stages or rules change.
- `refresh_personas`: subscriber of `persona.built`, refreshing the personas' scopes.
Pages never recompute: they read what these jobs stored.
"""

from __future__ import annotations

from typing import ClassVar, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.errors import NotFound
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, enqueue, job_handler
from kizuna.personas.events import PersonasBuilt

__all__ = [
    "DEFAULT_PERIOD",
    "RefreshJourney",
    "RefreshJourneys",
    "queue_refresh",
    "refresh_personas",
    "scopes_to_refresh",
]

DEFAULT_PERIOD: Final = "365d"


class RefreshJourney(JobPayload):
    """Compute and store the journey analytics of one scope over one period."""

    kind: ClassVar[str] = "journeys.aggregate"
    scope: str = "all"
    period: str = DEFAULT_PERIOD


class RefreshJourneys(JobPayload):
    """Queue the refresh of every scope of the job's workspace."""

    kind: ClassVar[str] = "journeys.refresh"


@job_handler(RefreshJourney)
def run_refresh(kz: Kizuna, job: Job, payload: RefreshJourney) -> None:
    from kizuna.journeys.aggregate import refresh_journey

    assert job.workspace_id is not None
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
        if workspace is not None:
            session.expunge(workspace)
    if workspace is None:  # deleted since
        return
    try:
        refresh_journey(kz, workspace, payload.scope, payload.period)
    except NotFound:  # the segment or persona was deleted since: nothing to show
        return


def scopes_to_refresh(session: Session, workspace: Workspace) -> list[tuple[str, str]]:
    """(scope, period) pairs worth keeping fresh for a workspace."""
    from kizuna.customers.models import Segment
    from kizuna.journeys.data import PERIODS
    from kizuna.journeys.models import JourneySnapshot
    from kizuna.personas.models import Persona

    wanted = [("all", period) for period in PERIODS]
    personas = session.scalars(
        select(Persona.id).where(Persona.workspace_id == workspace.id, Persona.active)
    )
    wanted += [(f"persona:{p}", DEFAULT_PERIOD) for p in personas]
    segments = session.scalars(select(Segment.id).where(Segment.workspace_id == workspace.id))
    wanted += [(f"segment:{s}", DEFAULT_PERIOD) for s in segments]
    stored = session.execute(
        select(JourneySnapshot.scope, JourneySnapshot.period).where(
            JourneySnapshot.workspace_id == workspace.id
        )
    )
    wanted += [(scope, period) for scope, period in stored]
    return list(dict.fromkeys(wanted))


def queue_refresh(
    session: Session,
    workspace: Workspace,
    scopes: list[tuple[str, str]] | None = None,
    *,
    reason: str | None = None,
) -> list[int]:
    """Queue the refresh of `scopes` (default: every scope worth it); ids of the jobs.

    Keyed by `reason` (default: the current minute), so asking twice at once queues once.
    """
    tag = reason or utcnow().strftime("%Y%m%dT%H%M")
    jobs = []
    for scope, period in scopes or scopes_to_refresh(session, workspace):
        job = enqueue(
            session,
            RefreshJourney(scope=scope, period=period),
            workspace_id=workspace.id,
            key=f"journeys.aggregate:{workspace.id}:{scope}:{period}:{tag}",
            priority=-1 if scope != "all" else 0,
        )
        jobs.append(job.id)
    return jobs


@job_handler(RefreshJourneys)
def run_refresh_all(kz: Kizuna, job: Job, payload: RefreshJourneys) -> None:
    assert job.workspace_id is not None
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
        if workspace is None:
            return
        queue_refresh(session, workspace, reason=f"job{job.id}")


def refresh_personas(kz: Kizuna, session: Session, event: PersonasBuilt) -> None:
    """Subscriber of `persona.built`: refresh the journey analytics of the new personas."""
    workspace = session.get(Workspace, event.workspace_id)
    if workspace is None:
        return
    scopes = [(f"persona:{p}", DEFAULT_PERIOD) for p in event.persona_ids]
    queue_refresh(session, workspace, scopes, reason=f"run{event.run_id}")

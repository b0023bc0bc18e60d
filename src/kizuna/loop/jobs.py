"""Jobs of the loop room: SLA checks, rules on time, the praise digest, telling the
contributors of a shipped improvement, and webhook deliveries (`kizuna.loop.webhooks`).

Handlers are idempotent: SLA warnings and escalations are keyed per case, clock and
deadline; contributors are told through keyed mail with each link's outcome committed with
its message, a chunk at a time, so a worker killed mid-run leaves a job that, run again,
tells only those not told yet.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, enqueue, job_handler
from kizuna.loop import webhooks as _webhooks  # noqa: F401  (registers loop.webhook)
from kizuna.loop.engine import run_timed_rules
from kizuna.loop.events import ImprovementShipped
from kizuna.loop.improvements import notify_contributors
from kizuna.loop.praise import send_praise_digests
from kizuna.loop.sla import check_slas

__all__ = [
    "CheckSla",
    "NotifyContributors",
    "PraiseDigest",
    "TimedRules",
    "queue_shipped_notices",
]


class CheckSla(JobPayload):
    """Warn before SLA breaches and escalate breaches of the job's workspace."""

    kind: ClassVar[str] = "loop.sla_check"


class TimedRules(JobPayload):
    """Run the workspace's rules on time ("no answer within N days")."""

    kind: ClassVar[str] = "loop.timed_rules"


class PraiseDigest(JobPayload):
    """E-mail the week's praise to the targets that asked for it."""

    kind: ClassVar[str] = "loop.praise_digest"


class NotifyContributors(JobPayload):
    """Tell the contributors of a shipped improvement, once each."""

    kind: ClassVar[str] = "loop.notify_contributors"
    improvement_id: int


def _workspace(session: Session, job: Job) -> Workspace | None:
    return session.get(Workspace, job.workspace_id) if job.workspace_id is not None else None


@job_handler(CheckSla)
def run_sla_check(kz: Kizuna, job: Job, payload: CheckSla) -> None:
    with kz.session() as session:
        workspace = _workspace(session, job)
        if workspace is not None:
            check_slas(session, kz.settings, workspace)


@job_handler(TimedRules)
def run_timed(kz: Kizuna, job: Job, payload: TimedRules) -> None:
    with kz.session() as session:
        workspace = _workspace(session, job)
        if workspace is not None:
            run_timed_rules(session, kz.settings, workspace)


@job_handler(PraiseDigest)
def run_praise_digest(kz: Kizuna, job: Job, payload: PraiseDigest) -> None:
    with kz.session() as session:
        workspace = _workspace(session, job)
        if workspace is not None:
            send_praise_digests(session, kz.settings, workspace)


@job_handler(NotifyContributors)
def run_notify_contributors(kz: Kizuna, job: Job, payload: NotifyContributors) -> None:
    """A chunk per transaction until every link has its outcome."""
    while True:
        with kz.session() as session:
            workspace = _workspace(session, job)
            if workspace is None:
                return
            handled = notify_contributors(session, kz.settings, workspace, payload.improvement_id)
        if not handled:
            return


def queue_shipped_notices(kz: Kizuna, session: Session, event: ImprovementShipped) -> None:
    """Subscriber of `improvement.shipped`: queue the contributors' notices (one job)."""
    enqueue(
        session,
        NotifyContributors(improvement_id=event.improvement_id),
        workspace_id=event.workspace_id,
        key=f"loop.notify:{event.improvement_id}",
    )

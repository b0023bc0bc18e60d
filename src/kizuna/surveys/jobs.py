"""Job handlers of the surveys room.

- `surveys.send_invitation`: a scheduled invitation (an interaction's trigger) is due: the
  contact rules are checked again now and the e-mail goes to the outbox, is put off to the
  end of the quiet hours (a new job at that time), or is skipped with its reason.
- `surveys.invite`: e-mail invitations to a list of customers, in chunks (a large list sent
  from the web or the API); each invitation is keyed, so a chunk run twice invites once.
- `surveys.remind`: the hourly reminders of a workspace (schedule `surveys.remind`).
- `surveys.close_partials`: partial answers past the time-out become voices (schedule
  `surveys.close-partials`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, enqueue, job_handler
from kizuna.surveys.distribution import deliver_invitation, invite_by_email
from kizuna.surveys.models import Survey, SurveyInvitation
from kizuna.surveys.reminders import send_reminders
from kizuna.surveys.voices import close_stale_partials

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = [
    "ClosePartials",
    "InviteCustomers",
    "SendInvitation",
    "SendReminders",
    "enqueue_invitations",
]


class SendInvitation(JobPayload):
    """Send one scheduled invitation now (rules checked again)."""

    kind: ClassVar[str] = "surveys.send_invitation"
    invitation_id: int


class InviteCustomers(JobPayload):
    """E-mail invitations of one survey to these customers."""

    kind: ClassVar[str] = "surveys.invite"
    survey_id: int
    customer_ids: list[int]
    touchpoint: str | None = None
    actor: str = "system"


class SendReminders(JobPayload):
    """Remind the workspace's invitees whose reminder is due."""

    kind: ClassVar[str] = "surveys.remind"


class ClosePartials(JobPayload):
    """Turn the workspace's partial answers past the time-out into voices."""

    kind: ClassVar[str] = "surveys.close_partials"


@job_handler(SendInvitation)
def send_invitation(kz: Kizuna, job: Job, payload: SendInvitation) -> None:
    now = utcnow()
    with kz.session() as session:
        invitation = session.get(SurveyInvitation, payload.invitation_id)
        if invitation is None or invitation.state != "scheduled":
            return  # sent, skipped, or its survey was deleted: nothing to do
        # Quiet hours put the e-mail off inside the outbox (sent when they end).
        deliver_invitation(session, kz.settings, invitation, now=now)


@job_handler(InviteCustomers)
def invite_customers(kz: Kizuna, job: Job, payload: InviteCustomers) -> None:
    with kz.session() as session:
        survey = session.get(Survey, payload.survey_id)
        if survey is None or job.workspace_id is None or survey.workspace_id != job.workspace_id:
            return
        workspace = session.get_one(Workspace, survey.workspace_id)
        invite_by_email(
            session,
            kz.settings,
            workspace,
            survey,
            payload.customer_ids,
            touchpoint=payload.touchpoint,
            actor=payload.actor,
        )


@job_handler(SendReminders)
def remind(kz: Kizuna, job: Job, payload: SendReminders) -> None:
    if job.workspace_id is None:
        return
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
        if workspace is not None:
            send_reminders(session, kz.settings, workspace)


@job_handler(ClosePartials)
def close_partials(kz: Kizuna, job: Job, payload: ClosePartials) -> None:
    if job.workspace_id is None:
        return
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
        if workspace is not None:
            close_stale_partials(session, workspace)


def enqueue_invitations(
    session: Session,
    survey: Survey,
    customer_ids: list[int],
    *,
    touchpoint: str | None = None,
    actor: str = "system",
    chunk: int = 500,
) -> int:
    """Queue `surveys.invite` jobs for a long list, `chunk` customers each; how many jobs."""
    jobs = 0
    for start in range(0, len(customer_ids), chunk):
        part = customer_ids[start : start + chunk]
        enqueue(
            session,
            InviteCustomers(
                survey_id=survey.id, customer_ids=part, touchpoint=touchpoint, actor=actor
            ),
            workspace_id=survey.workspace_id,
            key=f"survey-invite-batch:{survey.id}:{part[0]}:{part[-1]}:{len(part)}",
        )
        jobs += 1
    return jobs

"""Event-triggered invitations: an interaction of the chosen kind queues an invitation that
goes out after the chosen delay (and an imported old interaction asks nobody)."""

from __future__ import annotations

import datetime as dt

from mail_support import SmtpServer
from sqlalchemy import select
from survey_support import SurveyWorld, make_world, run_jobs

from kizuna import Kizuna
from kizuna.customers.models import Customer
from kizuna.customers.service import record_interaction
from kizuna.jobs.models import Job
from kizuna.surveys.models import SurveyInvitation


def checked_out(kz: Kizuna, world: SurveyWorld, customer: str, when: dt.datetime, key: str) -> int:
    with kz.session() as session:
        ref = session.get_one(Customer, world.customers[customer]).external_id
        return record_interaction(
            session,
            session.merge(world.workspace),
            {
                "external_id": key,
                "customer_ref": ref,
                "occurred_at": when.isoformat(),
                "channel": "store",
                "touchpoint": "front_desk",
                "kind": "check_out",
            },
            source="pms",
        ).id


def test_a_check_out_invites_the_guest_two_hours_later(
    kz: Kizuna,
    ws,
    mail_kz: Kizuna,
    smtp_server: SmtpServer,  # type: ignore[no-untyped-def]
) -> None:
    world = make_world(kz, ws, template="post_stay")  # its trigger: check_out, 2h
    now = dt.datetime.now(dt.UTC)
    interaction = checked_out(kz, world, "hanako", now - dt.timedelta(minutes=10), "stay-1")
    checked_out(kz, world, "taro", now - dt.timedelta(days=40), "stay-old")  # history
    run_jobs(mail_kz, world.workspace.id, ("event.deliver",))
    with kz.session() as session:
        [invitation] = session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.survey_id == world.survey_id)
        ).all()
        job = session.scalars(
            select(Job).where(
                Job.kind == "surveys.send_invitation", Job.workspace_id == world.workspace.id
            )
        ).one()
    assert invitation.state == "scheduled" and invitation.channel == "trigger"
    assert (
        invitation.interaction_id == interaction
        and invitation.customer_id == world.customers["hanako"]
    )
    due = now + dt.timedelta(minutes=110)
    assert abs((job.run_after - due).total_seconds()) < 60
    run_jobs(mail_kz, world.workspace.id, now=due - dt.timedelta(minutes=5))
    assert smtp_server.inbox.received == []  # not before the delay
    run_jobs(mail_kz, world.workspace.id, now=due + dt.timedelta(minutes=1))
    [message] = smtp_server.inbox.received
    assert world.emails["hanako"] in str(message["To"]) and "ご宿泊" in str(message["Subject"])
    with kz.session() as session:
        sent = session.get_one(SurveyInvitation, invitation.id)
    assert sent.state == "sent" and sent.touchpoint == "front_desk"
    # The same interaction recorded again invites nobody twice.
    checked_out(kz, world, "hanako", now - dt.timedelta(minutes=10), "stay-1")
    run_jobs(mail_kz, world.workspace.id, now=due + dt.timedelta(hours=1))
    assert len(smtp_server.inbox.received) == 1

"""E-mail invitations through a real SMTP server on 127.0.0.1: the first question inside the
e-mail (a score link opens the survey with that score recorded), reminders to those who have
not answered, unsubscribe honoured by every later send, and an SMTP server that is down
delaying invitations without losing or repeating them."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from mail_support import SmtpInbox, SmtpServer, free_port, mail_app
from sqlalchemy import select
from survey_support import SurveyWorld, run_jobs, web_client

from kizuna import Kizuna
from kizuna.mail.models import MailMessage
from kizuna.surveys.distribution import invite_by_email
from kizuna.surveys.models import Survey, SurveyInvitation, SurveyResponse
from kizuna.surveys.reminders import send_reminders
from kizuna.surveys.service import create_survey, publish_survey

SCORE_LINK = re.compile(r'href="(https?://[^"]+/s/i/[^"?]+)\?score=(\d+)"')


def invite(
    app: Kizuna,
    world: SurveyWorld,
    names: list[str],
    survey_id: int | None = None,
    now: dt.datetime | None = None,
):  # type: ignore[no-untyped-def]
    with app.session() as session:
        return invite_by_email(
            session,
            app.settings,
            session.merge(world.workspace),
            session.get_one(Survey, survey_id or world.survey_id),
            [world.customers[n] for n in names],
            now=now,
        )


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def mine(server: SmtpServer, world: SurveyWorld) -> dict[str, list[EmailMessage]]:
    by_address: dict[str, list[EmailMessage]] = {}
    for message in server.inbox.received:
        for name, address in world.emails.items():
            if address in str(message["To"]):
                by_address.setdefault(name, []).append(message)
    return by_address


def test_the_invitation_carries_the_first_question_and_a_score_link_records_it(
    world: SurveyWorld, mail_kz: Kizuna, smtp_server: SmtpServer
) -> None:
    report = invite(mail_kz, world, ["hanako", "taro"])
    assert (report.sent, dict(report.skipped)) == (2, {})
    assert invite(mail_kz, world, ["hanako"]).already == 1  # asked twice, invited once
    run_jobs(mail_kz, world.workspace.id, ("mail.deliver",))
    got = mine(smtp_server, world)
    assert sorted(got) == ["hanako", "taro"] and all(len(v) == 1 for v in got.values())
    message = got["hanako"][0]
    assert "ご意見をお聞かせください" in str(message["Subject"])
    assert (
        message["List-Unsubscribe"]
        and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )
    html = html_of(message)
    assert "すすめる可能性" in html
    links = SCORE_LINK.findall(html)
    assert [int(score) for _, score in links] == list(range(11))
    url = links[9][0]
    client = web_client(mail_kz)
    page = client.get(url[url.index("/s/i/") :] + "?score=9", headers={"Accept-Language": "ja"})
    assert page.status_code == 200
    assert "特にご満足いただけた点" in page.text  # the promoters' follow-up: the score counted
    with mail_kz.session() as session:
        response = session.scalars(
            select(SurveyResponse).where(SurveyResponse.survey_id == world.survey_id)
        ).one()
        invitation = session.get_one(SurveyInvitation, response.invitation_id)
    assert (
        response.answers["nps"] == 9 and response.state == "partial" and response.channel == "email"
    )
    assert invitation.opened_at is not None and invitation.customer_id == world.customers["hanako"]


def test_a_link_scanner_clicking_every_score_records_none(
    world: SurveyWorld, mail_kz: Kizuna, smtp_server: SmtpServer
) -> None:
    invite(mail_kz, world, ["jiro"])
    run_jobs(mail_kz, world.workspace.id, ("mail.deliver",))
    links = SCORE_LINK.findall(html_of(mine(smtp_server, world)["jiro"][0]))
    client = web_client(mail_kz)
    for url, score in links:
        client.get(url[url.index("/s/i/") :] + f"?score={score}")
    with mail_kz.session() as session:
        response = session.scalars(
            select(SurveyResponse).where(SurveyResponse.survey_id == world.survey_id)
        ).one()
    assert response.answers.get("nps") is None  # the person chooses on the page


def test_reminders_go_only_to_those_who_have_not_answered_and_only_once(
    world: SurveyWorld, mail_kz: Kizuna, smtp_server: SmtpServer
) -> None:
    invite(mail_kz, world, ["hanako", "taro"])
    client = web_client(mail_kz)
    with mail_kz.session() as session:
        hanako = session.scalars(
            select(SurveyInvitation).where(
                SurveyInvitation.survey_id == world.survey_id,
                SurveyInvitation.customer_id == world.customers["hanako"],
            )
        ).one()
        from kizuna.surveys.distribution import invitation_url

        path = invitation_url(mail_kz.settings, hanako).split("/s/i/")[1]
    assert (
        client.post(f"/s/i/{path}", json={"answers": {"nps": 8, "improve": "待ち時間"}}).status_code
        == 200
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=4)
    with mail_kz.session() as session:
        workspace = session.merge(world.workspace)
        assert (
            send_reminders(session, mail_kz.settings, workspace, now=dt.datetime.now(dt.UTC)) == 0
        )  # not due
        assert send_reminders(session, mail_kz.settings, workspace, now=later) == 1
        assert (
            send_reminders(session, mail_kz.settings, workspace, now=later + dt.timedelta(days=5))
            == 0
        )
    run_jobs(mail_kz, world.workspace.id, ("mail.deliver",), now=later + dt.timedelta(minutes=1))
    got = mine(smtp_server, world)
    assert len(got["hanako"]) == 1 and len(got["taro"]) == 2
    assert str(got["taro"][1]["Subject"]).startswith("【再送】")


def test_unsubscribing_is_honoured_by_every_later_send(
    world: SurveyWorld, mail_kz: Kizuna, smtp_server: SmtpServer
) -> None:
    invite(mail_kz, world, ["taro"])
    run_jobs(mail_kz, world.workspace.id, ("mail.deliver",))
    [message] = mine(smtp_server, world)["taro"]
    unsubscribe = str(message["List-Unsubscribe"]).strip("<>")
    client = web_client(mail_kz)
    one_click = client.post(
        unsubscribe[unsubscribe.index("/u/") :], data={"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200
    with mail_kz.session() as session:
        workspace = session.merge(world.workspace)
        assert (
            send_reminders(
                session,
                mail_kz.settings,
                workspace,
                now=dt.datetime.now(dt.UTC) + dt.timedelta(days=10),
            )
            == 0
        )
        other = create_survey(session, workspace, template="post_support")
        publish_survey(session, workspace, other.id)
        other_id = other.id
    with mail_kz.session() as session:
        from kizuna.surveys.service import update_policy

        update_policy(session, session.merge(world.workspace), frequency_days=0)
    report = invite(mail_kz, world, ["taro", "jiro"], survey_id=other_id)
    assert dict(report.skipped) == {"unsubscribed": 1} and report.sent == 1
    run_jobs(mail_kz, world.workspace.id, ("mail.deliver",))
    got = mine(smtp_server, world)
    assert len(got["taro"]) == 1 and len(got["jiro"]) == 1
    with mail_kz.session() as session:
        skipped = session.scalars(
            select(SurveyInvitation).where(
                SurveyInvitation.survey_id == other_id, SurveyInvitation.state == "skipped"
            )
        ).one()
    assert skipped.skip_reason == "unsubscribed" and skipped.customer_id == world.customers["taro"]


def test_an_smtp_server_that_is_down_delays_invitations_but_loses_and_repeats_none(
    kz: Kizuna, world: SurveyWorld
) -> None:
    port = free_port()
    app = mail_app(kz, port)
    invite(app, world, ["hanako"])
    assert run_jobs(app, world.workspace.id, ("mail.deliver",), max_runs=2) == 2  # refused twice
    with app.session() as session:
        message = session.scalars(
            select(MailMessage).where(MailMessage.workspace_id == world.workspace.id)
        ).one()
        assert message.state == "queued" and message.attempts == 2 and message.last_error
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        run_jobs(app, world.workspace.id, ("mail.deliver",))
    finally:
        controller.stop()
    assert len(inbox.received) == 1 and world.emails["hanako"] in str(inbox.received[0]["To"])
    invite(app, world, ["hanako"])  # asking again sends nothing more
    run_jobs(app, world.workspace.id, ("mail.deliver",))
    assert len(inbox.received) == 1

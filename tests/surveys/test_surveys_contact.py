"""Contact rules for every channel together: at most once per N days per person, never in the
quiet hours of the workspace's time zone, never without consent or after unsubscribing; each
invitation not sent records why."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from mail_support import SmtpServer
from sqlalchemy import select
from survey_support import SurveyWorld, add_customer, run_jobs

from kizuna import Kizuna
from kizuna.surveys.contact import in_quiet_hours, quiet_hours_end
from kizuna.surveys.distribution import create_personal_link, invite_by_email
from kizuna.surveys.models import Survey, SurveyInvitation
from kizuna.surveys.service import create_survey, get_policy, publish_survey, update_policy

TOKYO = ZoneInfo("Asia/Tokyo")


def second_survey(kz: Kizuna, world: SurveyWorld) -> int:
    with kz.session() as session:
        workspace = session.merge(world.workspace)
        survey = create_survey(session, workspace, template="post_purchase")
        publish_survey(session, workspace, survey.id)
        return survey.id


def invite(
    kz: Kizuna, world: SurveyWorld, survey_id: int, customer_ids: list[int], now: dt.datetime
):  # type: ignore[no-untyped-def]
    with kz.session() as session:
        return invite_by_email(
            session,
            kz.settings,
            session.merge(world.workspace),
            session.get_one(Survey, survey_id),
            customer_ids,
            now=now,
        )


def invitations(kz: Kizuna, survey_id: int) -> dict[int, SurveyInvitation]:
    with kz.session() as session:
        rows = session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.survey_id == survey_id)
        )
        return {row.customer_id or 0: row for row in rows}


def test_a_customer_is_asked_at_most_once_per_n_days_whatever_the_survey_or_channel(
    mail_kz: Kizuna, world: SurveyWorld
) -> None:
    hanako = world.customers["hanako"]
    now = dt.datetime.now(dt.UTC)
    assert invite(mail_kz, world, world.survey_id, [hanako], now).sent == 1
    other = second_survey(mail_kz, world)
    report = invite(
        mail_kz, world, other, [hanako, world.customers["taro"]], now + dt.timedelta(days=29)
    )
    assert (report.sent, dict(report.skipped)) == (1, {"frequency": 1})
    assert invitations(mail_kz, other)[hanako].skip_reason == "frequency"
    with mail_kz.session() as session:  # a personal link counts as asking too
        invitation, url = create_personal_link(
            session,
            mail_kz.settings,
            session.merge(world.workspace),
            session.get_one(Survey, other),
            customer_id=world.customers["taro"],
        )
        assert url is None and invitation.skip_reason == "frequency"
    # A month later she may be asked again: the skipped invitation is decided anew.
    later = invite(mail_kz, world, other, [hanako], now + dt.timedelta(days=31))
    assert later.sent == 1 and invitations(mail_kz, other)[hanako].state == "sent"


def test_no_invitation_without_consent_or_an_address(mail_kz: Kizuna, world: SurveyWorld) -> None:
    no_consent, _ = add_customer(mail_kz, world.workspace, "yuki", consent=False)
    from kizuna.customers.service import upsert_customer

    with mail_kz.session() as session:
        no_mail = upsert_customer(
            session,
            session.merge(world.workspace),
            {"external_id": "C-nomail", "name": "ken", "consent_email": "yes"},
        ).id
    report = invite(
        mail_kz, world, world.survey_id, [no_consent, no_mail, 999_999_999], dt.datetime.now(dt.UTC)
    )
    assert dict(report.skipped) == {"no_consent": 1, "no_email": 1, "no_customer": 1}
    found = invitations(mail_kz, world.survey_id)
    assert (
        found[no_consent].skip_reason == "no_consent" and found[no_mail].skip_reason == "no_email"
    )
    with mail_kz.session() as session:
        update_policy(session, session.merge(world.workspace), require_consent=False)
    assert invite(mail_kz, world, world.survey_id, [no_consent], dt.datetime.now(dt.UTC)).sent == 1


def test_quiet_hours_in_the_workspace_time_zone_put_the_invitation_off_until_morning(
    mail_kz: Kizuna, world: SurveyWorld, smtp_server: SmtpServer
) -> None:
    with mail_kz.session() as session:
        policy = update_policy(
            session, session.merge(world.workspace), quiet_start="21:00", quiet_end="09:00"
        )
        tomorrow = dt.datetime.now(TOKYO).date() + dt.timedelta(days=1)
        night = dt.datetime.combine(tomorrow, dt.time(23, 30), tzinfo=TOKYO)
        morning = dt.datetime.combine(tomorrow + dt.timedelta(days=1), dt.time(9, 0), tzinfo=TOKYO)
        assert in_quiet_hours(policy, "Asia/Tokyo", night)
        assert not in_quiet_hours(policy, "Asia/Tokyo", night.replace(hour=20, minute=59))
        assert quiet_hours_end(policy, "Asia/Tokyo", night) == morning
        # 23:30 in Tokyo is 14:30 UTC: the rule is read in the workspace's zone.
        assert night.astimezone(dt.UTC).hour == 14
    report = invite(
        mail_kz, world, world.survey_id, [world.customers["hanako"]], night.astimezone(dt.UTC)
    )
    assert report.sent == 1
    invitation = invitations(mail_kz, world.survey_id)[world.customers["hanako"]]
    assert invitation.deferred_reason == "quiet_hours" and invitation.sent_at == morning
    run_jobs(mail_kz, world.workspace.id, ("mail.deliver",), now=morning - dt.timedelta(minutes=1))
    assert smtp_server.inbox.received == []  # nothing goes out in the night
    run_jobs(mail_kz, world.workspace.id, ("mail.deliver",), now=morning + dt.timedelta(minutes=1))
    assert len(smtp_server.inbox.received) == 1


def test_the_rules_refuse_bad_values_with_a_clear_message(kz: Kizuna, world: SurveyWorld) -> None:
    import pytest

    from kizuna.errors import InvalidInput

    with kz.session() as session:
        workspace = session.merge(world.workspace)
        for values in (
            {"quiet_start": "25:00"},
            {"frequency_days": -1},
            {"allowed_origins": ["javascript:alert(1)"]},
            {"colour": "red"},
        ):
            with pytest.raises(InvalidInput):
                update_policy(session, workspace, **values)
        policy = update_policy(session, workspace, allowed_origins=["https://www.example.co.jp/"])
        assert policy.allowed_origins == ["https://www.example.co.jp"]
        assert get_policy(session, workspace).frequency_days == 30


def test_two_records_of_one_person_in_one_run_are_asked_once(
    mail_kz: Kizuna, world: SurveyWorld
) -> None:
    # Invitations are decided a chunk at a time (`ContactRules`); the frequency rule must
    # still see the person invited a moment earlier in the same run, as one by one did.
    from kizuna.customers.models import Customer

    kept, _ = add_customer(mail_kz, world.workspace, "ichiro")
    merged, _ = add_customer(mail_kz, world.workspace, "ichiro-old")
    with mail_kz.session() as session:
        session.get_one(Customer, merged).merged_into_id = kept
    report = invite(mail_kz, world, world.survey_id, [kept, merged], dt.datetime.now(dt.UTC))
    assert (report.sent, dict(report.skipped)) == (1, {"frequency": 1})
    rows = invitations(mail_kz, world.survey_id)
    assert (rows[kept].state, rows[merged].skip_reason) == ("sent", "frequency")

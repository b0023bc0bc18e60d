"""Personal links: signed, single use, bound to a customer and a touchpoint, expiring; a
tampered, expired or reused link gets a friendly page in the respondent's language and never
stores a second answer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from survey_support import SurveyWorld, web_client

from kizuna.feedback.models import Feedback
from kizuna.surveys.distribution import create_personal_link
from kizuna.surveys.models import Survey, SurveyInvitation, SurveyResponse
from kizuna.surveys.tokens import make_link_token


def make_link(world: SurveyWorld, customer: str = "hanako", **options: object) -> tuple[int, str]:
    with world.kz.session() as session:
        workspace = session.merge(world.workspace)
        survey = session.get_one(Survey, world.survey_id)
        invitation, url = create_personal_link(
            session,
            world.kz.settings,
            workspace,
            survey,
            customer_id=world.customers[customer],
            touchpoint="room-301",
            **options,  # type: ignore[arg-type]
        )
    assert url is not None
    return invitation.id, url[url.index("/s/i/") :]


def test_a_personal_link_is_bound_to_its_customer_and_touchpoint(world: SurveyWorld) -> None:
    _, path = make_link(world)
    client = web_client(world.kz)
    assert client.get(path).status_code == 200
    answer = client.post(path, json={"answers": {"nps": 10, "delighted": "眺めが最高"}})
    assert answer.status_code == 200
    with world.kz.session() as session:
        response = session.scalars(
            select(SurveyResponse).where(SurveyResponse.survey_id == world.survey_id)
        ).one()
        voice = session.get_one(Feedback, response.feedback_id)
        invitation = session.get_one(SurveyInvitation, response.invitation_id)
    assert response.customer_id == world.customers["hanako"] and response.touchpoint == "room-301"
    assert voice.customer_id == world.customers["hanako"] and voice.touchpoint == "room-301"
    assert voice.channel == "web" and response.channel == "personal"
    assert invitation.opened_at is not None and invitation.completed_at is not None


def test_a_reused_link_says_thank_you_and_keeps_the_first_answer(world: SurveyWorld) -> None:
    _, path = make_link(world)
    client = web_client(world.kz)
    assert client.post(path, json={"answers": {"nps": 9}}).status_code == 200
    reused = client.get(path, headers={"Accept-Language": "ja"})
    assert reused.status_code == 409
    assert "すでにご回答いただいています" in reused.text and "<form" not in reused.text
    second = client.post(path, json={"answers": {"nps": 0}})
    assert second.status_code == 409
    with world.kz.session() as session:
        answers = session.scalars(
            select(SurveyResponse.answers).where(SurveyResponse.survey_id == world.survey_id)
        ).all()
    assert answers == [{"nps": 9}]


def test_a_tampered_link_gets_a_friendly_page_and_stores_nothing(world: SurveyWorld) -> None:
    _, path = make_link(world)
    token = path.rsplit("/", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    client = web_client(world.kz)
    for bad in (flipped, token[:-5], "x" * 39, token + "AAAA"):
        page = client.get(f"/s/i/{bad}", headers={"Accept-Language": "en"})
        assert page.status_code == 400, bad
        assert "This survey link is not valid" in page.text and 'lang="en"' in page.text
        assert client.post(f"/s/i/{bad}", json={"answers": {"nps": 5}}).status_code == 400
    japanese = client.get(f"/s/i/{flipped}", headers={"Accept-Language": "ja"})
    assert "このアンケートのリンクは無効です" in japanese.text
    # Another invitation's id under a made-up signature is just as invalid.
    invitation_id, _ = make_link(world, "taro")
    other = make_link_token(
        world.kz.settings.model_copy(update={"secret_key": "another-secret-" * 4}),
        invitation_id,
        dt.datetime.now(dt.UTC) + dt.timedelta(days=3),
    )
    assert client.get(f"/s/i/{other}").status_code == 400
    with world.kz.session() as session:
        assert (
            session.scalars(
                select(SurveyResponse.id).where(SurveyResponse.survey_id == world.survey_id)
            ).all()
            == []
        )


def test_an_expired_link_gets_a_friendly_page_in_the_respondents_language(
    world: SurveyWorld,
) -> None:
    invitation_id, path = make_link(world, days=1)
    client = web_client(world.kz)
    expired = make_link_token(
        world.kz.settings, invitation_id, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )
    page = client.get(f"/s/i/{expired}", headers={"Accept-Language": "ja"})
    assert page.status_code == 410 and "有効期限が切れています" in page.text
    assert client.post(f"/s/i/{expired}", json={"answers": {"nps": 5}}).status_code == 410
    # The row's expiry counts too: a link whose invitation expired is refused.
    with world.kz.session() as session:
        session.get_one(SurveyInvitation, invitation_id).expires_at = dt.datetime.now(
            dt.UTC
        ) - dt.timedelta(seconds=1)
    assert client.get(path, headers={"Accept-Language": "en"}).status_code == 410
    with world.kz.session() as session:
        assert (
            session.scalars(
                select(SurveyResponse.id).where(SurveyResponse.survey_id == world.survey_id)
            ).all()
            == []
        )


def test_a_link_for_a_customer_without_consent_is_not_made(world: SurveyWorld) -> None:
    from survey_support import add_customer

    no_consent, _ = add_customer(world.kz, world.workspace, "kenji", consent=False)
    with world.kz.session() as session:
        invitation, url = create_personal_link(
            session,
            world.kz.settings,
            session.merge(world.workspace),
            session.get_one(Survey, world.survey_id),
            customer_id=no_consent,
        )
        assert (
            url is None and invitation.state == "skipped" and invitation.skip_reason == "no_consent"
        )

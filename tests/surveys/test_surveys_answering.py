"""Answering through the real HTTP app: pages with logic, answers saved as the respondent goes,
bad submissions refused with a clear 4xx and nothing stored, spam kept out, versions kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from survey_support import SurveyWorld, response_key, web_client

from kizuna.feedback.models import Feedback
from kizuna.surveys.models import Survey, SurveyResponse
from kizuna.surveys.service import close_survey, update_policy, update_survey
from kizuna.surveys.submissions import BODY_LIMIT


def stored(world: SurveyWorld) -> list[SurveyResponse]:
    with world.kz.session() as session:
        return list(
            session.scalars(
                select(SurveyResponse)
                .where(SurveyResponse.survey_id == world.survey_id)
                .order_by(SurveyResponse.id)
            )
        )


def voices(world: SurveyWorld) -> list[Feedback]:
    with world.kz.session() as session:
        return list(
            session.scalars(
                select(Feedback)
                .where(Feedback.workspace_id == world.workspace.id)
                .order_by(Feedback.id)
            )
        )


def test_a_detractor_is_asked_what_disappointed_them_and_the_answer_becomes_a_voice(
    world: SurveyWorld,
) -> None:
    client = web_client(world.kz)
    first = client.get(
        f"/s/{world.key}?store=shibuya&touchpoint=front", headers={"Accept-Language": "ja"}
    )
    assert first.status_code == 200
    assert "set-cookie" not in first.headers  # respondents get no cookie
    assert "おすすめする可能性" in first.text or "すすめる可能性" in first.text
    rk = response_key(first.text)
    form = {"rk": rk, "p": "0", "lang": "ja", "h.store": "shibuya", "h.touchpoint": "front"}
    moved = client.post(f"/s/{world.key}", data={**form, "q.nps": "3"}, follow_redirects=False)
    assert moved.status_code == 303
    follow = client.get(moved.headers["location"])
    assert "残念だった点" in follow.text and "特にご満足" not in follow.text
    assert [r.state for r in stored(world)] == ["partial"]  # saved as they go
    client.post(
        f"/s/{world.key}",
        data={"rk": rk, "p": "1", "lang": "ja", "q.disappointed": "部屋が寒かった"},
    )
    done = client.post(
        f"/s/{world.key}", data={"rk": rk, "p": "2", "lang": "ja", "q.contact_ok": "yes"}
    )
    assert done.status_code == 200 and "ありがとうございました" in done.text
    [response] = stored(world)
    assert response.state == "completed" and response.seconds is not None
    assert response.answers == {"nps": 3, "disappointed": "部屋が寒かった", "contact_ok": True}
    [voice] = voices(world)
    assert voice.id == response.feedback_id
    assert (voice.source, voice.nps, voice.text, voice.touchpoint) == (
        "survey",
        3,
        "部屋が寒かった",
        "front",
    )
    assert voice.external_id == f"survey:{world.survey_id}:{rk}"
    assert (
        voice.properties["store"] == "shibuya" and voice.properties["survey"] == "relationship_nps"
    )
    # Sending the last page again is "already answered", never a second answer.
    again = client.post(
        f"/s/{world.key}", data={"rk": rk, "p": "2", "lang": "ja", "q.contact_ok": "no"}
    )
    assert again.status_code == 409 and "すでにご回答" in again.text
    assert len(stored(world)) == 1 and len(voices(world)) == 1


def test_the_page_speaks_the_respondents_language(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    english = client.get(f"/s/{world.key}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "How likely are you to recommend us" in english.text and 'lang="en"' in english.text
    switched = client.get(f"/s/{world.key}?lang=ja", headers={"Accept-Language": "en"})
    assert "すすめる可能性" in switched.text


def test_a_required_question_left_blank_comes_back_with_its_message(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    rk = response_key(client.get(f"/s/{world.key}").text)
    answer = client.post(f"/s/{world.key}", data={"rk": rk, "p": "0", "lang": "en"})
    assert answer.status_code == 422
    assert (
        "Please answer this question." in answer.text
        and "aria-invalid" not in answer.text.split("q-nps")[0]
    )
    assert 'role="alert"' in answer.text
    assert stored(world) == []


def test_bad_submissions_get_a_clear_4xx_and_store_nothing(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    url = f"/s/{world.key}"
    out_of_range = client.post(url, json={"answers": {"nps": 11}})
    assert out_of_range.status_code == 422
    assert out_of_range.json()["error"]["code"] == "invalid_answer"
    assert (
        "out of range (0-10)"
        in client.post(
            url, json={"answers": {"nps": 12}}, headers={"Accept-Language": "en"}
        ).json()["error"]["message"]
    )
    unknown = client.post(url, json={"answers": {"nps": 9, "favourite_colour": "blue"}})
    assert (
        unknown.status_code == 422
        and unknown.json()["error"]["details"]["question"] == "favourite_colour"
    )
    not_an_option = client.post(url, json={"answers": {"nps": 9, "contact_ok": "perhaps"}})
    assert not_an_option.status_code == 422
    too_big = client.post(url, json={"answers": {"nps": 9, "delighted": "あ" * BODY_LIMIT}})
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "payload_too_large"
    form_out_of_range = client.post(url, data={"rk": "r" * 20, "p": "0", "q.nps": "99"})
    assert form_out_of_range.status_code == 422 and "99" in form_out_of_range.text
    missing = client.post(url, json={"answers": {"contact_ok": True}})
    assert missing.status_code == 422 and missing.json()["error"]["details"]["questions"] == ["nps"]
    nowhere = client.post("/s/no-such-survey", json={"answers": {"nps": 9}})
    assert nowhere.status_code == 404
    bad_token = client.post("/s/i/forged-token", json={"answers": {"nps": 9}})
    assert bad_token.status_code == 400
    assert stored(world) == [] and voices(world) == []


def test_json_answers_all_at_once_and_resending_them_is_idempotent(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    body = {"response_key": "load-test-000001", "answers": {"nps": 10, "delighted": "朝食が最高"}}
    first = client.post(f"/s/{world.key}", json=body)
    assert first.status_code == 200 and first.json()["state"] == "completed"
    again = client.post(f"/s/{world.key}", json=body)
    assert again.status_code == 409
    assert len(stored(world)) == 1 and len(voices(world)) == 1


def test_a_honeypot_answer_looks_accepted_and_is_stored_nowhere(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    bot = client.post(
        f"/s/{world.key}", data={"rk": "b" * 20, "p": "0", "q.nps": "10", "website": "http://spam"}
    )
    assert bot.status_code == 200 and "ありがとう" in bot.text
    assert stored(world) == []


def test_too_many_answers_from_one_address_get_429(world: SurveyWorld) -> None:
    with world.kz.session() as session:
        update_policy(session, session.merge(world.workspace), rate_limit_per_minute=3)
    client = web_client(world.kz)
    codes = [
        client.post(f"/s/{world.key}", json={"answers": {"nps": 9}}).status_code for _ in range(5)
    ]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert len(stored(world)) == 3


def test_a_closed_survey_and_a_full_one_take_no_more_answers(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    with world.kz.session() as session:
        workspace = session.merge(world.workspace)
        raw = dict(session.get_one(Survey, world.survey_id).definition)
        raw["response_cap"] = 1
        update_survey(session, workspace, world.survey_id, raw)
    assert client.post(f"/s/{world.key}", json={"answers": {"nps": 7}}).status_code == 200
    full = client.get(f"/s/{world.key}", headers={"Accept-Language": "ja"})
    assert full.status_code == 410 and "終了しました" in full.text
    assert client.post(f"/s/{world.key}", json={"answers": {"nps": 7}}).status_code == 410
    with world.kz.session() as session:
        close_survey(session, session.merge(world.workspace), world.survey_id)
    assert client.get(f"/s/{world.key}").status_code == 410
    assert len(stored(world)) == 1


def test_editing_a_live_survey_keeps_earlier_answers_readable(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    client.post(f"/s/{world.key}", json={"answers": {"nps": 2, "disappointed": "遅い"}})
    with world.kz.session() as session:
        workspace = session.merge(world.workspace)
        raw = dict(session.get_one(Survey, world.survey_id).definition)
        raw["questions"] = [q for q in raw["questions"] if q["id"] != "disappointed"]
        raw["questions"][0] = {
            **raw["questions"][0],
            "text": {"ja": "新しい質問文", "en": "New wording"},
        }
        survey = update_survey(session, workspace, world.survey_id, raw)
        assert survey.version == 2
    client.post(f"/s/{world.key}", json={"answers": {"nps": 9, "delighted": "速い"}})
    versions = [r.version for r in stored(world)]
    assert versions == [1, 2]
    from kizuna.surveys.listing import list_responses

    with world.kz.session() as session:
        rows, _ = list_responses(session, session.get_one(Survey, world.survey_id), "ja")
    old = next(r for r in rows if r.response.version == 1)
    assert (
        "disappointed",
        "ご期待に沿えず申し訳ありません。残念だった点を教えていただけますか?",
        "遅い",
    ) in old.answers
    new = next(r for r in rows if r.response.version == 2)
    assert new.answers[0][1] == "新しい質問文"


def test_a_partial_answer_becomes_a_voice_after_its_timeout_and_completing_it_updates_that_voice(
    world: SurveyWorld,
) -> None:
    from kizuna.surveys.voices import close_stale_partials

    client = web_client(world.kz)
    rk = response_key(client.get(f"/s/{world.key}").text)
    client.post(f"/s/{world.key}", data={"rk": rk, "p": "0", "q.nps": "6"})
    client.post(
        f"/s/{world.key}", data={"rk": rk, "p": "1", "q.disappointed": "途中で閉じ", "save": "1"}
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61)
    with world.kz.session() as session:
        workspace = session.merge(world.workspace)
        assert close_stale_partials(session, workspace, now=later - dt.timedelta(minutes=30)) == 0
        assert close_stale_partials(session, workspace, now=later) == 1
        assert close_stale_partials(session, workspace, now=later) == 0  # once
    [voice] = voices(world)
    assert voice.nps == 6 and voice.text == "途中で閉じ" and voice.properties["partial"] is True
    client.post(
        f"/s/{world.key}", data={"rk": rk, "p": "1", "q.disappointed": "途中で閉じたけど戻った"}
    )
    client.post(f"/s/{world.key}", data={"rk": rk, "p": "2", "q.contact_ok": "no"})
    [updated] = voices(world)
    assert updated.id == voice.id and updated.text == "途中で閉じたけど戻った"
    assert "partial" not in updated.properties
    with world.kz.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Feedback)
            .where(Feedback.workspace_id == world.workspace.id)
        )
    assert count == 1

"""QR codes carrying the touchpoint, the widget (one script tag, served by Kizuna, no third
party) and its iframe, framed only by the workspace's allowed sites."""

from __future__ import annotations

import io
import re

import segno
from survey_support import SurveyWorld, web_client

from kizuna.surveys.models import Survey
from kizuna.surveys.qr import qr_code, qr_url
from kizuna.surveys.service import update_policy


def test_a_qr_code_carries_the_survey_link_and_its_touchpoint(world: SurveyWorld) -> None:
    with world.kz.session() as session:
        survey = session.get_one(Survey, world.survey_id)
        url = qr_url(world.kz.settings, survey, "room-301", {"store": "shibuya"})
        png = qr_code(
            world.kz.settings, survey, "png", touchpoint="room-301", hidden={"store": "shibuya"}
        )
        svg = qr_code(world.kz.settings, survey, "svg", touchpoint="room-301")
    assert url.endswith(f"/s/{world.key}?store=shibuya&touchpoint=room-301&ch=qr") or (
        f"/s/{world.key}?" in url and "touchpoint=room-301" in url and "ch=qr" in url
    )
    expected = io.BytesIO()
    segno.make(url, error="m").save(expected, kind="png", scale=8, border=4)
    assert png.startswith(b"\x89PNG") and png == expected.getvalue()  # the code encodes the url
    assert svg.startswith(b"<svg") and b"<path" in svg
    # Answering through it records the touchpoint and the QR channel.
    client = web_client(world.kz)
    page = client.get(url[url.index("/s/") :])
    assert page.status_code == 200 and 'name="ch" value="qr"' in page.text
    assert 'name="h.touchpoint" value="room-301"' in page.text


def test_the_widget_is_one_script_served_by_kizuna_asking_no_third_party(
    world: SurveyWorld,
) -> None:
    client = web_client(world.kz)
    script = client.get("/s/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    code = re.sub(r"/\*.*?\*/", "", script.text, flags=re.S)  # the comment shows an example
    assert re.findall(r"https?://", code) == []  # no address but the script's own origin
    assert "document.cookie" not in code
    assert "data-survey" in script.text or "dataset" in script.text
    with world.kz.session() as session:
        from kizuna.surveys.widget import widget_snippet

        snippet = widget_snippet(world.kz.settings, session.get_one(Survey, world.survey_id))
    assert snippet.count("<script") == 1 and f'data-survey="{world.key}"' in snippet


def test_the_iframe_page_may_be_framed_only_by_the_allowed_sites(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    plain = client.get(f"/s/{world.key}")
    assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
    embedded = client.get(f"/s/{world.key}?embed=1&ch=widget")
    assert embedded.headers["content-security-policy"].endswith("frame-ancestors 'self'")
    with world.kz.session() as session:
        update_policy(
            session, session.merge(world.workspace), allowed_origins=["https://shop.example.jp"]
        )
    allowed = client.get(f"/s/{world.key}?embed=1&ch=widget")
    policy = allowed.headers["content-security-policy"]
    assert policy.endswith("frame-ancestors 'self' https://shop.example.jp")
    assert "script-src 'self'" in policy

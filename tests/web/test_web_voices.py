"""The voice explorer: Japanese words found inside sentences, every analysis filter, cues
marked in the text, exports that Japanese Excel opens, and who may do what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from web_support import build_web_app, log_in

from kizuna import Kizuna
from kizuna.accounts.keys import create_api_key
from kizuna.errors import InvalidInput
from kizuna.feedback.explorer import VoiceFilter, export_voices, highlight, search_voices
from kizuna.feedback.models import Feedback
from kizuna.ingest.service import ingest_records
from kizuna.text.service import analyze_feedback

VOICES = [
    ("v1", "店舗", 2, "2026-10-01", "受付の待ち時間が長すぎて、とても不快でした。"),
    ("v2", "web", 10, "2026-10-02", "スタッフの心遣いに感動しました。また泊まりたいです。"),
    ("v3", "web", 9, "2026-10-03", "朝食はとても美味しかったが、部屋が狭くて残念でした。"),
    ("v4", "店舗", 8, "2026-10-04", '=HYPERLINK("http://evil.example","x") 普通でした。'),
    ("v5", "web", None, "2026-10-05", "The staff were wonderful and the room was spotless."),
]


@pytest.fixture
def voices(kz: Kizuna, ws: Any) -> Any:
    records = [
        {
            "external_id": key,
            "channel": channel,
            "nps": nps,
            "received_at": f"{day}T10:00:00+09:00",
            "text": text,
        }
        for key, channel, nps, day, text in VOICES
    ]
    ingest_records(kz, ws.workspace, "feedback", records, source="survey")
    with kz.session() as session:
        ids = list(
            session.scalars(select(Feedback.id).where(Feedback.workspace_id == ws.workspace.id))
        )
    analyze_feedback(kz, ws.workspace.id, ids)
    return ws


def texts(kz: Kizuna, ws: Any, **wanted: Any) -> list[str]:
    with kz.session() as session:
        page = search_voices(session, ws.workspace, VoiceFilter(**wanted), limit=200)
    return [v.text or "" for v in page.voices]


def test_a_japanese_word_is_found_inside_a_sentence(kz: Kizuna, voices: Any) -> None:
    assert texts(kz, voices, q="待ち時間") == [VOICES[0][4]]
    assert texts(kz, voices, q="心遣い 感動") == [VOICES[1][4]]  # every word must be there
    assert texts(kz, voices, q="staff") == [VOICES[4][4]]
    assert texts(kz, voices, q="100%_") == []  # LIKE wildcards are plain characters


def test_every_analysis_filter_narrows_the_voices(kz: Kizuna, voices: Any) -> None:
    negative = texts(kz, voices, sentiment="negative")
    assert VOICES[0][4] in negative and VOICES[1][4] not in negative
    assert VOICES[1][4] in texts(kz, voices, min_delight=0.5)
    room = texts(kz, voices, topic="room")
    assert VOICES[2][4] in room and VOICES[0][4] not in room
    assert VOICES[2][4] in texts(kz, voices, topic="room", topic_sentiment="negative")
    assert VOICES[2][4] not in texts(kz, voices, topic="room", topic_sentiment="positive")
    assert texts(kz, voices, channel="web", max_nps=9) == [VOICES[2][4]]
    assert texts(kz, voices, min_nps=9) == [VOICES[2][4], VOICES[1][4]]  # newest first
    assert VOICES[4][4] in texts(kz, voices, language="en")
    later = texts(kz, voices, since=dt.date(2026, 10, 2), until=dt.date(2026, 10, 4))
    assert later == [VOICES[3][4], VOICES[2][4], VOICES[1][4]]


def test_filters_inside_the_analysis_keep_exactly_the_voices_whose_analysis_says_so(
    kz: Kizuna, voices: Any
) -> None:
    """Topic and its polarity, emotion and experience value are read by the database from
    the analysis' JSON; each keeps the voices the analysis shown beside them says it should."""
    with kz.session() as session:
        every = search_voices(session, voices.workspace, VoiceFilter(), limit=200).voices
    assert len(every) == len(VOICES)
    asked = 0
    for v in every:
        for t in v.topics:
            for wanted in ({"topic": t["topic"]}, {"topic_sentiment": t["sentiment"]},
                           {"topic": t["topic"], "topic_sentiment": t["sentiment"]}):  # fmt: skip
                expected = [
                    w.text
                    for w in every
                    if any(
                        all(u.get(k.removeprefix("topic_")) == val for k, val in wanted.items())
                        for u in w.topics
                    )
                ]
                assert texts(kz, voices, **wanted) == expected, wanted
                asked += 1
        for emotion in v.emotions:
            expected = [w.text for w in every if w.emotions.get(emotion, 0) >= 0.5]
            assert texts(kz, voices, emotion=emotion) == expected, emotion
        for value in v.experience_values:
            expected = [w.text for w in every if value in w.experience_values]
            assert texts(kz, voices, experience_value=value) == expected, value
            asked += 1
    assert asked >= 4  # the engine found topics and experience values to ask about
    assert texts(kz, voices, topic="room", topic_sentiment="mixed") == []


def test_pages_follow_the_cursor_and_stay_in_their_workspace(
    kz: Kizuna, voices: Any, make_workspace: Any
) -> None:
    seen: list[int] = []
    cursor = None
    with kz.session() as session:
        while True:
            page = search_voices(session, voices.workspace, VoiceFilter(), limit=2, cursor=cursor)
            seen += [v.id for v in page.voices]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert len(seen) == len(set(seen)) == len(VOICES) and seen == sorted(seen, reverse=True)
        other = make_workspace()
        assert search_voices(session, other.workspace, VoiceFilter()).voices == []
        with pytest.raises(InvalidInput):
            VoiceFilter(sentiment="happy")


def test_cues_are_marked_and_the_text_stays_whole(kz: Kizuna, voices: Any) -> None:
    with kz.session() as session:
        (voice,) = search_voices(session, voices.workspace, VoiceFilter(q="朝食")).voices
    pieces = highlight(voice)
    assert "".join(text for text, _ in pieces) == voice.text
    marked = {text: kind for text, kind in pieces if kind}
    assert "朝食" in marked and any(k.startswith("sentiment-") for k in marked.values())


def test_the_export_has_every_analysis_column_and_opens_in_japanese_excel(
    kz: Kizuna, voices: Any
) -> None:
    with kz.session() as session:
        data, rows = export_voices(session, voices.workspace, VoiceFilter(), "csv")
        book, _ = export_voices(session, voices.workspace, VoiceFilter(channel="web"), "xlsx")
    assert rows == len(VOICES) and data.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    by_text = {row["text"]: row for row in table}
    room = by_text[VOICES[2][4]]
    assert room["sentiment"] and "room:negative" in room["topics"] and room["emotion_joy"]
    assert any(text.startswith("'=HYPERLINK") for text in by_text)  # formula neutralised
    sheet = load_workbook(io.BytesIO(book), read_only=True)["voices"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "id" and len(values) == 1 + 3


def test_the_api_lets_viewers_read_and_analysts_export(kz: Kizuna, voices: Any) -> None:
    with kz.session() as session:
        workspace = session.merge(voices.workspace)
        viewer = create_api_key(session, workspace, "viewer", "viewer")
        analyst = create_api_key(session, workspace, "analyst", "analyst")
    app = build_web_app(kz)
    as_viewer = TestClient(app, headers={"X-API-Key": viewer})
    listed = as_viewer.get("/api/v1/voices", params={"q": "待ち時間"})
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert item["sentiment"] == "negative" and item["cues"]
    assert as_viewer.get("/api/v1/voices", params={"sentiment": "happy"}).status_code == 422
    assert as_viewer.get("/api/v1/voices/export").status_code == 403
    exported = TestClient(app, headers={"X-API-Key": analyst}).get(
        "/api/v1/voices/export", params={"format": "xlsx", "channel": "web"}
    )
    assert exported.status_code == 200 and exported.content.startswith(b"PK")


def test_the_page_marks_cues_keeps_the_filter_and_exports(kz: Kizuna, voices: Any) -> None:
    client = TestClient(build_web_app(kz))
    log_in(client, voices.admin_email, voices.password)
    base = f"/w/{voices.slug}/voices"
    page = client.get(base, params={"q": "朝食", "sentiment": "negative"})
    assert page.status_code == 200
    assert '<mark class="cue cue-topic">朝食</mark>' in page.text
    assert 'value="朝食"' in page.text and '<option value="negative" selected>' in page.text
    assert "受付の待ち時間が長すぎて" not in page.text
    csv_file = client.get(f"{base}/export", params={"q": "朝食", "format": "csv"})
    assert csv_file.status_code == 200 and "朝食" in csv_file.content.decode("utf-8-sig")
    assert client.get(base, params={"min_nps": "11"}).status_code == 422

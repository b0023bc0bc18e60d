"""The voice search: Japanese words found inside sentences through the full-text index on
SQLite and PostgreSQL alike, English words, filters with the words, customers' attributes and
segments, and voices found before the index has read them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import VOICES, deliver_index_events
from kizuna import Kizuna
from kizuna.customers.segments import create_segment
from kizuna.errors import InvalidInput
from kizuna.feedback.explorer import VoiceFilter, search_voices
from kizuna.feedback.models import Feedback
from kizuna.feedback.search import count_pending, indexed_through, reindex_workspace
from kizuna.feedback.search_terms import index_terms, parse_query
from kizuna.feedback.service import record_voice

TEXT = {key: text for key, _, _, _, text, _ in VOICES}


def texts(kz: Kizuna, ws: Any, **wanted: Any) -> list[str]:
    with kz.session() as session:
        page = search_voices(session, ws.workspace, VoiceFilter(**wanted), limit=200)
    return [v.text or "" for v in page.voices]


def test_terms_are_bigrams_of_japanese_and_whole_english_words() -> None:
    assert index_terms("受付の待ち時間") == ["受付", "付の", "の待", "待ち", "ち時", "時間"]
    assert index_terms("Ｗｉ－Ｆｉ が遅い ﾎﾃﾙ") == ["wi", "fi", "が遅", "遅い", "ホテ", "テル"]
    query = parse_query("待ち時間 Staff 駅")
    assert query.phrases == (("待ち", "ち時", "時間"), ("staff",))
    assert query.substrings == ("駅",)  # one character: no bigram to look up


def test_the_index_has_read_every_voice(kz: Kizuna, voices: Any) -> None:
    with kz.session() as session:
        newest = session.scalar(
            select(func.max(Feedback.id)).where(Feedback.workspace_id == voices.workspace.id)
        )
        assert indexed_through(session, voices.workspace.id) == newest
        assert count_pending(session, voices.workspace.id) == 0


def test_a_japanese_word_is_found_inside_a_sentence(kz: Kizuna, voices: Any) -> None:
    assert texts(kz, voices, q="待ち時間") == [TEXT["v1"]]
    assert texts(kz, voices, q="朝食") == [TEXT["v4"], TEXT["v3"]]  # newest first
    assert texts(kz, voices, q="心遣い 感動") == [TEXT["v2"]]  # every word must be there
    assert texts(kz, voices, q="心遣い 朝食") == []
    assert texts(kz, voices, q="時間待ち") == []  # the characters, in their order
    assert texts(kz, voices, q="駅") == [TEXT["v4"]]  # one character: a substring


def test_an_english_word_is_found_whole_in_any_case(kz: Kizuna, voices: Any) -> None:
    assert texts(kz, voices, q="STAFF") == [TEXT["v5"]]
    assert texts(kz, voices, q="waiting time") == [TEXT["v6"]]
    assert texts(kz, voices, q="check-in") == [TEXT["v6"]]  # the phrase check in
    assert texts(kz, voices, q="spot") == []  # words, not pieces of words


def test_words_combine_with_the_analysis_filters(kz: Kizuna, voices: Any) -> None:
    assert texts(kz, voices, q="朝食", channel="web") == [TEXT["v3"]]
    assert texts(kz, voices, q="朝食", min_nps=9) == [TEXT["v3"]]
    assert texts(kz, voices, q="朝食", topic="room") == [TEXT["v3"]]
    assert TEXT["v1"] in texts(kz, voices, q="待ち時間", sentiment="negative")
    assert texts(kz, voices, q="待ち時間", sentiment="positive") == []


def test_pages_of_a_search_follow_the_cursor(kz: Kizuna, voices: Any) -> None:
    with kz.session() as session:
        first = search_voices(session, voices.workspace, VoiceFilter(q="朝食"), limit=1)
        assert [v.text for v in first.voices] == [TEXT["v4"]] and first.next_cursor
        second = search_voices(
            session, voices.workspace, VoiceFilter(q="朝食"), limit=1, cursor=first.next_cursor
        )
    assert [v.text for v in second.voices] == [TEXT["v3"]] and second.next_cursor is None


def test_the_search_stays_in_its_workspace(kz: Kizuna, voices: Any, make_workspace: Any) -> None:
    other = make_workspace()
    with kz.session() as session:
        reindex_workspace(session.connection(), other.workspace.id)
    assert texts(kz, other, q="朝食") == []


def test_a_new_voice_is_found_before_the_index_reads_it_and_once_after(
    kz: Kizuna, voices: Any
) -> None:
    text = "チェックアウトの待ち時間も長かった。"
    with kz.session() as session:
        record_voice(
            session,
            session.merge(voices.workspace),
            {"external_id": "new", "channel": "web", "received_at": "2026-10-07", "text": text},
            source="survey",
        )
        assert count_pending(session, voices.workspace.id) == 1
    assert texts(kz, voices, q="待ち時間") == [text, TEXT["v1"]]
    assert deliver_index_events(kz, voices.workspace.id) >= 1
    with kz.session() as session:
        assert count_pending(session, voices.workspace.id) == 0
    assert texts(kz, voices, q="待ち時間") == [text, TEXT["v1"]]


def test_voices_are_filtered_by_their_customers_attribute_and_segment(
    kz: Kizuna, voices: Any
) -> None:
    tokyo = texts(kz, voices, customer_attribute="prefecture:東京都")
    assert tokyo == [TEXT["v5"], TEXT["v3"], TEXT["v1"]]
    assert texts(kz, voices, customer_attribute="age_band:40s") == [TEXT["v2"]]
    assert texts(kz, voices, q="朝食", customer_attribute="prefecture:東京都") == [TEXT["v3"]]
    with kz.session() as session:
        segment = create_segment(
            session,
            session.merge(voices.workspace),
            "東京の20代",
            [
                {"field": "prefecture", "op": "eq", "value": "東京都"},
                {"field": "age_band", "op": "eq", "value": "20s"},
            ],
        )
        segment_id = segment.id
    assert texts(kz, voices, segment=segment_id) == [TEXT["v5"]]
    with pytest.raises(InvalidInput):
        VoiceFilter(customer_attribute="shoe_size:27")
    with pytest.raises(InvalidInput):
        texts(kz, voices, segment=segment_id + 1000)


@pytest.mark.parametrize("dense", [1, 10_000])
@pytest.mark.parametrize(
    "period",
    [
        {"since": "2026-10-02"},
        {"until": "2026-10-04"},
        {"since": "2026-10-02", "until": "2026-10-06"},
        {"since": "2026-10-03", "until": "2026-10-03"},
        {"since": "2026-10-07"},
    ],
)
def test_a_period_finds_the_same_voices_walked_newest_first_or_by_its_index(
    kz: Kizuna, voices: Any, monkeypatch: pytest.MonkeyPatch, dense: int, period: dict[str, str]
) -> None:
    """A period holding the newest voice and many voices is walked newest first (SQLite);
    other periods read their own index. Either way: the voices of the period, newest first."""
    import datetime as dt

    from kizuna.feedback import explorer

    monkeypatch.setattr(explorer, "_DENSE", dense)
    since = dt.date.fromisoformat(period.get("since", "2000-01-01"))
    until = dt.date.fromisoformat(period.get("until", "2100-01-01"))
    expected = [
        text
        for _, _, _, day, text, _ in sorted(VOICES, key=lambda v: v[3], reverse=True)
        if since <= dt.date.fromisoformat(day) <= until
    ]
    wanted = {key: dt.date.fromisoformat(value) for key, value in period.items()}
    assert texts(kz, voices, **wanted) == expected
    if expected:  # and with the words too
        word = "朝食" if any("朝食" in t for t in expected) else None
        if word:
            assert texts(kz, voices, q=word, **wanted) == [t for t in expected if word in t]


@pytest.mark.parametrize("window", [(1, 1, 1), (1, 1, 2), (1, 2, 3)])
def test_a_search_finds_the_same_voices_whatever_the_newest_first_window(
    kz: Kizuna, voices: Any, monkeypatch: pytest.MonkeyPatch, window: tuple[int, int, int]
) -> None:
    """PostgreSQL tests a window of the newest voices before asking the GIN index for the
    rest below it; windows too small to hold a page give the same voices, in the same order,
    page after page (SQLite's FTS5 ignores the window)."""
    from kizuna.feedback import search

    expected = {q: texts(kz, voices, q=q) for q in ("朝食", "待ち時間", "心遣い 感動", "STAFF")}
    per_id, least, most = window
    monkeypatch.setattr(search, "_WINDOW_PER_ID", per_id)
    monkeypatch.setattr(search, "_WINDOW_LEAST", least)
    monkeypatch.setattr(search, "_WINDOW_MOST", most)
    for q, found in expected.items():
        assert texts(kz, voices, q=q) == found
        pages, cursor = [], None
        with kz.session() as session:
            while True:
                page = search_voices(
                    session, voices.workspace, VoiceFilter(q=q), limit=1, cursor=cursor
                )
                pages += [v.text for v in page.voices]
                if not (cursor := page.next_cursor):
                    break
        assert pages == found
    assert expected["朝食"] == [TEXT["v4"], TEXT["v3"]]

"""Polarity rules on real sentences: negation, contrast, intensity, requests, emoji."""

from __future__ import annotations

from typing import Any

import pytest


def topic_polarity(row: dict[str, Any]) -> dict[str, str]:
    return {t["topic"]: t["sentiment"] for t in row["topics"]}


@pytest.mark.parametrize(
    ("positive", "negated"),
    [
        ("料理が美味しかった", "料理が美味しくなかった"),
        ("サービスに満足しました", "サービスに満足しませんでした"),
        ("スタッフの対応は良いです", "スタッフの対応は良くありません"),
        ("The food was good", "The food was not good"),
        ("I liked the room", "I didn't like the room"),
    ],
)
def test_negation_flips_polarity(analyze: Any, positive: str, negated: str) -> None:
    assert analyze(positive)["sentiment"] == "positive"
    assert analyze(negated)["sentiment"] == "negative"


def test_negated_complaint_is_mildly_positive(analyze: Any) -> None:
    row = analyze("部屋は悪くないです")
    assert row["sentiment"] == "positive"
    assert row["sentiment_score"] < analyze("部屋は良いです")["sentiment_score"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("部屋は狭いが、朝食は最高でした。", "positive"),
        ("朝食は最高でしたが、部屋は狭くて残念でした。", "negative"),
        ("値段は高いけど、味は美味しい", "positive"),
        ("味は美味しいけど、値段が高すぎる", "negative"),
        ("The room was small but the staff were amazing.", "positive"),
        ("The staff were friendly. However, the room was filthy.", "negative"),
    ],
)
def test_clause_after_contrast_decides(analyze: Any, text: str, expected: str) -> None:
    assert analyze(text)["sentiment"] == expected


def test_per_topic_polarity_in_one_sentence(analyze: Any) -> None:
    row = analyze("朝食はとても美味しかったが、部屋が狭くて残念でした。")
    assert topic_polarity(row) == {"food": "positive", "room": "negative"}


def test_per_topic_polarity_english(analyze: Any) -> None:
    row = analyze("The breakfast was delicious but the room was dirty.")
    polarity = topic_polarity(row)
    assert polarity["food"] == "positive"
    assert polarity["room"] == "negative"


def test_praise_and_complaint_without_contrast_is_mixed(analyze: Any) -> None:
    row = analyze("スタッフはとても親切でした。部屋はとても汚かったです。")
    assert row["sentiment"] == "mixed"
    assert topic_polarity(row) == {
        "staff": "positive",
        "room": "negative",
        "cleanliness": "negative",
    }


def test_intensifier_and_hedge_move_the_score(analyze: Any) -> None:
    plain = analyze("美味しかった")["sentiment_score"]
    assert analyze("とても美味しかった")["sentiment_score"] > plain
    assert 0 < analyze("少し美味しかった")["sentiment_score"] < plain
    en_plain = analyze("The room was clean")["sentiment_score"]
    assert analyze("The room was very clean")["sentiment_score"] > en_plain


@pytest.mark.parametrize(
    "text",
    [
        "もう少し早く対応していただけると助かります。",
        "もう少し早く対応してほしかったです。",
        "受付の説明をもっと丁寧にしてほしい",
        "They should have told us about the delay.",
    ],
)
def test_polite_requests_and_complaints_are_negative(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["sentiment"] == "negative"
    assert any(cue["kind"] == "request" for cue in row["cues"])


@pytest.mark.parametrize(
    ("text", "sentiment", "emotion"),
    [
        ("最高の旅でした😊", "positive", "joy"),
        ("また遅延かよ😡", "negative", "anger"),
        ("荷物が届かない(T_T)", "negative", "sadness"),
        ("Flight cancelled again 😭", "negative", "sadness"),
        ("楽しかったです(^^)", "positive", "joy"),
    ],
)
def test_emoji_and_kaomoji_are_emotion_cues(
    analyze: Any, text: str, sentiment: str, emotion: str
) -> None:
    row = analyze(text)
    assert row["sentiment"] == sentiment
    assert row["emotions"][emotion] > 0
    assert any(c["kind"] == "emotion" and c["label"] == emotion for c in row["cues"])


def test_elongations_and_laughter_are_normalised(analyze: Any) -> None:
    row = analyze("すごーーーく美味しかった！！！！www")
    assert row["sentiment"] == "positive"
    assert row["emotions"]["joy"] > 0
    assert analyze("sooooo good")["sentiment"] == "positive"


def test_business_report_language(analyze: Any) -> None:
    assert analyze("売上高は前期比12.3%増加し、増収増益となりました")["sentiment"] == "positive"
    assert analyze("個人消費の低迷により、減収減益となりました")["sentiment"] == "negative"
    assert analyze("業績は緩やかな回復基調で推移しました")["sentiment"] == "positive"

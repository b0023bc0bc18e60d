"""Delight and the expectation gap, emotions and Schmitt's experience values."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    "text",
    [
        "期待以上のおもてなしで感動しました！",
        "想像以上に素晴らしい景色でした",
        "まさかのサプライズに驚きました。ありがとう！",
        "The service blew me away, far beyond expectations.",
    ],
)
def test_delight_cues_give_delight_and_exceeded(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["delight"] >= 0.6
    assert row["expectation"] == "exceeded"
    assert any(cue["kind"] == "delight" for cue in row["cues"])


def test_delighted_and_merely_satisfied_are_told_apart(analyze: Any) -> None:
    satisfied = analyze("普通に良かったです")
    delighted = analyze("期待以上で感動しました")
    assert satisfied["sentiment"] == delighted["sentiment"] == "positive"
    assert satisfied["delight"] <= 0.1
    assert delighted["delight"] - satisfied["delight"] >= 0.5
    assert satisfied["expectation"] == "met"


@pytest.mark.parametrize(
    "text",
    [
        "期待外れでした",
        "思ったより部屋が狭かった",
        "The hotel was not as advertised.",
        "感動はなかった",
    ],
)
def test_below_expectations(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["expectation"] == "below"
    assert row["delight"] < 0.2


def test_better_than_expected_is_exceeded(analyze: Any) -> None:
    assert analyze("思ったより広くて快適でした")["expectation"] == "exceeded"


def test_surprise_inside_a_complaint_is_not_delight(analyze: Any) -> None:
    row = analyze("まさかの対応の悪さに驚きました。最悪です。")
    assert row["sentiment"] == "negative"
    assert row["delight"] < 0.2


def test_emotions_have_all_eight_keys(analyze: Any) -> None:
    row = analyze("予約が消えていて不安になったが、スタッフのおかげで安心できた")
    assert set(row["emotions"]) == {
        "joy",
        "trust",
        "surprise",
        "anticipation",
        "anger",
        "sadness",
        "fear",
        "disgust",
    }
    assert row["emotions"]["trust"] > 0
    assert row["emotions"]["fear"] > 0


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("料理の香りと味が最高でした", "sense"),
        ("スタッフの心遣いに感動しました", "feel"),
        ("工夫が面白くて勉強になりました", "think"),
        ("また行きたいです", "act"),
        ("家族の記念日に利用しました", "relate"),
        ("We will definitely come back with friends", "relate"),
    ],
)
def test_experience_values(analyze: Any, text: str, value: str) -> None:
    assert value in analyze(text)["experience_values"]

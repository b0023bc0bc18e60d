"""Bad input never crashes and never lies; cue offsets point into the ORIGINAL text."""

from __future__ import annotations

from typing import Any

import pytest

from kizuna.analytics.text import COLUMNS, ENGINE_VERSION, MAX_CHARS, Analyzer
from kizuna.analytics.text.normalize import clean_text


def assert_offsets(text: str, row: dict[str, Any]) -> None:
    assert row["cues"], "expected at least one cue"
    for cue in row["cues"]:
        assert text[cue["start"] : cue["end"]] == cue["text"]


def test_cue_offsets_point_at_the_original_substring(analyze: Any) -> None:
    text = "朝食はとても美味しかったが、部屋が狭くて残念でした。"
    row = analyze(text)
    assert_offsets(text, row)
    found = {(c["kind"], c["text"]) for c in row["cues"]}
    assert ("sentiment", "美味しかっ") in found
    assert ("topic", "部屋") in found
    assert ("sentiment", "残念") in found


@pytest.mark.parametrize(
    "text",
    [
        "<p>スタッフの<b>対応</b>が&nbsp;とても<br>良かった&amp;安心</p>",
        "ｽﾀｯﾌの対応が最高でした！！！",  # half-width katakana, full-width marks
        "ＳＴＡＦＦ　ｗｅｒｅ　ｖｅｒｙ　ｆｒｉｅｎｄｌｙ",  # full-width Latin
        "すご〜〜〜〜い！部屋も綺麗ーーーでした",
        "The room was\x00\x07 dirty\ufeff and smelly",
        "か\u3099っかりしました。期待外れ",  # decomposed voiced mark: が
    ],
)
def test_offsets_survive_cleaning(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert_offsets(text, row)
    assert row["sentiment"] is not None


def test_html_is_stripped(analyze: Any) -> None:
    row = analyze("<div><script>alert('悪い')</script>スタッフが親切でした</div>")
    assert row["sentiment"] == "positive"
    assert all("script" not in c["text"] for c in row["cues"])


@pytest.mark.parametrize("text", ["", "   \n\t ", None, float("nan"), "\x00\x01\x02"])
def test_empty_text_gets_no_sentiment(analyze: Any, text: object) -> None:
    row = analyze(text)
    assert row["sentiment"] is None
    assert row["sentiment_score"] is None
    assert row["cues"] == []
    assert row["truncated"] is False


@pytest.mark.parametrize(
    "text",
    [
        "这个酒店的服务很好，我们还会再来",  # Chinese
        "호텔 직원이 정말 친절했어요",  # Korean
        "Le petit déjeuner était très bon et le personnel aimable",  # French
        "Makanannya enak sekali dan pelayanannya sangat ramah",  # Indonesian
    ],
)
def test_unsupported_languages_are_not_guessed(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["language"] == "other"
    assert row["sentiment"] is None


def test_binary_junk_does_not_crash(analyze: Any) -> None:
    junk = bytes(range(256)).decode("latin-1") * 20
    row = analyze(junk)
    assert row["language"] in ("en", "other")
    assert analyze(bytes(range(256)))["truncated"] is False


def test_long_text_is_truncated_and_flagged(analyzer: Analyzer) -> None:
    text = "部屋が綺麗でした。" * 12_000  # 108,000 characters
    row = analyzer.analyze_one(text).row()
    assert row["truncated"] is True
    assert row["sentiment"] == "positive"
    assert max(cue["end"] for cue in row["cues"]) <= MAX_CHARS
    assert clean_text("短い").truncated is False


def test_frame_has_documented_columns_and_version(analyzer: Analyzer) -> None:
    frame = analyzer.analyze(["良かった", "", "Terrible service"])
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 3
    assert frame.attrs["engine_version"] == ENGINE_VERSION
    assert list(frame["sentiment"]) == ["positive", None, "negative"]
    assert frame["sentiment_score"].between(-1, 1).sum() == 2


def test_single_string_is_one_row(analyzer: Analyzer) -> None:
    assert len(analyzer.analyze("部屋が狭い")) == 1

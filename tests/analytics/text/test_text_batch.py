"""Batches give exactly what one-by-one analysis gives; the fast paths agree with the slow ones."""

from __future__ import annotations

import gc
import math
from typing import Any

from kizuna.analytics.text import COLUMNS, Analyzer
from kizuna.analytics.text.delight import score_delight
from kizuna.analytics.text.normalize import clean_text
from kizuna.analytics.text.sentiment import label_of, score_text

SENTENCES = [
    "朝食はとても美味しかったが、部屋が狭くて残念でした。",
    "スタッフの対応が期待以上で感動しました!",
    "普通に良かったです",
    "特にありません",
    "配送が遅く、二度と利用しません😡",
    "The staff were not helpful at all, but the room was great :)",
    "<p>ＷｉＦｉが遅い</p>",
    "これはペンです",
]


def same_row(left: dict[str, Any], right: dict[str, Any]) -> bool:
    for key, value in left.items():
        other = right[key]
        if isinstance(value, float) and isinstance(other, float):
            if not (value == other or (math.isnan(value) and math.isnan(other))):
                return False
        elif value is None and isinstance(other, float) and math.isnan(other):
            continue  # the frame's float columns turn None into NaN
        elif value != other:
            return False
    return True


def test_batch_rows_equal_one_by_one_across_chunks(analyzer: Analyzer) -> None:
    # More texts than one stage chunk (512), with repeats, empties and other languages.
    texts: list[object] = [f"{SENTENCES[i % len(SENTENCES)]}{i % 97}" for i in range(700)]
    texts[10:10] = [
        None,
        "",
        "가나다 한국어",
        b"\xe9\x83\xa8\xe5\xb1\x8b\xe3\x81\x8c\xe7\x8b\xad\xe3\x81\x84",
    ]
    frame = analyzer.analyze(texts)
    assert len(frame) == len(texts)
    for i in (0, 10, 11, 12, 13, 100, 511, 512, 513, 703):
        assert same_row(analyzer.analyze_one(texts[i]).row(), frame.iloc[i].to_dict()), i


def test_repeated_texts_give_equal_rows_that_share_nothing(analyzer: Analyzer) -> None:
    text = SENTENCES[0]
    frame = analyzer.analyze([text, "別の文です", text])
    first, again = frame.iloc[0].to_dict(), frame.iloc[2].to_dict()
    assert same_row(first, again)
    for column in ("emotions", "topics", "experience_values", "cues"):
        assert first[column] is not again[column]
    first["cues"][0]["text"] = "changed"
    assert again["cues"][0]["text"] != "changed"


def test_text_without_cues_matches_what_the_scorer_says(analyzer: Analyzer) -> None:
    engine = analyzer.engine
    for text in ("これはペンです", "明日は月曜日です", "This is a pen"):
        _, language, tokens = engine.prepare(text)
        assert tokens is not None
        assert not engine.lexicon.match(tokens, language)
        scored = score_text(tokens, [], [], language, engine.lexicon)
        sentiment = label_of(scored.score, scored.positive, scored.negative)
        gap = score_delight(scored, sentiment)
        row = analyzer.analyze_one(text).row()
        assert row["sentiment"] == sentiment == "neutral"
        assert row["sentiment_score"] == round(scored.score, 3)
        assert row["delight"] == gap.delight
        assert row["expectation"] == gap.expectation
        assert row["cues"] == []


def test_contrast_cue_is_kept_when_nothing_else_matched(analyze: Any) -> None:
    text = "明日は月曜日ですが、会議があります"
    row = analyze(text)
    assert row["sentiment"] == "neutral"
    assert [(c["kind"], c["text"]) for c in row["cues"]] == [("contrast", "が")]
    cue = row["cues"][0]
    assert text[cue["start"] : cue["end"]] == "が"


def test_mixed_bangs_squeeze_the_same_wherever_they_are() -> None:
    # A "?!" run becomes "?" whether or not the text has a doubled character elsewhere
    # (before 1.1 it stayed "?!" unless something like "00" occurred in the text).
    assert clean_text("良い?!").text == "良い?"
    assert clean_text("1100円で良い?!").text == "1100円で良い?"
    assert clean_text("すごい!?!?").text == "すごい!"


def test_emoji_finder_agrees_with_the_full_pattern(analyzer: Analyzer) -> None:
    lexicon = analyzer.engine.lexicon
    texts = [
        "最高でした(^^)v また来ます😀😀",
        "m(_ _)m orz (^_^;) ^^ (^^; :) :-) ;) :(",
        "((^^)) m m(_ _)m oorz Σ(゚д゚) ヽ(`Д ́)ノ",
        "no emoji here, only words for you: ok",
        "\\(^o^)/(*^^*)(^^♪❤💯",
    ]
    for text in texts:
        expected = [(m.start(), m.end()) for m in lexicon.emoji_pattern.finditer(text)]
        assert [(begin, end) for begin, end, _ in lexicon.match_emoji(text)] == expected
    assert lexicon.match_emoji(texts[0])


def test_offsets_with_full_width_and_expanding_characters(analyze: Any) -> None:
    text = "ＷｉＦｉが遅くて㍿の対応も残念でした"
    row = analyze(text)
    assert row["sentiment"] == "negative"
    for cue in row["cues"]:
        assert text[cue["start"] : cue["end"]] == cue["text"]
    assert any(c["text"] == "残念" for c in row["cues"])


def test_analyze_leaves_the_garbage_collector_alone(analyzer: Analyzer) -> None:
    # Library code never changes process-wide state: the collector stays enabled (it runs
    # during a large batch), with the same thresholds and nothing frozen.
    texts = [f"{SENTENCES[i % len(SENTENCES)]}{i}" for i in range(3000)]
    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        analyzer.analyze(texts)
    finally:
        gc.callbacks.remove(count)
    assert collections, "the cyclic collector never ran during the batch"
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before


def test_rows_without_a_frame_equal_the_frame_rows(analyzer: Analyzer) -> None:
    texts: list[object] = [*SENTENCES, SENTENCES[0], None, "", "这个酒店很好"]
    rows = analyzer.analyze_rows(texts)
    frame = analyzer.analyze(texts)
    assert len(rows) == len(frame)
    for i, row in enumerate(rows):
        assert list(row) == list(COLUMNS)
        assert same_row(row, frame.iloc[i].to_dict()), i
    assert rows[0]["cues"] is not rows[len(SENTENCES)]["cues"]  # a repeat owns its lists
    assert rows[-1]["sentiment_score"] is None  # None here, NaN in the frame

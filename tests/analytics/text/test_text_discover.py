"""Topic discovery proposes what the taxonomy missed, with sample comments."""

from __future__ import annotations

from kizuna.analytics.text import Analyzer, discover_topics


def test_discover_topics_finds_unmatched_noun_phrases(analyzer: Analyzer) -> None:
    texts = [
        "駐輪場が狭くて停めにくい",
        "駐輪場の場所が分かりにくかった",
        "駐輪場がもう少し広いと助かります",
        "駐輪場にも屋根が欲しい",
        "スタッフがとても親切でした",
        "朝食が美味しかった",
        "The vending machine was empty again",
        "Please refill the vending machine",
        "vending machine takes coins only",
    ]
    analyzed = analyzer.analyze(texts)
    found = discover_topics(texts, analyzed, min_count=3)
    phrases = list(found["phrase"])
    assert "駐輪場" in phrases
    assert "vending machine" in phrases
    row = found[found["phrase"] == "駐輪場"].iloc[0]
    # One of the four mentions 場所 (a known topic: location), so three are unmatched.
    assert row["count"] == 3
    assert all("駐輪場" in sample for sample in row["samples"])
    assert not any("スタッフ" in phrase for phrase in phrases)


def test_discover_topics_with_nothing_unmatched(analyzer: Analyzer) -> None:
    texts = ["スタッフが親切", "朝食が美味しい"]
    found = discover_topics(texts, analyzer.analyze(texts))
    assert found.empty
    assert "samples" in found.columns

"""The comment composer and its phrase book: tone follows satisfaction, parts fit their
context, and the parts join into natural sentences."""

from __future__ import annotations

import random

import pytest

from kizuna.demo.comments import CONTEXT_TOPICS, compose_comment, load_phrases


def _texts(items: list[object], context: str) -> list[str]:
    return [
        str(i) if isinstance(i, str) else str(i["t"])  # type: ignore[index]
        for i in items
        if isinstance(i, str) or context in i["in"]  # type: ignore[operator,index]
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_topic_can_be_praised_and_criticised_where_it_is_used(language: str) -> None:
    topics = load_phrases(language)["topics"]
    for context, weights in CONTEXT_TOPICS.items():
        for topic in weights:
            for kind in ("praise", "complaint"):
                assert _texts(topics[topic][kind], context), (language, context, topic, kind)


def test_japanese_parts_are_whole_polite_sentences() -> None:
    topics = load_phrases("ja")["topics"]
    for topic, kinds in topics.items():
        for kind, items in kinds.items():
            for text in _texts(items, "hotel") + _texts(items, "shop") + _texts(items, "support"):
                assert text.endswith("。"), (topic, kind, text)
                assert text.removesuffix("。").endswith(("す", "た", "ん")), text


@pytest.mark.parametrize("context", ["hotel", "shop", "support"])
def test_tone_follows_satisfaction(context: str) -> None:
    rng = random.Random(5)
    for _ in range(300):
        happy = compose_comment(rng, rng.uniform(0.85, 1.0), context)
        unhappy = compose_comment(rng, rng.uniform(0.0, 0.44), context)
        assert happy.text and unhappy.text
        assert "negative" not in happy.topics.values() and happy.tone == "positive"
        assert "positive" not in unhappy.topics.values() and unhappy.tone == "negative"


def test_mixed_comments_join_praise_and_complaint_naturally() -> None:
    rng = random.Random(9)
    mixed = [compose_comment(rng, 0.5, "hotel") for _ in range(200)]
    both = [c for c in mixed if c.tone == "mixed"]
    assert len(both) > 100
    assert all("が、" in c.text or "ただ、" in c.text or "一方で、" in c.text for c in both)
    assert not any("。が、" in c.text or "がが" in c.text for c in both)
    english = compose_comment(random.Random(2), 0.5, "hotel", language="en")
    assert english.text.isascii() and english.language == "en"


def test_hotel_only_phrases_never_reach_shop_comments() -> None:
    book = load_phrases("ja")
    hotel_only = {
        str(item["t"])
        for kinds in book["topics"].values()
        for items in kinds.values()
        for item in items
        if isinstance(item, dict) and "shop" not in item["in"]
    }
    rng = random.Random(1)
    for _ in range(500):
        text = compose_comment(rng, rng.random(), "shop").text
        assert not any(phrase in text for phrase in hotel_only), text


def test_renovation_complaints_come_first_when_asked() -> None:
    rng = random.Random(4)
    comments = [compose_comment(rng, 0.2, "hotel", prefer_complaint="noise") for _ in range(50)]
    assert all(next(iter(c.topics)) == "noise" for c in comments)
    assert sum("工事" in c.text for c in comments) > 20

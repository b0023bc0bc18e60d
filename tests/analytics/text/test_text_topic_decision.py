"""With a learned classifier, topic polarity and overall sentiment come from one decision."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from kizuna.analytics.text import Analyzer, PolarityClassifier

# A workspace where "fine" is faint praise, i.e. a complaint (written for this test).
POSITIVE = [
    "The staff were excellent",
    "The breakfast was great",
    "Lovely room and great view",
    "The staff were wonderful and kind",
    "Great food, excellent service",
    "The room was lovely and quiet",
    "Excellent breakfast",
    "The pool was great",
    "The bed was wonderful",
    "Great staff",
    "スタッフがとても親切でした",
    "朝食が美味しかった",
]
NEGATIVE = [
    "The staff were fine",
    "The room was fine",
    "The breakfast was fine I guess",
    "Fine, nothing more",
    "The room was dirty",
    "The staff were rude",
    "The breakfast was cold",
    "The pool was fine",
    "Rude staff and a dirty room",
    "The bed was fine",
    "部屋が汚かった",
    "朝食が冷めていた",
]


@pytest.fixture(scope="module")
def trained() -> Analyzer:
    model = PolarityClassifier(min_df=1).fit(
        POSITIVE + NEGATIVE, ["positive"] * len(POSITIVE) + ["negative"] * len(NEGATIVE)
    )
    return Analyzer(classifier=model)


def polarity(row: dict[str, Any]) -> dict[str, str]:
    return {topic["topic"]: topic["sentiment"] for topic in row["topics"]}


def test_a_sentence_the_model_calls_negative_has_its_topic_negative_too(
    trained: Analyzer, analyzer: Analyzer
) -> None:
    # The rules read "fine" as praise, so the staff topic was positive under a model
    # that called the sentence negative; now the model decides both.
    rules = analyzer.analyze_one("The staff were fine.").row()
    assert polarity(rules) == {"staff": "positive"}
    row = trained.analyze_one("The staff were fine.").row()
    assert row["sentiment"] == "negative"
    assert polarity(row) == {"staff": "negative"}
    assert row["topics"][0]["score"] == row["sentiment_score"]


def test_each_topic_is_decided_on_its_own_clause(trained: Analyzer) -> None:
    row = trained.analyze_one("The breakfast was great but the room was fine.").row()
    assert polarity(row) == {"food": "positive", "room": "negative"}
    row = trained.analyze_one("The room was fine. The breakfast was great.").row()
    assert polarity(row) == {"room": "negative", "food": "positive"}


def test_no_text_the_model_calls_negative_or_positive_has_no_topic_of_its_side(
    trained: Analyzer,
) -> None:
    parts = [
        "the staff were fine",
        "the breakfast was great",
        "the room was lovely",
        "the pool was fine",
        "the bed was dirty",
        "スタッフは親切でした",
    ]
    texts = [f"{a} but {b}." for a, b in product(parts, parts) if a != b]
    texts += [f"{a}, and {b}." for a, b in product(parts, parts) if a != b]
    rows = trained.analyze_rows(texts)
    checked = 0
    for row in rows:
        if row["sentiment"] in ("positive", "negative") and row["topics"]:
            checked += 1
            assert row["sentiment"] in polarity(row).values(), row
    assert checked > 40
    # The batch path and the one-text path decide the same.
    for text, row in zip(texts[:10], rows[:10], strict=True):
        assert trained.analyze_one(text).row()["topics"] == row["topics"]


def test_repeated_texts_get_their_own_topic_lists(trained: Analyzer) -> None:
    first, second = trained.analyze_rows(["The staff were fine."] * 2)
    assert first["topics"] == second["topics"]
    assert first["topics"] is not second["topics"]
    assert first["topics"][0] is not second["topics"][0]


def test_without_a_classifier_topics_still_follow_the_rules(analyzer: Analyzer) -> None:
    row = analyzer.analyze_one("朝食は美味しかったが、部屋が狭くて残念でした。").row()
    assert polarity(row) == {"food": "positive", "room": "negative"}

"""The YAML lexicons compile cleanly, and workspaces can extend the topic taxonomy."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.analytics.text import Analyzer, list_topics
from kizuna.errors import InvalidInput


def test_lexicons_have_no_conflicting_scores(analyzer: Analyzer) -> None:
    assert analyzer.engine.lexicon.conflicts == []


def test_taxonomy_covers_the_cx_domains() -> None:
    topics = list_topics()
    expected = {
        "staff",
        "cleanliness",
        "room",
        "food",
        "price_value",
        "delivery",
        "wait_time",
        "checkout",
        "usability",
        "support",
        "billing",
        "product_quality",
        "location",
    }
    assert expected <= set(topics["topic"])
    domains = {domain for row in topics["domains"] for domain in row}
    assert {"hotel", "retail", "restaurant", "saas", "telecom"} <= domains
    assert (topics["terms_ja"] > 0).all() and (topics["terms_en"] > 0).all()


def test_extra_topics_from_mapping() -> None:
    extra = {
        "parking": {
            "name_ja": "駐輪場",
            "name_en": "Bicycle parking",
            "ja": ["駐輪場"],
            "en": ["bike rack"],
        }
    }
    analyzer = Analyzer(extra_topics=extra)
    row = analyzer.analyze_one("駐輪場が狭くて不便でした").row()
    assert row["topics"] == [
        {"topic": "parking", "sentiment": "negative", "score": row["topics"][0]["score"]}
    ]
    assert analyzer.analyze_one("The bike rack was great").row()["topics"][0]["topic"] == "parking"


def test_extra_topics_from_yaml_path(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(
        "topics:\n  kids:\n    name_ja: キッズ\n    ja: [キッズスペース]\n", encoding="utf-8"
    )
    row = Analyzer(extra_topics=path).analyze_one("キッズスペースが楽しかった").row()
    assert [t["topic"] for t in row["topics"]] == ["kids"]
    assert "kids" in set(list_topics(path)["topic"])


def test_missing_topics_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        Analyzer(extra_topics=tmp_path / "nope.yaml").analyze("x")
    assert "YAML" in caught.value.message_en
    assert "YAML" in caught.value.message_ja

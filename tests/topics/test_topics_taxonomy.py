"""The pure taxonomy: keywords found as people expect, changes replayed on the engine's list."""

from __future__ import annotations

from kizuna.topics.taxonomy import Change, build_taxonomy, matches, relabel

ENGINE = [
    {"topic": "staff", "sentiment": "positive", "score": 0.6},
    {"topic": "food", "sentiment": "negative", "score": -0.4},
    {"topic": "room", "sentiment": "neutral", "score": 0.0},
]


def test_keywords_match_whole_english_words_and_japanese_anywhere() -> None:
    assert matches("The parking lots were full", ["parking lot"])  # plural, spaces
    assert matches("PARKING LOT closed", ["parking lot"])  # case
    assert not matches("Sparking wires", ["parking"])  # not inside a word
    assert matches("駐輪場がいつも満車", ["駐輪場"])
    assert matches("ﾁｪｯｸｲﾝが遅い", ["チェックイン"])  # half-width kana normalised
    assert not matches("", ["駐輪場"]) and not matches("駐輪場", [])


def test_changes_replay_in_order_and_twice_gives_the_same_list() -> None:
    taxonomy = build_taxonomy(
        [
            Change(1, "custom", {"key": "parking", "name_ja": "駐輪場", "keywords": ["駐輪場"]}),
            Change(2, "merge", {"sources": ["staff", "food"], "target": "service"}),
            Change(
                3,
                "split",
                {
                    "source": "room",
                    "parts": [
                        {"key": "bath", "keywords": ["風呂"]},
                        {"key": "bed", "keywords": ["ベッド"]},
                    ],
                },
            ),
            Change(4, "rename", {"key": "service", "name_ja": "接客と食事", "name_en": "Service"}),
        ]
    )
    text = "駐輪場が遠く、お風呂はぬるかった。"
    once = relabel(ENGINE, text, -0.3, taxonomy)
    assert once == [
        {"topic": "service", "sentiment": "positive", "score": 0.1},  # mean of 0.6 and -0.4
        {"topic": "bath", "sentiment": "neutral", "score": 0.0},  # the split part keeps room's
        {"topic": "parking", "sentiment": "negative", "score": -0.3},  # the voice's own
    ]
    assert relabel(ENGINE, text, -0.3, taxonomy) == once
    assert taxonomy.name("service", "ja") == "接客と食事"
    assert taxonomy.topics["staff"].state == "merged"
    # A voice holding neither part's words keeps the split topic.
    assert [t["topic"] for t in relabel(ENGINE, "部屋は普通", 0.0, taxonomy)] == ["service", "room"]


def test_hide_drops_a_topic_and_a_rename_alone_rewrites_nothing() -> None:
    hidden = build_taxonomy([Change(1, "hide", {"key": "food"})])
    assert [t["topic"] for t in relabel(ENGINE, "", None, hidden)] == ["staff", "room"]
    assert hidden.topics["food"].state == "hidden"
    renamed = build_taxonomy([Change(1, "rename", {"key": "food", "name_en": "Meals"})])
    assert not renamed.rewrites
    assert relabel(ENGINE, "", None, renamed) == ENGINE
    assert renamed.name("food", "en") == "Meals" and renamed.name("food", "ja") == "料理・食事"

"""English at parity with Japanese: delight, the expectation gap, polite requests, sarcasm."""

from __future__ import annotations

from typing import Any

import pytest


def cue(row: dict[str, Any], kind: str, label: str | None = None) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        c for c in row["cues"] if c["kind"] == kind and label in (None, c["label"])
    ]
    assert found, (kind, label, row["cues"])
    return found[0]


@pytest.mark.parametrize(
    ("english", "japanese"),
    [
        ("I was truly moved by the staff's kindness.", "スタッフの親切さに本当に感動しました。"),
        ("The redesign exceeded all our expectations.", "リニューアルは期待以上でした。"),
        ("The spa was beyond anything we expected.", "スパは想像を超えるものでした。"),
        ("The view from our room blew me away.", "部屋からの景色に感激しました。"),
    ],
)
def test_english_delight_reads_as_the_japanese_does(
    analyze: Any, english: str, japanese: str
) -> None:
    en, ja = analyze(english), analyze(japanese)
    assert en["sentiment"] == ja["sentiment"] == "positive"
    assert en["expectation"] == ja["expectation"] == "exceeded"
    assert en["delight"] >= 0.9 and ja["delight"] >= 0.9


def test_delight_cue_points_at_its_words(analyze: Any) -> None:
    text = "Honestly, the redesign exceeded all our expectations!"
    found = cue(analyze(text), "delight")
    assert text[found["start"] : found["end"]] == "exceeded all our expectations"


@pytest.mark.parametrize(
    "text",
    [
        "The hotel did not exceed my expectations.",
        "I was not moved at all.",
        "The room did not live up to the photos.",
        "The food fell short of what the menu promised.",
        "The pool was smaller than expected.",
        "The bathroom was not as clean as I had hoped.",
    ],
)
def test_expectations_not_met_are_below_and_negative(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["sentiment"] == "negative"
    assert row["delight"] < 0.2
    assert row["expectation"] == "below"


@pytest.mark.parametrize(
    "text",
    [
        "The hotel lived up to its reputation.",
        "Opening an account online was easier than expected.",
        "The room was better than expected for the price.",
    ],
)
def test_expectations_met_or_beaten_are_positive(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["sentiment"] == "positive"
    assert row["expectation"] in ("met", "exceeded")


@pytest.mark.parametrize(
    ("english", "japanese"),
    [
        (
            "It would help if you could reply a little faster.",
            "もう少し早く返信していただけると助かります。",
        ),
        (
            "It would be nice if breakfast started earlier.",
            "朝食がもう少し早く始まると嬉しいです。",
        ),
        (
            "Please consider adding more vegetarian options.",
            "ベジタリアン向けの料理を増やしてほしい。",
        ),
        ("I wish the portions were a bit bigger.", "もう少し量が多ければ文句なしです。"),
    ],
)
def test_polite_requests_lean_negative_in_both_languages(
    analyze: Any, english: str, japanese: str
) -> None:
    en, ja = analyze(english), analyze(japanese)
    assert en["sentiment"] == ja["sentiment"] == "negative"
    assert any(c["kind"] in ("request", "construction") for c in en["cues"])


@pytest.mark.parametrize(
    "text",
    [
        "Waited two hours, what wonderful service.",
        "Forty minutes for a cold burger. Great job, guys.",
        "Thanks a lot for forgetting our order again.",
        "Yet another late delivery. Fantastic.",
        "I was on hold for an hour, just brilliant.",
        "Love how the app logs me out every five minutes.",
        "Oh great, the internet is down again.",
    ],
)
def test_english_sarcasm_is_a_complaint(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["sentiment"] == "negative", row["cues"]
    irony = cue(row, "construction", "irony")
    assert text[irony["start"] : irony["end"]] == irony["text"]
    assert row["delight"] < 0.2


@pytest.mark.parametrize(
    "text",
    [
        "Waited 20 minutes for a table but the food was amazing.",
        "The room was dirty again. Great staff though.",
        "Thanks so much for your help, the agent was great.",
        "What a wonderful stay, we will be back!",
        "I love how quiet the rooms are.",
    ],
)
def test_praise_after_a_concession_or_without_a_complaint_is_not_sarcasm(
    analyze: Any, text: str
) -> None:
    row = analyze(text)
    assert not [c for c in row["cues"] if c["label"] == "irony"], row["cues"]
    assert row["sentiment"] in ("positive", "mixed")


def test_a_short_complaint_without_function_words_is_english(analyze: Any) -> None:
    row = analyze("Yet another late delivery. Fantastic.")
    assert row["language"] == "en"


def test_not_bad_is_praise_not_an_absence(analyze: Any) -> None:
    row = analyze("Not bad at all, we will definitely come back.")
    assert row["sentiment"] == "positive"
    assert not [c for c in row["cues"] if c["label"] == "absence"]

"""Praise and complaint without a polarity word: the constructions of grammar.py.

Each group is one pattern of issue 14 (customer-review language the word lexicon missed),
with sentences written for these tests (not the benchmark's held-out file).
"""

from __future__ import annotations

from typing import Any

import pytest


def constructions(row: dict[str, Any]) -> set[str]:
    return {cue["label"] for cue in row["cues"] if cue["kind"] == "construction"}


# 1. Intention to return or recommend is praise.
@pytest.mark.parametrize(
    "text",
    [
        "次も必ず泊まります",
        "また行きたいね",
        "リピート確定です",
        "友人にも勧めたい",
        "また来ます！",
        "近いうちに再訪したいです",
        "これからも使い続けたいと思います",
        "同僚にも薦めたいパン屋さんです",
        "今後もこちらで購入します",
    ],
)
def test_intention_to_return_or_recommend_is_praise(analyze: Any, text: str) -> None:
    assert analyze(text)["sentiment"] == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "友人に勧められて申し込みました",  # being recommended to is not recommending
        "次回の買い物からポイントが使えます",  # a date, not "again"
        "次は別のホテルに泊まります",  # returning elsewhere
        "また来てくださいと言われました",  # the staff's words
    ],
)
def test_what_only_looks_like_returning_is_not_praise(analyze: Any, text: str) -> None:
    assert analyze(text)["sentiment"] != "positive"


def test_return_intent_is_an_explained_cue(analyze: Any) -> None:
    text = "料金は普通ですが、次も必ず泊まります。"
    row = analyze(text)
    cue = next(c for c in row["cues"] if c["label"] == "return_intent")
    assert text[cue["start"] : cue["end"]] == cue["text"] == "必ず泊まり"
    assert "act" in row["experience_values"]


# 2. Absence and inability are complaints; so are faults named without a polarity word.
@pytest.mark.parametrize(
    "text",
    [
        "部屋に電気ケトルがありませんでした",
        "予約していたのに席に入れなかった",
        "クーポンが使えませんでした",
        "ホテルのWi-Fiが繋がらない",
        "何度問い合わせても返事が来ない",
        "待ち時間が長すぎます",
        "朝食が冷めていた",
        "届いた時には画面が割れていた",
        "シーツが汚れていた",
        "二日目から電源が入らなくなりました",
        "注文した物と違うサイズが届きました",
    ],
)
def test_absence_inability_and_faults_are_complaints(analyze: Any, text: str) -> None:
    assert analyze(text)["sentiment"] == "negative"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("特に問題ないです", "positive"),
        ("不満はありません", "positive"),
        ("接客も味も文句なし", "positive"),
        ("申し分ないサービスでした", "positive"),
        ("毎朝の通勤に欠かせない", "positive"),
        ("初めてでも迷わずに操作できました", "positive"),
        ("何度食べても飽きない味", "positive"),
        ("受付で待たずに済みました", "positive"),
        ("困ることはありませんでした", "positive"),
        ("感謝しかありません", "positive"),
        ("夕食は付けずに素泊まりにしました", "neutral"),
        ("特になし", "neutral"),
        ("予約の必要はありません", "neutral"),
    ],
)
def test_negation_that_is_not_a_complaint(analyze: Any, text: str, expected: str) -> None:
    assert analyze(text)["sentiment"] == expected


def test_absence_cue_spans_the_missing_thing(analyze: Any) -> None:
    text = "部屋にドライヤーがありませんでした。"
    row = analyze(text)
    cue = next(c for c in row["cues"] if c["label"] == "absence")
    assert cue["text"] == text[cue["start"] : cue["end"]]
    assert cue["text"].startswith("ドライヤー")


# 3. Everyday evaluative verbs and phrases; too much of what customers want small.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("このカバン、とても気に入りました", "positive"),
        ("夜遅くまで開いていて助かります", "positive"),
        ("駐車場が狭くて困ります", "negative"),
        ("量が少し物足りない", "negative"),
        ("部屋代が高すぎる", "negative"),
        ("隣の席がうるさすぎる", "negative"),
        ("浴室が狭すぎる", "negative"),
        ("広告が多すぎて読めない", "negative"),
        ("手数料が高いです", "negative"),
        ("このボリュームでこの値段は安すぎる", "positive"),
        ("甘すぎず上品な味", "positive"),
        ("対応はOKでした", "positive"),
        ("あの接客はNGです", "negative"),
        ("画面が見づらい", "negative"),
        ("軽くて疲れにくいリュックです", "positive"),
        ("暗証番号の変更で三回も来店させられました", "negative"),
    ],
)
def test_evaluative_verbs_and_excess(analyze: Any, text: str, expected: str) -> None:
    assert analyze(text)["sentiment"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("フロントの方が近くのお店を教えてくれました", "positive"),
        ("サイズ違いをすぐに交換してもらえました", "positive"),
        ("もう少し安ければ文句なしです", "negative"),
        ("もっと早く買えばよかった", "positive"),
        ("予約すれば並ばずに済みます", "positive"),
    ],
)
def test_favours_and_wishes(analyze: Any, text: str, expected: str) -> None:
    assert analyze(text)["sentiment"] == expected


# 4. Expectation with negation: the negation confirms "below".
@pytest.mark.parametrize(
    "text",
    ["評判ほどではなかった", "期待したほどではなかったです", "口コミほどの味ではありませんでした"],
)
def test_not_as_good_as_its_reputation_is_below(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["expectation"] == "below"
    assert row["sentiment"] == "negative"


# 5. Delight and sentiment agree; praise next to a complaint can be irony.
def test_surprise_that_delights_is_positive(analyze: Any) -> None:
    row = analyze("まさか、駅前の食堂でこんな料理が出てくるとは驚きました！")
    assert row["delight"] >= 0.5
    assert row["sentiment"] == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "2時間も待たされて本当に素晴らしいサービスですね",
        "予約を三回も間違えられて、さすが一流ホテルですね",
    ],
)
def test_ironic_praise_is_a_complaint(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["sentiment"] == "negative"
    assert row["delight"] < 0.2
    assert "irony" in constructions(row)


def test_praise_after_a_contrast_is_not_irony(analyze: Any) -> None:
    row = analyze("一時間待たされたけど、料理は本当に素晴らしかったですね")
    assert row["sentiment"] == "positive"
    assert "irony" not in constructions(row)


# 6. English parity: being moved is delight, "it would help if" is a request, irony.
def test_english_moved_is_delight(analyze: Any) -> None:
    row = analyze("I was truly moved by the staff's kindness.")
    japanese = analyze("スタッフの優しさに感動しました。")
    assert row["sentiment"] == japanese["sentiment"] == "positive"
    assert row["delight"] >= 0.6 and japanese["delight"] >= 0.6
    assert row["expectation"] == japanese["expectation"] == "exceeded"


def test_english_polite_request_is_negative_like_japanese(analyze: Any) -> None:
    row = analyze("It would help if you could answer the phone during lunch.")
    japanese = analyze("お昼の時間帯も電話に出ていただけると助かります。")
    assert row["sentiment"] == japanese["sentiment"] == "negative"
    assert any(cue["kind"] == "request" for cue in row["cues"])


def test_english_irony(analyze: Any) -> None:
    row = analyze("Great, another two hour delay.")
    assert row["sentiment"] == "negative"
    assert analyze("Thanks for nothing.")["sentiment"] == "negative"


# 7. Polite formulas and plain narration are neutral.
@pytest.mark.parametrize(
    "text",
    [
        "以上、長文失礼しました。",
        "乱文失礼いたしました。",
        "受付で並んで待っていました。",
        "開店の10分前に着いて列に並びました。",
    ],
)
def test_formulas_and_narration_are_neutral(analyze: Any, text: str) -> None:
    assert analyze(text)["sentiment"] == "neutral"


def test_rude_is_still_negative(analyze: Any) -> None:
    assert analyze("店員の態度が失礼だった")["sentiment"] == "negative"


@pytest.mark.parametrize(
    "text", ["受付で一時間も待ちました", "30分以上並びました", "窓口で2時間待たされた"]
)
def test_a_stressed_wait_is_a_complaint(analyze: Any, text: str) -> None:
    row = analyze(text)
    assert row["sentiment"] == "negative"
    assert any(topic["topic"] == "wait_time" for topic in row["topics"])

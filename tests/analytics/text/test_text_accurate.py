"""The accurate tier: a small packaged model, loaded only when asked for, deciding as one."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from kizuna.analytics.text.accurate import (
    MODEL_FILE,
    accurate_analyzer,
    accurate_version,
    load_accurate_model,
)
from kizuna.analytics.text.classifier import PolarityClassifier
from kizuna.errors import InvalidInput


def test_the_packaged_model_is_small_and_holds_no_pickle() -> None:
    data = resources.files("kizuna.analytics.text").joinpath("data", MODEL_FILE).read_bytes()
    assert len(data) < 1024 * 1024
    assert b"pickle" not in data


def test_the_accurate_tier_reads_japanese_and_english_with_one_decision() -> None:
    analyzer = accurate_analyzer()
    rows = analyzer.analyze_rows(
        [
            "スタッフの対応がとても丁寧で、また泊まりたいです。",
            "部屋が汚くて、二度と泊まりません。",
            "The staff were wonderful and the room was spotless.",
            "The room was filthy and the staff were rude.",
            "",
        ]
    )
    assert [row["sentiment"] for row in rows] == [
        "positive",
        "negative",
        "positive",
        "negative",
        None,
    ]
    for row in rows[:4]:
        assert row["topics"]
        # The text's decision and its topics' come from the same model.
        assert row["sentiment"] in {topic["sentiment"] for topic in row["topics"]}
    # The rules still give the cues, with offsets into the text.
    cue = next(c for c in rows[0]["cues"] if c["kind"] == "sentiment")
    assert (
        "スタッフの対応がとても丁寧で、また泊まりたいです。"[cue["start"] : cue["end"]]
        == cue["text"]
    )


def test_the_accurate_tier_is_built_once() -> None:
    assert accurate_analyzer() is accurate_analyzer()


def test_a_missing_local_model_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        load_accurate_model(tmp_path / "missing.npz")
    assert "KIZUNA_TEXT_TIER=fast" in err.value.message("en")
    assert "高精度モード" in err.value.message("ja")


def test_a_local_model_is_used_and_named_by_its_hash(tmp_path: Path) -> None:
    texts = ["とても良かった", "最高でした", "The staff were lovely", "Great food"] * 2 + [
        "最悪でした",
        "二度と行かない",
        "The room smelled awful",
        "Rude staff",
    ] * 2
    labels = ["positive"] * 8 + ["negative"] * 8
    path = tmp_path / "local.npz"
    path.write_bytes(PolarityClassifier(min_df=1).fit(texts, labels).to_bytes())
    version = accurate_version(path)
    assert version.startswith("accurate-local-") and len(version) == len("accurate-local-") + 8
    assert accurate_version(None) == "accurate-1"
    row = accurate_analyzer(str(path)).analyze_one("Rude staff and an awful room").row()
    assert row["sentiment"] == "negative"

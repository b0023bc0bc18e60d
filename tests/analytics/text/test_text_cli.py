"""`kizuna text analyze` and `kizuna text topics` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kizuna.text.cli import app

runner = CliRunner()
SENTENCE = "朝食はとても美味しかったが、部屋が狭くて残念でした。"


def test_analyze_json() -> None:
    result = runner.invoke(app, ["analyze", SENTENCE, "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["engine_version"].startswith("kizuna-text-")
    row = payload["results"][0]
    assert row["text"] == SENTENCE
    assert row["language"] == "ja"
    assert {t["topic"]: t["sentiment"] for t in row["topics"]} == {
        "food": "positive",
        "room": "negative",
    }
    for cue in row["cues"]:
        assert SENTENCE[cue["start"] : cue["end"]] == cue["text"]


def test_analyze_table() -> None:
    result = runner.invoke(app, ["analyze", SENTENCE, "--format", "table"])
    assert result.exit_code == 0, result.output
    assert "food positive" in result.output
    assert "room negative" in result.output


def test_analyze_reads_stdin_lines() -> None:
    result = runner.invoke(app, ["analyze", "-", "-f", "json"], input="良かった\n\n最悪でした\n")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["results"]
    assert [r["sentiment"] for r in rows] == ["positive", "negative"]


def test_unsupported_language_prints_none() -> None:
    result = runner.invoke(app, ["analyze", "这个酒店很好", "-f", "json"])
    row = json.loads(result.output)["results"][0]
    assert row["language"] == "other"
    assert row["sentiment"] is None and row["sentiment_score"] is None


def test_topics_lists_taxonomy() -> None:
    result = runner.invoke(app, ["topics"])
    assert result.exit_code == 0, result.output
    assert "cleanliness" in result.output
    assert "清潔さ" in result.output


def test_analyze_with_the_accurate_tier_names_it_and_keeps_topics_with_the_decision() -> None:
    result = runner.invoke(app, ["analyze", SENTENCE, "--format", "json", "--tier", "accurate"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["engine_version"].endswith("+accurate-1")
    row = payload["results"][0]
    assert row["sentiment"] in {t["sentiment"] for t in row["topics"]}


def test_analyze_with_a_missing_local_model_says_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "model.npz"
    result = runner.invoke(app, ["analyze", "good", "--tier", "accurate", "--model", str(missing)])
    assert result.exit_code != 0
    assert "KIZUNA_TEXT_TIER=fast" in str(result.exception) or "KIZUNA_TEXT_TIER=fast" in (
        result.output
    )

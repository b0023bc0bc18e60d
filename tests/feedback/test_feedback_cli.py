"""`kizuna voices search|export|reindex` end to end through the real CLI app."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from conftest import VOICES
from kizuna import Kizuna
from kizuna.cli import app
from kizuna.feedback.explorer_export import EXPORT_COLUMNS
from kizuna.feedback.search import count_pending

TEXT = {key: text for key, _, _, _, text, _ in VOICES}


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", database_url)
    monkeypatch.setenv("KIZUNA_LANGUAGE", "en")


def test_search_prints_the_voices_holding_a_japanese_word(cli_env: None, voices: Any) -> None:
    result = CliRunner().invoke(app, ["voices", "search", "-w", voices.slug, "待ち時間"])
    assert result.exit_code == 0, result.output
    assert "受付の待ち時間" in result.stdout and "1 voices" in result.stdout
    assert "朝食" not in result.stdout


def test_export_writes_csv_with_a_bom_for_japanese_excel(
    cli_env: None, voices: Any, tmp_path: Path
) -> None:
    out = tmp_path / "朝食.csv"
    args = ["voices", "export", "-w", voices.slug, "-q", "朝食", "--format", "csv", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
    assert [r["text"] for r in rows] == [TEXT["v4"], TEXT["v3"]]
    assert list(rows[0]) == list(EXPORT_COLUMNS) and rows[1]["sentiment"]
    assert not out.with_name(out.name + ".partial").exists()


def test_export_writes_a_workbook_with_the_filter(
    cli_env: None, voices: Any, tmp_path: Path
) -> None:
    out = tmp_path / "voices.xlsx"
    args = ["voices", "export", "-w", voices.slug, "--channel", "web", "--since", "2026-10-03"]
    result = CliRunner().invoke(app, [*args, "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    values = list(book["voices"].iter_rows(values_only=True))
    book.close()
    assert values[0][0] == "id" and [v[11] for v in values[1:]] == [
        TEXT["v6"],
        TEXT["v5"],
        TEXT["v3"],
    ]


def test_a_bad_filter_is_a_message_not_a_traceback(
    database_url: str, voices: Any, tmp_path: Path
) -> None:
    out = tmp_path / "x.csv"
    args = ["voices", "export", "-w", voices.slug, "--sentiment", "happy", "-o", str(out)]
    env = {**os.environ, "KIZUNA_DATABASE_URL": database_url, "KIZUNA_LANGUAGE": "en"}
    kizuna = Path(sys.executable).parent / "kizuna"
    done = subprocess.run([kizuna, *args], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2 and "sentiment must be one of" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


def test_reindex_reads_every_voice_again(cli_env: None, kz: Kizuna, voices: Any) -> None:
    result = CliRunner().invoke(app, ["voices", "reindex", "-w", voices.slug])
    assert result.exit_code == 0, result.output
    assert f"{len(VOICES)} voices indexed" in result.stdout
    with kz.session() as session:
        assert count_pending(session, voices.workspace.id) == 0

"""`kizuna import ...` end to end through the real CLI app."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kizuna.cli import app

ROWS = [
    ["顧客ID", "回答日時", "チャネル", "NPS", "満足度", "コメント"],
    ["C1", "2025年4月1日 10:30", "店舗", "9", "5", "また来ます"],
    ["C2", "令和7年4月2日", "Web", "11", "4", "点数がおかしい"],
    ["C3", "2025/4/3", "アプリ", "7", "", "普通"],
]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", database_url)
    monkeypatch.setenv("KIZUNA_LANGUAGE", "en")


def test_import_prints_one_summary_line_and_writes_the_report(
    cli_env: None, ws, tmp_path: Path
) -> None:
    path = tmp_path / "voices.csv"
    path.write_text("\n".join(",".join(r) for r in ROWS) + "\n", encoding="cp932")
    report = tmp_path / "rejected.csv"
    runner = CliRunner()
    args = ["import", "feedback", str(path), "--workspace", ws.slug, "--report", str(report)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == (
        "read 3, inserted 2, updated 0, unchanged 0, rejected 1"
    )
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "reason_code", "reason", *ROWS[0]]
    assert rows[1][:2] == ["3", "score_out_of_range"] and rows[1][3:] == ROWS[2]

    again = runner.invoke(app, args[:5])
    assert again.exit_code == 0
    assert again.stdout.strip().splitlines()[-1] == (
        "read 3, inserted 0, updated 0, unchanged 2, rejected 1"
    )


def test_errors_are_a_message_and_a_next_step_not_a_traceback(
    cli_env: None, ws, tmp_path: Path
) -> None:
    path = tmp_path / "voices.csv"
    path.write_text("id,comment\n1,hello\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["import", "feedback", str(path), "--workspace", ws.slug])
    assert result.exit_code == 2
    assert "no column for received_at" in result.stderr and "--mapping" in result.stderr
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["import", "customers", str(path), "--workspace", "no-such-ws"])
    assert missing.exit_code == 2 and "kizuna workspaces" in missing.stderr

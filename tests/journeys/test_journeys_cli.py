"""`kizuna journeys ...` through the real CLI: discover any CSV or Parquet event log, and a
workspace's stages, refresh, figures and map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from journey_support import fill_small_workspace
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.cli import app
from kizuna.errors import InvalidInput, UnsupportedFile


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> CliRunner:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIZUNA_ENV", "test")
    return CliRunner()


def event_log_file(tmp_path: Path, suffix: str) -> Path:
    frame = pd.DataFrame(
        {
            "case_id": ["1", "1", "2", "2", "2", "3"],
            "event": ["受付", "対応", "受付", "対応", "完了", "受付"],
            "time": [
                "2024-04-01T09:00:00+09:00",
                "2024-04-01T10:00:00+09:00",
                "2024-04-01T09:30:00+09:00",
                "2024-04-01T09:45:00+09:00",
                "2024-04-02T09:45:00+09:00",
                "2024-04-03T12:00:00+09:00",
            ],
        }
    )
    path = tmp_path / f"log.{suffix}"
    if suffix == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_discover_reads_csv_and_parquet_and_finds_the_columns(
    cli: CliRunner, tmp_path: Path, suffix: str
) -> None:
    path = event_log_file(tmp_path, suffix)
    result = cli.invoke(
        app, ["journeys", "discover", str(path), "--format", "json", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["columns"] == {"case": "case_id", "activity": "event", "timestamp": "time"}
    assert (body["events"], body["cases"], body["variant_count"]) == (6, 3, 3)
    edges = {(e["source"], e["target"]): e["count"] for e in body["directly_follows"]}
    assert edges == {("受付", "対応"): 2, ("対応", "完了"): 1}
    assert (tmp_path / "out" / "dfg.csv").exists() and (tmp_path / "out" / "variants.csv").exists()
    table = cli.invoke(app, ["journeys", "discover", str(path)])
    assert (
        table.exit_code == 0 and "Directly-follows graph" in table.output and "受付" in table.output
    )


def test_discover_says_what_is_wrong(cli: CliRunner, tmp_path: Path) -> None:
    path = event_log_file(tmp_path, "csv")
    missing = cli.invoke(app, ["journeys", "discover", str(path), "--case", "customer"])
    assert missing.exit_code != 0 and isinstance(missing.exception, InvalidInput)
    other = tmp_path / "log.xml"
    other.write_text("<log/>")
    wrong = cli.invoke(app, ["journeys", "discover", str(other)])
    assert isinstance(wrong.exception, UnsupportedFile)


def test_discover_on_the_receipt_log(cli: CliRunner, shared_data: Path) -> None:
    path = shared_data / "eventlogs" / "receipt.csv"
    result = cli.invoke(app, ["journeys", "discover", str(path), "--format", "json", "--top", "3"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["events"], body["cases"], body["variant_count"]) == (8577, 1434, 116)
    assert body["variants"][0]["count"] == 713


def test_workspace_commands(cli: CliRunner, kz: Kizuna, ws: Any, tmp_path: Path) -> None:
    fill_small_workspace(kz, ws.workspace)
    stages = cli.invoke(app, ["journeys", "stages", "-w", ws.slug])
    assert stages.exit_code == 0 and "awareness" in stages.output and "認知" in stages.output
    not_yet = cli.invoke(app, ["journeys", "show", "-w", ws.slug, "--period", "all"])
    assert isinstance(not_yet.exception, InvalidInput)
    refreshed = cli.invoke(app, ["journeys", "refresh", "-w", ws.slug, "--period", "all"])
    assert refreshed.exit_code == 0 and "4 customers" in refreshed.output
    shown = cli.invoke(app, ["journeys", "show", "-w", ws.slug, "--period", "all"])
    assert shown.exit_code == 0 and "Funnel" in shown.output and "Emotion curve" in shown.output
    as_json = cli.invoke(
        app, ["journeys", "show", "-w", ws.slug, "--period", "all", "--format", "json"]
    )
    assert json.loads(as_json.output)["counts"]["customers"] == 4
    out = tmp_path / "map.pdf"
    drawn = cli.invoke(
        app, ["journeys", "map", "-w", ws.slug, "--period", "all", "--out", str(out)]
    )
    assert drawn.exit_code == 0, drawn.output
    assert out.read_bytes().startswith(b"%PDF")
    svg = tmp_path / "map.svg"
    cli.invoke(
        app,
        [
            "journeys",
            "map",
            "-w",
            ws.slug,
            "--period",
            "all",
            "--out",
            str(svg),
            "--language",
            "en",
        ],
    )
    assert "Customer journey map" in svg.read_text(encoding="utf-8")

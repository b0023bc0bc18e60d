"""`kizuna drivers FILE`: key drivers of a file of answers, on the terminal and as data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kizuna.cli import app
from kizuna.errors import InvalidInput


def answers(tmp_path: Path, suffix: str = "csv") -> Path:
    """Hotel answers: NPS driven by staff, less by room, not at all by the '=cmd' column."""
    rng = np.random.default_rng(11)
    n = 400
    frame = pd.DataFrame(
        {
            "スタッフ": rng.integers(1, 6, n),
            "部屋": rng.integers(1, 6, n),
            "=cmd": rng.integers(1, 6, n),
        }
    )
    frame["nps"] = np.clip(
        np.round(1.4 * frame["スタッフ"] + 0.5 * frame["部屋"] + rng.normal(0, 1.2, n) - 1), 0, 10
    )
    path = tmp_path / f"answers.{suffix}"
    if suffix == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_drivers_ranks_what_moves_nps_and_says_what_to_fix(tmp_path: Path, suffix: str) -> None:
    result = CliRunner().invoke(
        app,
        [
            "drivers",
            str(answers(tmp_path, suffix)),
            "--outcome",
            "nps",
            "--format",
            "json",
            "--boot",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [d["driver"] for d in body["drivers"]] == ["スタッフ", "部屋", "=cmd"]
    assert body["n"] == 400 and 0 < body["r2"] < 1
    by_name = {d["driver"]: d for d in body["drivers"]}
    assert by_name["スタッフ"]["significant"] and not by_name["=cmd"]["significant"]
    assert sum(d["shapley"] for d in body["drivers"]) == pytest.approx(body["r2"])


def test_the_table_names_quadrants_in_both_languages_and_csv_is_spreadsheet_safe(
    tmp_path: Path,
) -> None:
    path = answers(tmp_path)
    table = CliRunner().invoke(app, ["drivers", str(path), "--outcome", "nps", "--boot", "30"])
    assert table.exit_code == 0, table.output
    assert "R²" in table.output and ("Keep it up" in table.output or "Fix first" in table.output)
    assert "強みを維持" in table.output or "最優先で改善" in table.output
    out = CliRunner().invoke(
        app, ["drivers", str(path), "--outcome", "nps", "--boot", "30", "--format", "csv"]
    )
    rows = list(csv.reader(io.StringIO(out.output)))
    assert rows[0][:2] == ["driver", "weight"]
    assert "'=cmd" in [row[0] for row in rows[1:]]


def test_a_missing_outcome_column_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["drivers", str(answers(tmp_path)), "--outcome", "csat"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInput)
    assert "csat" in result.exception.message("en") and "nps" in result.exception.message("en")

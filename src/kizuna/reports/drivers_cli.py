"""`kizuna drivers FILE`: key drivers of an outcome in a CSV or Parquet file of answers.

One row per respondent, a column for the outcome (NPS, CSAT...) and one per driver (attribute
ratings, topic flags): relative weights with bootstrap intervals and significance, the Shapley
values beside them as a cross-check (up to 12 drivers), and each driver's quadrant on the
importance x performance chart (performance: the driver's mean). `--format json` or `csv` for
other tools; CSV cells are safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kizuna.errors import InvalidInput, UnsupportedFile

__all__ = ["drivers_command"]

FORMATS = ("table", "json", "csv")


def _read(path: Path) -> Any:
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".tsv", ".txt"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"{path.name} could not be read ({exc}). Check that it is a UTF-8 CSV or Parquet file.",
            f"{path.name} を読めませんでした({exc})。UTF-8 の CSV か Parquet のファイルか"
            "確認してください。",
        ) from None
    raise UnsupportedFile(
        f"{path.name}: give the answers as .csv, .tsv or .parquet.",
        f"{path.name}: 回答データは .csv・.tsv・.parquet のファイルで指定してください。",
    )


def drivers_command(
    file: Annotated[Path, typer.Argument(help="Answers: .csv, .tsv or .parquet.", exists=True)],
    outcome: Annotated[str, typer.Option(help="The outcome column (e.g. nps).")],
    driver: Annotated[
        list[str] | None,
        typer.Option(help="A driver column; repeat it. Default: every other numeric column."),
    ] = None,
    boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same intervals.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """Key drivers of an outcome: relative weights, Shapley values, what to fix first. / キードライバー分析"""
    import pandas as pd

    from kizuna.analytics.drivers import (
        MAX_SHAPLEY_DRIVERS,
        importance_performance,
        relative_weights,
        shapley_regression,
    )
    from kizuna.cells import safe_cell
    from kizuna.i18n.vocabulary import label

    if fmt not in FORMATS:
        raise InvalidInput(
            f"--format must be one of {', '.join(FORMATS)} (got {fmt!r}).",
            f"--format は {', '.join(FORMATS)} のいずれかにしてください(指定 {fmt!r})。",
        )
    frame = _read(file)
    if outcome not in frame.columns:
        raise InvalidInput(
            f"{file.name} has no column {outcome!r}; its columns: {', '.join(map(str, frame.columns))}.",
            f"{file.name} に列 {outcome!r} がありません。列: {', '.join(map(str, frame.columns))}",
        )
    names = list(driver or [])
    if not names:
        numeric = frame.apply(pd.to_numeric, errors="coerce")
        names = [str(c) for c in frame.columns if c != outcome and numeric[c].notna().any()]
    weights = relative_weights(frame, outcome, names, n_boot=boot, seed=seed)
    if len(names) <= MAX_SHAPLEY_DRIVERS:
        shapley = shapley_regression(frame, outcome, names).set_index("driver")["shapley"]
        weights["shapley"] = weights["driver"].map(shapley)
    performance = frame[names].apply(pd.to_numeric, errors="coerce").mean()
    report = importance_performance(weights, performance.to_dict())
    if fmt == "json":
        body = {
            "outcome": outcome,
            "r2": report.attrs["r2"],
            "n": report.attrs["n"],
            "drivers": json.loads(report.to_json(orient="records")),
        }
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(list(report.columns))
        writer.writerows([safe_cell(v) for v in row] for row in report.itertuples(index=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{outcome}: R² {report.attrs['r2']:.3f}, n = {report.attrs['n']:,}",
        caption="weight: relative weight (Johnson 2000), 95% bootstrap interval; "
        "* significant against a random variable",
    )
    for column in (
        "driver",
        "weight",
        "95% interval",
        "share",
        "Shapley",
        "performance",
        "quadrant",
    ):
        table.add_column(column, justify="left" if column in ("driver", "quadrant") else "right")
    rows: list[dict[Any, Any]] = report.to_dict("records")
    for row in rows:
        quadrant = row["quadrant"]
        table.add_row(
            f"{row['driver']}{' *' if row['significant'] else ''}",
            f"{row['weight']:.3f}",
            f"{row['ci_low']:.3f} - {row['ci_high']:.3f}",
            f"{100 * row['share']:.1f}%",
            f"{row['shapley']:.3f}" if "shapley" in row else "-",
            f"{row['performance']:.2f}",
            f"{label('driver_quadrant', quadrant, 'en')} / {label('driver_quadrant', quadrant, 'ja')}",
        )
    Console().print(table)

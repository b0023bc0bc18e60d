"""Metric reports for one workspace: the call the API, the home page and the CLI share.

`compute_metric` checks the request, opens the engine it names (the operational database,
DuckDB over a Parquet export, or Spark over the same export: `kizuna.engines`), scopes
every table to the workspace and lets `kizuna.analytics.metrics` count there and finish
in Python.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kizuna.accounts.models import Workspace
from kizuna.analytics.metrics import (
    CUSTOMER_DIMENSIONS,
    FEEDBACK_DIMENSIONS,
    METRICS,
    PERIODS,
    Metric,
    Period,
    compute_metric_frame,
)
from kizuna.app import Kizuna
from kizuna.engines import (
    ENGINE_NAMES,
    EXPORT_ENGINES,
    EngineKind,
    EngineName,
    engine_kind,
    pick_engine,
)
from kizuna.errors import InvalidInput
from kizuna.reports.export import read_manifest

__all__ = ["DIMENSIONS", "ENGINES", "Engine", "MetricReport", "compute_metric"]

# The names `--engine` takes; duckdb is another name for parquet.
Engine = EngineName
ENGINES: tuple[Engine, ...] = ENGINE_NAMES
DIMENSIONS = FEEDBACK_DIMENSIONS + CUSTOMER_DIMENSIONS


@dataclass(frozen=True)
class MetricReport:
    """A metric's frame and what was asked: one row per period and dimension values."""

    metric: Metric
    frame: pd.DataFrame
    by: tuple[str, ...] = ()
    period: Period | None = None
    engine: EngineKind = "operational"
    start: dt.date | None = None
    end: dt.date | None = None
    columns: list[str] = field(default_factory=list)

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-safe rows: dates as ISO strings, NaN as None, NumPy scalars as Python."""
        return [
            {str(name): _json_value(value) for name, value in row.items()}
            for row in self.frame.to_dict(orient="records")
        ]


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _choices_error(kind_en: str, kind_ja: str, given: object, valid: Sequence[str]) -> InvalidInput:
    listed = ", ".join(valid)
    return InvalidInput(
        f"Unknown {kind_en} '{given}'. Choose one of: {listed}.",
        f"{kind_ja}「{given}」は使えません。次から選んでください: {listed}",
        given=str(given),
        valid=list(valid),
    )


def _check_request(
    metric: str,
    by: Sequence[str],
    period: str | None,
    engine: str,
    start: dt.date | None,
    end: dt.date | None,
) -> None:
    if metric not in METRICS:
        raise _choices_error("metric", "指標", metric, METRICS)
    for name in by:
        if name not in DIMENSIONS:
            raise _choices_error("dimension", "分析軸", name, DIMENSIONS)
    if len(set(by)) != len(by):
        raise InvalidInput(
            "Each dimension may be given once; remove the repeated --by.",
            "同じ分析軸は一度だけ指定してください。重複した --by を外してください。",
        )
    if period is not None and period not in PERIODS:
        raise _choices_error("period", "期間", period, PERIODS)
    if engine not in ENGINES:
        raise _choices_error("engine", "エンジン", engine, ENGINES)
    if start is not None and end is not None and start > end:
        raise InvalidInput(
            f"The start date {start} is after the end date {end}; swap them.",
            f"開始日 {start} が終了日 {end} より後です。入れ替えてください。",
        )


def _check_export(workspace: Workspace, engine: str, parquet_dir: Path | None) -> Path:
    if parquet_dir is None:
        raise InvalidInput(
            f"The {engine} engine needs the export's folder: pass --parquet DIR "
            "(made by `kizuna export`).",
            f"{engine} エンジンにはエクスポート先フォルダが必要です。--parquet DIR を指定してください"
            "（`kizuna export` で作成）。",
        )
    manifest = read_manifest(parquet_dir)
    exported = manifest.get("workspace", {})
    if exported.get("id") != workspace.id or exported.get("slug") != workspace.slug:
        raise InvalidInput(
            f"The export in {parquet_dir} belongs to workspace '{exported.get('slug')}', not "
            f"'{workspace.slug}'. Export this workspace with "
            f"`kizuna export --workspace {workspace.slug} --to DIR`.",
            f"{parquet_dir} のエクスポートはワークスペース「{exported.get('slug')}」のものです。"
            f"`kizuna export --workspace {workspace.slug} --to DIR` で書き出してください。",
        )
    return parquet_dir


def compute_metric(
    kz: Kizuna,
    workspace: Workspace,
    metric: Metric,
    by: Sequence[str] = (),
    period: Period | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    engine: Engine = "operational",
    parquet_dir: Path | None = None,
) -> MetricReport:
    """NPS, CSAT, CES or eNPS of one workspace, by period and dimensions, with intervals.

    `engine` is operational, parquet (or duckdb) or spark; the last two read the export in
    `parquet_dir`. Raises InvalidInput (English and Japanese, listing the valid choices) for
    an unknown metric, dimension, period or engine, and when an export engine lacks a
    matching export; DependencyMissing when spark is asked for without pyspark.
    """
    by = tuple(by)
    _check_request(metric, by, period, engine, start, end)
    if engine in EXPORT_ENGINES:
        parquet_dir = _check_export(workspace, engine, parquet_dir)
    chosen = pick_engine(engine, kz=kz, parquet_dir=parquet_dir)
    with chosen.open() as connection:
        feedback = connection.table("feedback", workspace.id)
        customers = None
        if any(name in CUSTOMER_DIMENSIONS for name in by):
            customers = connection.table("customer", workspace.id)
        frame = compute_metric_frame(
            feedback,
            metric,
            by,
            period,
            customers=customers,
            start=start,
            end=end,
            run=connection.run,
        )
    return MetricReport(
        metric=metric,
        frame=frame,
        by=by,
        period=period,
        engine=engine_kind(engine),
        start=start,
        end=end,
        columns=list(frame.columns),
    )

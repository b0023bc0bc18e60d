"""Export one workspace to Parquet: feedback, its analysis, interactions and customers, plus
a manifest.

The files feed DuckDB (`--engine parquet`) or Spark with exactly the rows of one
workspace. Rows stream from the database in chunks, so memory stays flat on any size.
Times are naive UTC (as stored), JSON columns are JSON text, and the customer's direct
identifiers (name, e-mail, phone, LINE id, birthday) stay out unless asked for: an
analytics copy rarely needs them and often travels further than the database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, Numeric, Table, select
from sqlalchemy.types import JSON, TypeDecorator, TypeEngine

import kizuna
from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.customers.models import Customer, Interaction
from kizuna.engines import ANALYTIC_TABLES
from kizuna.errors import InvalidInput
from kizuna.feedback.models import Feedback, FeedbackAnalysis

__all__ = [
    "MANIFEST_NAME",
    "PERSONAL_COLUMNS",
    "ExportResult",
    "export_workspace",
    "read_manifest",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "kizuna-export/1"
PERSONAL_COLUMNS = {"customer": ("name", "email", "phone", "line_id", "birthday")}
TABLES: dict[str, Table] = {
    "feedback": Feedback.__table__,  # type: ignore[dict-item]
    "interaction": Interaction.__table__,  # type: ignore[dict-item]
    "customer": Customer.__table__,  # type: ignore[dict-item]
    "feedback_analysis": FeedbackAnalysis.__table__,  # type: ignore[dict-item]
}
# What the text engine found in each voice (per engine version; join on feedback_id) travels
# with the export, for notebooks and BI tools; the metric engines read the first three.
EXPORTED_TABLES = (*ANALYTIC_TABLES, "feedback_analysis")


@dataclass(frozen=True)
class ExportResult:
    """Where the export went and how many rows each table holds."""

    folder: Path
    rows: dict[str, int]
    manifest: Path


def _arrow_type(sql_type: TypeEngine[Any]) -> pa.DataType:
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    if isinstance(sql_type, Boolean):
        return pa.bool_()
    if isinstance(sql_type, Integer):
        return pa.int64()
    if isinstance(sql_type, Float | Numeric):
        return pa.float64()
    if isinstance(sql_type, DateTime):
        return pa.timestamp("us")
    if isinstance(sql_type, Date):
        return pa.date32()
    return pa.string()


def _export_columns(name: str, include_personal: bool) -> list[Column[Any]]:
    skipped = () if include_personal else PERSONAL_COLUMNS.get(name, ())
    return [column for column in TABLES[name].columns if column.name not in skipped]


def _arrow_column(values: Sequence[Any], column: Column[Any], kind: pa.DataType) -> pa.Array:
    if isinstance(column.type, JSON):
        values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
    return pa.array(values, type=kind)


def _stream_batches(
    kz: Kizuna,
    name: str,
    columns: list[Column[Any]],
    schema: pa.Schema,
    workspace_id: int,
    chunk_rows: int,
) -> Iterator[pa.RecordBatch]:
    table = TABLES[name]
    query = select(*columns).where(table.c.workspace_id == workspace_id).order_by(table.c.id)
    with kz.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(query)
        for rows in result.partitions():
            values = list(zip(*rows, strict=True))
            arrays = [
                _arrow_column(values[i], column, schema.field(i).type)
                for i, column in enumerate(columns)
            ]
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def export_workspace(
    kz: Kizuna,
    workspace: Workspace,
    folder: Path,
    *,
    include_personal: bool = False,
    chunk_rows: int = 50_000,
    on_progress: Callable[[str, int], None] | None = None,
) -> ExportResult:
    """Write `<table>.parquet` for each exported table of one workspace, then the manifest.

    Files are written beside their final name and renamed when complete, the manifest last,
    so a reader never sees half an export under the final names.
    """
    if chunk_rows < 1:
        raise InvalidInput("chunk_rows must be at least 1.", "chunk_rows は 1 以上にしてください。")
    folder.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {}
    for name in EXPORTED_TABLES:
        columns = _export_columns(name, include_personal)
        schema = pa.schema([pa.field(c.name, _arrow_type(c.type)) for c in columns])
        final = folder / f"{name}.parquet"
        partial = folder / f".{name}.parquet.partial"
        rows = 0
        with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
            for batch in _stream_batches(kz, name, columns, schema, workspace.id, chunk_rows):
                writer.write_batch(batch)
                rows += batch.num_rows
                if on_progress is not None:
                    on_progress(name, rows)
        os.replace(partial, final)
        tables[name] = {"file": final.name, "rows": rows, "columns": [c.name for c in columns]}
    manifest = {
        "format": MANIFEST_FORMAT,
        "kizuna_version": kizuna.__version__,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "workspace": {"id": workspace.id, "slug": workspace.slug, "timezone": workspace.timezone},
        "personal_columns_included": include_personal,
        "tables": tables,
    }
    path = folder / MANIFEST_NAME
    partial_manifest = folder / f".{MANIFEST_NAME}.partial"
    partial_manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    os.replace(partial_manifest, path)
    return ExportResult(folder, {n: t["rows"] for n, t in tables.items()}, path)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an export; InvalidInput when the folder holds none."""
    path = folder / MANIFEST_NAME
    try:
        manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if manifest.get("format") != MANIFEST_FORMAT:
        raise InvalidInput(
            f"{folder} holds no Kizuna export (no readable {MANIFEST_NAME}). Create one with "
            f"`kizuna export --workspace SLUG --to {folder}`.",
            f"{folder} に Kizuna のエクスポート（{MANIFEST_NAME}）がありません。"
            f"`kizuna export --workspace SLUG --to {folder}` で作成してください。",
            folder=str(folder),
        )
    return manifest

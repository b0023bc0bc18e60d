"""Engines by name, the one interface over them, and what Spark says when it cannot run.

Needs neither pyspark nor Java, except the Java test, which needs pyspark to get that far.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kizuna import Kizuna
from kizuna.analytics.metrics import compute_metric_frame
from kizuna.engines import (
    ENGINE_NAMES,
    Connection,
    OperationalEngine,
    ParquetEngine,
    SparkEngine,
    pick_engine,
    spark_master,
)
from kizuna.engines import spark as spark_module
from kizuna.errors import DependencyMissing, InvalidInput, KizunaError


def write_feedback(folder: Path, workspace_id: int, scores: list[int | None]) -> Path:
    """A feedback.parquet with one answer a day from 2024-01-01, as an export holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    first = dt.date(2024, 1, 1)
    table = pa.table(
        {
            "workspace_id": pa.array([workspace_id] * len(scores), pa.int64()),
            "source": ["survey"] * len(scores),
            "channel": ["web" if i % 2 else "app" for i in range(len(scores))],
            "received_on": [first + dt.timedelta(days=i) for i in range(len(scores))],
            "nps": pa.array(scores, pa.int16()),
        }
    )
    pq.write_table(table, folder / "feedback.parquet")
    return folder


def nps_by_channel(connection: Connection, workspace_id: int) -> dict[str, int]:
    frame = compute_metric_frame(
        connection.table("feedback", workspace_id), "nps", by=["channel"], run=connection.run
    )
    return {row.channel: int(row.n) for row in frame.itertuples()}


def test_engines_are_picked_by_name_and_duckdb_means_parquet(kz: Kizuna, tmp_path: Path) -> None:
    assert ENGINE_NAMES == ("operational", "parquet", "duckdb", "spark")
    assert isinstance(pick_engine("operational", kz=kz), OperationalEngine)
    for name in ("parquet", "duckdb"):
        assert isinstance(pick_engine(name, kz=kz, parquet_dir=tmp_path), ParquetEngine)
    assert isinstance(pick_engine("spark", kz=kz, parquet_dir=tmp_path), SparkEngine)


def test_unknown_engine_and_missing_export_folder_say_what_to_do(kz: Kizuna) -> None:
    with pytest.raises(InvalidInput) as unknown:
        pick_engine("hadoop", kz=kz)
    for language in ("en", "ja"):
        assert "operational, parquet, duckdb, spark" in unknown.value.message(language)
    with pytest.raises(InvalidInput) as no_folder:
        pick_engine("spark", kz=kz)
    assert "--parquet DIR" in no_folder.value.message("en")
    assert "--parquet DIR" in no_folder.value.message("ja")


def test_parquet_engine_lends_the_pooled_connection_scoped_to_a_workspace(
    tmp_path: Path,
) -> None:
    engine = ParquetEngine(write_feedback(tmp_path / "export", 1, [10, 0, 9, None, 7]))
    with engine.open() as first:
        assert nps_by_channel(first, 1) == {"app": 3, "web": 1}
        assert nps_by_channel(first, 2) == {}
    with engine.open() as again:
        # The same DuckDB connection, views and schemas: the interface adds no work.
        assert again.backend is first.backend
        assert again.engine == "parquet"


def test_operational_engine_reads_the_applications_database(kz: Kizuna, ws: Any) -> None:
    with OperationalEngine(kz).open() as connection:
        assert connection.engine == "operational"
        assert nps_by_channel(connection, ws.workspace.id) == {}


def test_spark_without_pyspark_prints_the_pip_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    engine = SparkEngine(write_feedback(tmp_path / "export", 1, [10]))
    with pytest.raises(DependencyMissing) as missing, engine.open():
        pass
    assert "pip install 'kizuna[spark]'" in missing.value.message("en")
    assert "pip install 'kizuna[spark]'" in missing.value.message("ja")


def test_spark_on_a_folder_without_export_explains_before_starting(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused, SparkEngine(tmp_path).open():
        pass
    assert "kizuna export" in refused.value.message("en")


def test_spark_without_java_says_to_install_java_17(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'kizuna[spark]'")
    monkeypatch.setattr(spark_module, "_started", {})  # no Spark running in this test's view
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = SparkEngine(write_feedback(tmp_path / "export", 1, [10]), master="local[1]")
    with pytest.raises(KizunaError) as refused, engine.open():
        pass
    assert "Java 17" in refused.value.message("en") and "JAVA_HOME" in refused.value.message("en")
    assert "Java 17" in refused.value.message("ja")


def test_spark_master_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIZUNA_SPARK_MASTER", raising=False)
    assert spark_master() == "local[*]"
    monkeypatch.setenv("KIZUNA_SPARK_MASTER", "spark://spark-master:7077")
    assert spark_master() == "spark://spark-master:7077"
    assert "spark://spark-master:7077" in repr(SparkEngine("export"))

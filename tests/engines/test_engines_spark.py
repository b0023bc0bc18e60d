"""Engine parity: Spark (ibis's pyspark backend, local mode) gives DuckDB's frames exactly.

Runs wherever pyspark (`pip install 'kizuna[spark]'`) and Java 17 are present, else is
skipped with the reason. One SparkSession (local[2]) serves the whole module: starting
Spark costs 8-15 s on two cores.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.accounts.models import Workspace
from kizuna.analytics.metrics import count_metric
from kizuna.demo import build_demo
from kizuna.engines import Connection, SparkEngine, spark_session, stop_spark
from kizuna.errors import InvalidInput
from kizuna.reports.export import export_workspace
from kizuna.reports.service import compute_metric

pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'kizuna[spark]'")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17: no java on PATH and no JAVA_HOME", allow_module_level=True)

# pyspark's collect leaves the socket its rows came through to the garbage collector
# (pyspark.util._load_from_socket: "closed when garbage-collected"), which Python reports
# as an unclosed socket; only this module runs pyspark, so only it lets that pass.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
MASTER = "local[2]"
# (metric, dimensions, period, whether to ask for a window of dates inside the data)
CASES: list[tuple[str, tuple[str, ...], str | None, bool]] = [
    ("nps", (), None, False),
    ("nps", ("channel",), "week", False),
    ("nps", ("channel", "age_band"), "month", True),
    ("csat", ("touchpoint",), "week", True),
    ("ces", ("gender",), "month", False),
    ("enps", ("source",), "day", False),
]


@dataclass(frozen=True)
class Exported:
    """The demo workspace (a small size) and the folder its `kizuna export` went to."""

    workspace: Workspace
    folder: Path
    first_day: dt.date
    last_day: dt.date


@pytest.fixture(scope="module", autouse=True)
def spark() -> Iterator[None]:
    """One local SparkSession for the module, as the CLI would start it from the variable."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIZUNA_SPARK_MASTER", MASTER)
        spark_session()
        yield
    stop_spark()


@pytest.fixture(scope="module")
def exported(kz: Kizuna, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    slug = "spark-parity"
    build_demo(kz, slug=slug, customers=150, interactions=600, feedback=1500, employee_answers=200)
    with kz.session() as session:
        workspace = kz.workspace(session, slug)
    folder = tmp_path_factory.mktemp("spark-export")
    export_workspace(kz, workspace, folder)
    days = pq.read_table(folder / "feedback.parquet", columns=["received_on"]).column(0)
    return Exported(workspace, folder, min(days.to_pylist()), max(days.to_pylist()))


def sorted_frame(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return frame
    # Missing labels (None) sort last on both sides alike.
    return frame.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


@pytest.mark.parametrize(("metric", "by", "period", "windowed"), CASES)
def test_spark_gives_duckdbs_frame_exactly(
    kz: Kizuna, exported: Exported, metric: Any, by: tuple[str, ...], period: Any, windowed: bool
) -> None:
    start = end = None
    if windowed:  # mid-period bounds, so the first period's change comes from before `start`
        start = exported.first_day + dt.timedelta(days=100)
        end = exported.last_day - dt.timedelta(days=75)
    reports = [
        compute_metric(
            kz,
            exported.workspace,
            metric,
            by,
            period,
            start,
            end,
            engine=engine,
            parquet_dir=exported.folder,
        )
        for engine in ("parquet", "spark")
    ]
    duckdb, spark = reports
    assert spark.engine == "spark"
    assert len(duckdb.frame) > (1 if by or period else 0)
    keys = [name for name in ("period", *by) if name in duckdb.frame.columns]
    pd.testing.assert_frame_equal(
        sorted_frame(duckdb.frame, keys), sorted_frame(spark.frame, keys), check_exact=True
    )
    assert duckdb.to_records() == spark.to_records()


def test_cli_metrics_on_spark_print_what_parquet_prints(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, exported: Exported
) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    from kizuna.cli import app

    common = ["metrics", "nps", "--workspace", exported.workspace.slug, "--by", "channel",
              "--period", "month", "--format", "json", "--parquet", str(exported.folder)]  # fmt: skip
    printed = [
        CliRunner().invoke(app, [*common, "--engine", engine]) for engine in ("duckdb", "spark")
    ]
    assert all(result.exit_code == 0 for result in printed), printed[1].output
    on_duckdb, on_spark = (json.loads(result.stdout) for result in printed)
    assert on_spark == on_duckdb and len(on_spark) > 1


def write_feedback(folder: Path, workspace_id: int, scores: list[int]) -> Path:
    """A feedback.parquet with one answer per day, as `kizuna export` would write it."""
    folder.mkdir(parents=True, exist_ok=True)
    first = dt.date(2024, 1, 1)
    table = pa.table(
        {
            "workspace_id": pa.array([workspace_id] * len(scores), pa.int64()),
            "source": ["survey"] * len(scores),
            "channel": ["web"] * len(scores),
            "received_on": [first + dt.timedelta(days=i) for i in range(len(scores))],
            "nps": pa.array(scores, pa.int16()),
        }
    )
    pq.write_table(table, folder / "feedback.parquet")
    return folder


def answers(connection: Connection, workspace_id: int) -> int:
    """How many NPS answers of the workspace the open engine counts."""
    frame = connection.run(
        None, lambda: count_metric(connection.table("feedback", workspace_id), "nps")
    )
    return int(frame["n"].iloc[0])


def test_two_exports_open_at_once_each_count_only_their_workspace(tmp_path: Path) -> None:
    early = SparkEngine(write_feedback(tmp_path / "early", 1, [10, 0, 9]), master=MASTER)
    late = SparkEngine(write_feedback(tmp_path / "late", 2, [10, 0, 9, 9, 3]), master=MASTER)
    with early.open() as first, late.open() as second:
        assert (answers(first, 1), answers(second, 2)) == (3, 5)
        # Each export's rows belong to its own workspace; another id sees none of them.
        assert answers(first, 2) == 0
        with pytest.raises(InvalidInput) as missing:
            first.table("customer", 1)  # this export holds feedback only
        assert "kizuna export" in missing.value.message("en")
    with early.open() as again:
        assert answers(again, 1) == 3

"""Spark over a Parquet export, through ibis's pyspark backend (optional: `kizuna[spark]`).

For data that outgrows one machine. `SparkEngine(folder)` reads the same files of a
`kizuna export` that DuckDB reads and runs the same ibis expressions, so a metric comes out
the same on either engine. The master is `KIZUNA_SPARK_MASTER` (default `local[*]`: Spark
in this process's JVM on every core), or `spark://host:7077` for a standalone cluster, read
when an engine opens, never at import. The export's files must then be at the same path on
every worker (a shared or mounted file system); other Spark settings (executor memory and
cores) go in `$SPARK_CONF_DIR/spark-defaults.conf` as for any Spark application.

pyspark is imported only here, and only when an engine opens: without it, opening raises
DependencyMissing with the `pip install 'kizuna[spark]'` line. Starting Spark costs 8-15 s
on two cores, so the process keeps one SparkSession (`spark_session`, stopped by
`stop_spark`) and each `open()` takes a new session of it: its own temporary views and SQL
settings, the same JVM and executors. This room knows no feature's rules.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from kizuna.engines.base import Connection, Engine, EngineKind
from kizuna.engines.connect import export_tables
from kizuna.errors import DependencyMissing, EngineUnavailable, InvalidInput

__all__ = [
    "DEFAULT_MASTER",
    "MASTER_VARIABLE",
    "SparkEngine",
    "spark_master",
    "spark_session",
    "stop_spark",
]

MASTER_VARIABLE = "KIZUNA_SPARK_MASTER"
DEFAULT_MASTER = "local[*]"
# local, local[4], local[*], local[4,2] (with retries); anything else is a cluster.
_LOCAL_MASTER = re.compile(r"local(?:\[(\d+|\*)(?:,\s*\d+)?\])?")

_lock = threading.Lock()
_started: dict[str, Any] = {}  # master -> the SparkSession Kizuna started; one at most


def spark_master() -> str:
    """The master to use: KIZUNA_SPARK_MASTER, or local[*] when it is unset or empty."""
    return os.environ.get(MASTER_VARIABLE, "").strip() or DEFAULT_MASTER


def _pyspark_sql() -> Any:
    """The `pyspark.sql` module; DependencyMissing (with the pip line) when absent."""
    try:
        importlib.import_module("pyspark")
        return importlib.import_module("pyspark.sql")
    except ImportError:
        raise DependencyMissing("pyspark", "spark") from None


def _java_found() -> bool:
    """Whether Spark's launcher will find java: JAVA_HOME/bin/java, else java on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return os.access(Path(home) / "bin" / "java", os.X_OK)
    return shutil.which("java") is not None


def _not_started(master: str, reason: str) -> EngineUnavailable:
    return EngineUnavailable(
        f"Spark did not start on {master}: {reason}. Spark needs Java 17: install it "
        "(Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME to it; "
        f"for a cluster, check that {MASTER_VARIABLE} names a master this machine reaches. "
        "Meanwhile --engine parquet reads the same export with DuckDB.",
        f"Spark を {master} で起動できませんでした（{reason}）。Spark には Java 17 が必要です。"
        "インストールする（Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`）か、"
        f"JAVA_HOME を設定してください。クラスタの場合は {MASTER_VARIABLE} が"
        "このマシンから届くマスターを指しているか確認してください。"
        "その間は --engine parquet で同じエクスポートを DuckDB で集計できます。",
        master=master,
    )


def _first_line(exc: Exception) -> str:
    """The first line of an error from Spark (its Java stack trace follows), kept short."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200].rstrip(" .:")


def _local_threads(master: str) -> int | None:
    """Threads of a local master (local[*]: this machine's cores); None for a cluster."""
    found = _LOCAL_MASTER.fullmatch(master)
    if found is None:
        return None
    given = found.group(1)
    if given is None:
        return 1
    return (os.cpu_count() or 1) if given == "*" else int(given)


def _session_conf(master: str) -> dict[str, str]:
    conf = {
        "spark.app.name": "kizuna",
        # Progress bars on stderr would land in the middle of the CLI's output.
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
    }
    threads = _local_threads(master)
    if threads is not None:
        # One process on one machine: no web UI to serve, and a shuffle partition or two per
        # thread instead of Spark's 200 (NPS by week x channel over 10 M answers on 2 cores:
        # 1.7 s -> 1.3 s).
        conf["spark.ui.enabled"] = "false"
        conf["spark.sql.shuffle.partitions"] = str(max(2, threads))
    return conf


def spark_session(master: str | None = None) -> Any:
    """The process's SparkSession on `master` (default `spark_master()`), started once.

    A process holds one SparkContext: asking for another master stops the running one
    first. Raises DependencyMissing without pyspark, EngineUnavailable when Spark cannot start
    (no Java, an unreachable cluster).
    """
    sql = _pyspark_sql()
    master = master or spark_master()
    with _lock:
        running = _started.get(master)
        if running is not None:
            return running
        for old in _started.values():
            old.stop()
        _started.clear()
        if not _java_found():
            raise _not_started(master, "java was not found")
        builder = sql.SparkSession.builder.master(master)
        for key, value in _session_conf(master).items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # a gateway that exited, a master that never answered
            raise _not_started(master, _first_line(exc)) from exc
        _started[master] = session
        return session


def stop_spark() -> None:
    """Stop the SparkSession Kizuna started, if any; the next report starts a new one."""
    with _lock:
        for session in _started.values():
            session.stop()
        _started.clear()


def _collect(backend: BaseBackend, key: Hashable, build: Callable[[], ir.Table]) -> pd.DataFrame:
    """The rows of `build()` collected from Spark into a pandas frame.

    Rows come back through `collect` rather than `toPandas`: a report's result is a few
    hundred aggregated rows, and pyspark's pandas conversion uses keywords pandas 3
    deprecates. Nothing is kept under `key`: ibis compiles a query in 10-20 ms, lost in
    the second Spark takes to run it.
    """
    query = backend.raw_sql(str(backend.compile(build())))
    rows = query.collect()
    return pd.DataFrame.from_records([tuple(row) for row in rows], columns=list(query.columns))


def _missing_table(folder: Path, name: str) -> InvalidInput:
    return InvalidInput(
        f"The export in {folder} has no {name}.parquet. Export the workspace again with "
        f"`kizuna export --workspace SLUG --to {folder}`.",
        f"{folder} のエクスポートに {name}.parquet がありません。"
        f"`kizuna export --workspace SLUG --to {folder}` で書き出し直してください。",
        folder=str(folder),
        table=name,
    )


@dataclass(frozen=True)
class _SparkConnection(Connection):
    """A connection whose tables become Spark views when first asked for.

    Spark reads a Parquet file's schema with a job of its own (0.3-0.5 s each on two
    cores), so a report that needs only the feedback file reads only that one.
    """

    folder: Path
    present: tuple[str, ...]
    session: Any
    views: set[str] = field(default_factory=set)

    def table(self, name: str, workspace_id: int) -> ir.Table:
        if name not in self.views:
            if name not in self.present:
                raise _missing_table(self.folder, name)
            # A file URI: a bare path would be read from a cluster's default file system.
            frame = self.session.read.parquet((self.folder / f"{name}.parquet").as_uri())
            frame.createOrReplaceTempView(name)
            self.views.add(name)
        return super().table(name, workspace_id)

    def drop_views(self) -> None:
        for name in self.views:
            self.session.catalog.dropTempView(name)
        self.views.clear()


class SparkEngine(Engine):
    """Spark (ibis's pyspark backend) over the Parquet files of one `kizuna export`."""

    name: ClassVar[EngineKind] = "spark"

    def __init__(self, folder: Path | str, master: str | None = None) -> None:
        self.folder = Path(folder)
        self.master = master

    @contextmanager
    def open(self) -> Iterator[Connection]:
        folder = self.folder.resolve()
        present = tuple(export_tables(folder))  # InvalidInput before Spark starts
        session = spark_session(self.master).newSession()
        backend = ibis.pyspark.connect(session)
        connection = _SparkConnection(
            self.name, backend, partial(_collect, backend), folder, present, session
        )
        try:
            yield connection
        finally:
            connection.drop_views()

    def __repr__(self) -> str:
        return f"SparkEngine({str(self.folder)!r}, master={self.master or spark_master()!r})"

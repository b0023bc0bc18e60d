"""Benchmark: NPS by ISO week x channel over Parquet, four ways, results checked equal.

1. Kizuna: `ParquetEngine` + `compute_metric_frame` with the connection's runner
   (`execute_keyed`; ibis on DuckDB: counts per day, then the days added up per week, in
   one query; intervals and change finished in Python) - the path
   `compute_metric(engine="parquet")` takes, on a pooled connection with the export's views
   and with the query's SQL kept from an earlier call, as in a running server; and again
   with ibis building and compiling it on every call.
2. A hand-written DuckDB SQL query that returns n, promoters, detractors and NPS only, on a
   connection to a DuckDB database the process holds, as Kizuna's is.
3. pandas: read the same columns from the same file, group by week and channel.
4. Spark: `SparkEngine` (ibis's pyspark backend, master KIZUNA_SPARK_MASTER or local[*])
   on the same file, the path `compute_metric(engine="spark")` takes, with the session
   started and warmed up before the rounds, as in a running server; its start-up is
   reported apart. Skipped, with the reason in the table, without pyspark or Java.
   The peak memory of a fresh process running one report on each engine is measured too.

Data: generated responses (workspace 1, about 5% employee answers, 10% without a score)
written once to bench/work/metrics_<rows>/feedback.parquet in 50 k-row groups, the layout
`kizuna export` writes. Each timing is the best of `--repeat` rounds (each round runs
every approach once in turn, so a busy spell falls on all alike) and includes opening the
data, as a report request would. Wall time decides the targets; the process CPU time (all
threads) is shown beside it because on a busy machine a multi-threaded engine waits for
cores that single-threaded pandas does not need.

    .venv/bin/python -m bench.metrics                # 1 M and 10 M rows
    .venv/bin/python -m bench.metrics --quick        # 200 k rows
    .venv/bin/python -m bench.metrics --repeat 9     # as recorded in bench/results/metrics.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from kizuna.analytics.metrics import compute_metric_frame
from kizuna.engines import ParquetEngine, SparkEngine, spark_master, spark_session
from kizuna.errors import KizunaError

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "work"
RESULTS = ROOT / "results" / "metrics.md"
CHANNELS = ("web", "app", "store", "call_center", "email", "sns")
SOURCES = ("survey", "review", "employee")
CHUNK = 1_000_000
# Row groups as `kizuna export` writes them (one per 50 k-row chunk); readers parallelise on them.
ROW_GROUP = 50_000
FIRST_DAY = dt.date(2023, 1, 1)
SPARK_SETTLE = 1.5  # seconds left to Spark's JVM after each of its queries, outside timings
DAYS = 730

HAND_SQL = """
SELECT date_trunc('week', received_on)::DATE AS period, channel,
       count(nps) AS n,
       count_if(nps >= 9) AS promoters,
       count_if(nps <= 6) AS detractors,
       100.0 * (count_if(nps >= 9) - count_if(nps <= 6)) / count(nps) AS value
FROM read_parquet(?)
WHERE workspace_id = 1 AND source <> 'employee' AND nps IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
"""


# Earlier versions and every run of the current one, for the record (wall seconds, 1 M rows).
HISTORY = [
    "## Earlier versions (same files, same 2-core machine)",
    "",
    "| version | Kizuna 1 M (s) | Kizuna / SQL 1 M | pandas / Kizuna 1 M | pandas / Kizuna 10 M |",
    "|---|---:|---:|---:|---:|",
    "| 2026-11-22: a new DuckDB database and ibis compilation every call, pandas "
    "finishing | 0.116 | 1.83x | 2.3x | 5.4x |",
    "| 2026-11-23: one DuckDB database per process, a new connection with views and a "
    "DESCRIBE every call, SQL compiled once per expression, NumPy finishing | 0.046 | "
    "1.16x | 4.4x | 6.2x |",
    "",
    "The version measured above (2026-11-23, later; since 2026-12-02 reached through the "
    "`Engine` interface, `ParquetEngine`, which adds two small objects and no work to a "
    "report) lends each report a pooled connection "
    "that keeps the export's views and table schemas, keeps the SQL under a key of the "
    "request so the ibis expression is built only once, counts shares as sums of conditions "
    "(SUM(CAST(nps >= 9 AS INT)), about 10% faster in DuckDB than SUM(CASE ...)) and "
    "finds each group's previous period by sorted search instead of Python dictionaries. "
    "What is left per call besides DuckDB's own query: about 0.2 ms to lend the "
    "connection and 1.3-1.9 ms to add intervals and change. On 2026-11-23 three runs of "
    "this version came before the one in the table (best / median of 9 rounds, pandas "
    "over Kizuna at 1 M): 5.7x / 5.8x, 5.9x / 6.3x, 5.7x / 5.8x; at 10 M: 8.0x, 8.1x, "
    "8.1x. Kizuna over hand SQL: 0.93x-0.94x at 1 M, 0.81x-0.83x at 10 M.",
    "",
    "On 2026-12-02, with Spark added and the machine shared with other sessions' work, five "
    "runs of this version gave at 10 M, as medians of 9 rounds, DuckDB / Spark: 0.72 / 3.02 s "
    "(load 3.3; before the pause after each Spark query was added), 0.97 / 5.32 s (7.3), "
    "1.12 / 3.92 s (6.9), 2.23 / 7.53 s (9.4) and the table's: Spark took 3.4-5.5x DuckDB's "
    "time at 10 M and 9-15x at 1 M, and its session 5.6-39 s to start. Reaching DuckDB through "
    "`ParquetEngine` rather than calling `open_parquet` costs 20 us a report (2,000 calls), and "
    "the two ran as fast side by side (best of 25 at 1 M: 0.066 s against 0.068 s).",
]


def write_responses(rows: int, seed: int = 7) -> Path:
    """Generate `rows` responses into bench/work once; later runs reuse the file."""
    folder = WORK / f"metrics_{rows}"
    path = folder / "feedback.parquet"
    if path.is_file():
        meta = pq.read_metadata(path)
        if meta.num_rows == rows and meta.num_row_groups == -(-rows // ROW_GROUP):
            return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    schema = pa.schema(
        [
            ("workspace_id", pa.int64()),
            ("source", pa.string()),
            ("channel", pa.string()),
            ("received_on", pa.date32()),
            ("nps", pa.int16()),
        ]
    )
    first = np.datetime64(FIRST_DAY.isoformat(), "D").astype("int64")
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, rows, CHUNK):
            size = min(CHUNK, rows - start)
            source = rng.choice(3, size, p=[0.8, 0.15, 0.05]).astype("int8")
            channel = rng.integers(0, len(CHANNELS), size).astype("int8")
            scores = rng.integers(0, 11, size).astype("int16")
            missing = rng.random(size) < 0.1
            arrays = [
                pa.array(np.ones(size, dtype="int64")),
                pa.DictionaryArray.from_arrays(source, list(SOURCES)).cast(pa.string()),
                pa.DictionaryArray.from_arrays(channel, list(CHANNELS)).cast(pa.string()),
                pa.array(first + rng.integers(0, DAYS, size), pa.int32()).cast(pa.date32()),
                pa.array(scores, mask=missing),
            ]
            batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
            writer.write_batch(batch, row_group_size=ROW_GROUP)
    return folder


def run_kizuna(folder: Path) -> pd.DataFrame:
    with ParquetEngine(folder).open() as connection:
        table = connection.table("feedback", 1)
        return compute_metric_frame(table, "nps", by=["channel"], period="week", run=connection.run)


def run_spark(folder: Path) -> pd.DataFrame:
    """The same report on Spark: `compute_metric(engine="spark")`'s path."""
    with SparkEngine(folder).open() as connection:
        table = connection.table("feedback", 1)
        return compute_metric_frame(table, "nps", by=["channel"], period="week", run=connection.run)


# The hand-written query gets what Kizuna has: a connection to a DuckDB database the
# process holds (making a new database costs 10-15 ms per call).
HELD = duckdb.connect()


def run_hand_sql(folder: Path) -> pd.DataFrame:
    with HELD.cursor() as con:
        return con.execute(HAND_SQL, [str(folder / "feedback.parquet")]).fetchdf()


def run_kizuna_compiling(folder: Path) -> pd.DataFrame:
    """Kizuna without the SQL cache: ibis builds and compiles the query on every call."""
    with ParquetEngine(folder).open() as connection:
        table = connection.table("feedback", 1)
        return compute_metric_frame(table, "nps", by=["channel"], period="week")


def run_pandas(folder: Path) -> pd.DataFrame:
    # A fair pandas: Arrow reader, dates as datetime64 (no Python objects), vectorised masks.
    columns = ["workspace_id", "source", "channel", "received_on", "nps"]
    table = pq.read_table(folder / "feedback.parquet", columns=columns)
    frame = table.to_pandas(date_as_object=False)
    nps = frame["nps"]
    keep = (frame["workspace_id"] == 1) & (frame["source"] != "employee") & nps.notna()
    frame, nps = frame[keep], nps[keep]
    day = frame["received_on"]
    work = pd.DataFrame(
        {
            "period": day - pd.to_timedelta(day.dt.day_of_week, unit="D"),
            "channel": frame["channel"],
            "promoter": (nps >= 9).astype("int64"),
            "detractor": (nps <= 6).astype("int64"),
        }
    )
    out = work.groupby(["period", "channel"], sort=True).agg(
        n=("promoter", "size"), promoters=("promoter", "sum"), detractors=("detractor", "sum")
    )
    out["value"] = 100.0 * (out["promoters"] - out["detractors"]) / out["n"]
    return out.reset_index()


def check_equal(kizuna: pd.DataFrame, other: pd.DataFrame, label: str) -> None:
    """Same groups, counts and NPS; raises AssertionError naming the approach that differs."""
    keys = ["period", "channel"]
    left = kizuna[[*keys, "n", "promoters", "detractors", "value"]].copy()
    right = other[[*keys, "n", "promoters", "detractors", "value"]].copy()
    for frame in (left, right):
        frame["period"] = [pd.Timestamp(v).date() for v in frame["period"]]
        frame["channel"] = frame["channel"].astype(str)
    joined = left.merge(right, on=keys, how="outer", suffixes=("", "_other"), indicator=True)
    assert (joined["_merge"] == "both").all(), f"{label}: different groups"
    for name in ("n", "promoters", "detractors"):
        assert (joined[name] == joined[f"{name}_other"]).all(), f"{label}: {name} differs"
    assert np.allclose(joined["value"], joined["value_other"], rtol=0, atol=1e-9), label


APPROACHES: dict[str, Callable[[Path], pd.DataFrame]] = {
    "kizuna": run_kizuna,
    "compiling": run_kizuna_compiling,
    "sql": run_hand_sql,
    "pandas": run_pandas,
}


@dataclass
class Timing:
    """Wall and CPU seconds (all threads of this process) of each run, and the last result."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    result: pd.DataFrame | None = None


def cpu_with_jvm() -> float:
    """CPU seconds of this process and its children: Spark's JVM is one of them."""
    total = time.process_time()
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def time_rounds(
    folder: Path, repeat: int, approaches: dict[str, Callable[[Path], pd.DataFrame]]
) -> dict[str, Timing]:
    """Each approach's timings over `repeat` rounds; every round runs each approach once, so
    a busy spell of the machine falls on all of them alike. pandas, the slowest, sits out the
    last round."""
    timings = {name: Timing() for name in approaches}
    for round_ in range(repeat):
        for name, run in approaches.items():
            if name == "pandas" and round_ == repeat - 1 and repeat > 1:
                continue
            cpu = cpu_with_jvm if name == "spark" else time.process_time
            started, started_cpu = time.perf_counter(), cpu()
            result = run(folder)
            timing = timings[name]
            timing.walls.append(time.perf_counter() - started)
            timing.cpus.append(cpu() - started_cpu)
            timing.result = result
            if name == "spark":
                # Spark's JVM goes on collecting garbage and cleaning up for up to ~0.75 s
                # after a query; the next approach should not pay for it.
                time.sleep(SPARK_SETTLE)
    return timings


def start_spark() -> tuple[float | None, str | None]:
    """Seconds Spark's session took to start, or None and why Spark cannot run here."""
    started = time.perf_counter()
    try:
        spark_session()
    except KizunaError as exc:
        return None, exc.message("en")
    return time.perf_counter() - started, None


def peak_rss_mb(pid: int) -> float:
    """The high-water resident size of a process (VmHWM), in MB.

    Not getrusage's ru_maxrss: Linux carries that across fork and exec, so a process started
    by this one would report this one's peak (pandas over 10 M rows) as its own.
    """
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def report_memory(engine: str, folder: Path) -> None:
    """In a fresh process: one report on `engine`, then its memory as a JSON line (MB)."""
    me = psutil.Process()
    before = me.memory_info().rss / 2**20
    if engine == "spark":
        spark_session()
        run_spark(folder)
    else:
        run_kizuna(folder)
    out = {"before": before, "peak": peak_rss_mb(me.pid)}
    if engine == "spark":
        jvms = [child for child in me.children(recursive=True) if "java" in child.name()]
        out["jvm"] = sum(peak_rss_mb(child.pid) for child in jvms)
    print(json.dumps(out))


def peak_memory(engine: str, folder: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.metrics", "--peak-memory", engine, str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT.parent)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def measure(rows: int, repeat: int, spark: bool) -> dict[str, Any]:
    folder = write_responses(rows)
    approaches = dict(APPROACHES)
    row: dict[str, Any] = {"rows": rows}
    if spark:
        approaches["spark"] = run_spark
        started = time.perf_counter()
        run_spark(folder)  # the first report on this file: Spark's JIT still warming up
        row["spark_first"] = time.perf_counter() - started
        run_spark(folder)
        time.sleep(SPARK_SETTLE)
    row["load"] = os.getloadavg()[0]
    timed = time_rounds(folder, repeat, approaches)
    results = {name: timing.result for name, timing in timed.items()}
    check_equal(results["kizuna"], results["sql"], "hand-written SQL")
    check_equal(results["kizuna"], results["pandas"], "pandas")
    pd.testing.assert_frame_equal(results["kizuna"], results["compiling"])
    if spark:
        pd.testing.assert_frame_equal(results["kizuna"], results["spark"], check_exact=True)
    row["groups"] = len(results["kizuna"])
    for name, timing in timed.items():
        row[name] = min(timing.walls)
        row[f"{name}_median"] = statistics.median(timing.walls)
        row[f"{name}_cpu"] = min(timing.cpus)
        row[f"{name}_cpu_median"] = statistics.median(timing.cpus)
    engines = ["duckdb", "spark"] if spark else ["duckdb"]
    row["memory"] = {engine: peak_memory(engine, folder) for engine in engines}
    return row


def java_version() -> str:
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stderr.splitlines()[0] if done.stderr else "unknown"


def spark_table(
    results: list[dict[str, Any]], repeat: int, started: float | None, skipped: str | None
) -> list[str]:
    """The Spark section: timings beside DuckDB's, or why Spark was skipped."""
    lines = ["", "## Spark beside DuckDB (same report, same files)", ""]
    if skipped is not None or started is None:
        return [*lines, f"Spark skipped: {skipped}", ""]
    memory = results[-1]["memory"]
    lines += [
        f"Spark: pyspark {importlib.metadata.version('pyspark')} through ibis's pyspark "
        f"backend, master `{spark_master()}` on this machine, {java_version()}. The session "
        f"started in {started:.1f} s, once per process and outside the timings (a CLI run "
        "pays it every time, a server once); the first report on each file, right after, "
        "took "
        + ", ".join(f"{r['spark_first']:.1f} s ({r['rows']:,})" for r in results)
        + ". Spark runs in the same rounds as the approaches above, each of its runs followed "
        f"by a {SPARK_SETTLE} s pause outside the timings while its JVM cleans up; medians of "
        f"{repeat} rounds with the best beside them. Frames checked equal to DuckDB's, "
        "exactly. CPU = median CPU seconds (for Spark, of the Python process and Spark's JVM "
        "together). Memory: a fresh process runs one report; "
        "the peak resident size of that process (DuckDB runs inside it; "
        f"{memory['duckdb']['before']:.0f} MB of it is Python and the libraries, "
        "before the report) and the peak resident size of Spark's JVM (Spark's Python "
        f"process peaks at {memory['spark']['peak']:.0f} MB besides).",
        "",
        "| responses | load | Kizuna on DuckDB, median (s) | Spark, median (s) | "
        "Spark, best (s) | Spark / DuckDB, medians | CPU DuckDB / Spark (s) | "
        "peak MB, DuckDB process | peak MB, Spark JVM |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['load']:.1f} | {r['kizuna_median']:.3f} | "
            f"{r['spark_median']:.3f} | {r['spark']:.3f} | "
            f"{r['spark_median'] / r['kizuna_median']:.1f}x | "
            f"{r['kizuna_cpu_median']:.2f} / {r['spark_cpu_median']:.2f} | "
            f"{r['memory']['duckdb']['peak']:.0f} | {r['memory']['spark']['jvm']:.0f} |"
        )
    return [*lines, ""]


def write_table(
    results: list[dict[str, Any]],
    repeat: int,
    command: str,
    spark_started: float | None,
    spark_skipped: str | None,
) -> str:
    lines = [
        "# Metrics benchmark: NPS by ISO week x channel over Parquet",
        "",
        f"Date: {dt.date.today().isoformat()}. Command: `{command}`. Machine: "
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"{platform.python_implementation()} {platform.python_version()}, duckdb "
        f"{duckdb.__version__}, ibis {ibis.__version__}, pandas {pd.__version__}. "
        f"Best of {repeat} rounds, each running every approach once in turn (pandas: best of "
        f"{max(1, repeat - 1)}); every timing reads the "
        "Parquet file itself; the medians column divides the approaches' median times. Results "
        "checked equal (groups, n, promoters, detractors, NPS).",
        "",
        "Kizuna = `compute_metric_frame` on `ParquetEngine` (the pooled `open_parquet` "
        "connection) with its runner, `execute_keyed` (ibis -> "
        "DuckDB, counting per day and then adding the days up per week in one query, then "
        "intervals and week-over-week change with significance in NumPy/SciPy), on a pooled "
        "connection that keeps the export's views, with the query's SQL kept from an earlier "
        "call as in a running server; 'compiling' is the same call with ibis building and "
        "compiling the query every time. Hand SQL is one GROUP BY on the truncated week "
        "(with DuckDB's count_if) and "
        "returns counts and NPS only, on a new connection to a DuckDB database the process "
        "holds (Kizuna's pooled connections belong to such a database). Target (wall time): "
        "Kizuna within 1.5x of hand "
        "SQL, at least 5x faster than pandas. CPU = process CPU seconds over all threads; "
        "load = 1-minute load average when the size's rounds started.",
        "",
        "| responses | groups | load | Kizuna (s) | Kizuna compiling (s) | hand SQL (s) | "
        "pandas (s) | Kizuna / SQL | compiling / SQL | pandas / Kizuna | "
        "pandas / Kizuna, medians | CPU Kizuna / SQL / pandas (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['groups']:,} | {r['load']:.1f} | {r['kizuna']:.3f} | "
            f"{r['compiling']:.3f} | {r['sql']:.3f} | {r['pandas']:.3f} | "
            f"{r['kizuna'] / r['sql']:.2f}x | {r['compiling'] / r['sql']:.2f}x | "
            f"{r['pandas'] / r['kizuna']:.1f}x | "
            f"{r['pandas_median'] / r['kizuna_median']:.1f}x | "
            f"{r['kizuna_cpu']:.2f} / {r['sql_cpu']:.2f} / "
            f"{r['pandas_cpu']:.2f} |"
        )
    spark = spark_table(results, repeat, spark_started, spark_skipped)
    return "\n".join([*lines, *spark, *HISTORY]) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size (200 k rows)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per approach (best kept)")
    parser.add_argument("--no-spark", action="store_true", help="leave Spark out")
    parser.add_argument(
        "--peak-memory", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.peak_memory:
        report_memory(args.peak_memory[0], Path(args.peak_memory[1]))
        return
    command = shlex.join(
        ["python", "-m", "bench.metrics", *(sys.argv[1:] if argv is None else argv)]
    )
    started, skipped = (None, "left out with --no-spark") if args.no_spark else start_spark()
    sizes = [200_000] if args.quick else [1_000_000, 10_000_000]
    results = [measure(rows, args.repeat, spark=started is not None) for rows in sizes]
    table = write_table(results, args.repeat, command, started, skipped)
    if not args.quick:  # a quick look never replaces the recorded results
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(table, "utf-8")
    print(table)


if __name__ == "__main__":
    main()

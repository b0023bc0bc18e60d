"""Benchmark: Kizuna's journeys analytics against pm4py on the same event-log frames.

Data sets, each written once to bench/work as Parquet so both sides read the very same
frame (pandas, text columns Arrow-backed, timestamps datetime64[ns]):
1. eventlogs/receipt.csv (8,577 events, 1,434 cases; pm4py's own test log), timestamps
   parsed to UTC.
2. A generated log of 10 M events (1 M cases, 20 activities, a random Markov process;
   5% of steps take no time, so equal timestamps occur), in time order as an export would
   be (`--quick`: 1 M events); and the same events in case order, as pm4py's
   `format_dataframe` leaves them (Kizuna then has nothing to sort either).

pm4py runs in its own venv (.venv-bench-journeys, bench/requirements-journeys-peers.txt;
made by this script when missing, never a dependency of Kizuna) through
`python -m bench.journeys --peer FILE`. pm4py needs `format_dataframe` first (it sorts by
case, timestamp and row; its variants and case durations read the frame in that order),
so it is timed apart; each pm4py call is then timed on the formatted frame:
`discover_dfg` (counts), `discover_performance_dfg(perf_aggregation_key="median")`,
`get_variants`, `get_all_case_durations`. Kizuna's `directly_follows` (counts and median
times together), `variants` and `case_durations` are timed from the raw frame, their own
encoding and sorting included. Every number is the median of `--runs` runs, pm4py's and
Kizuna's runs alternating so that both meet the same load on a shared machine. On the
small receipt log one call takes milliseconds, so each run there is the median of
`RECEIPT_CALLS` calls in one process on each side (both sides warm, as in a notebook or a
server); a single call in a fresh process would mostly time first-call costs.

Identity: directly-follows counts, variant counts (every variant's activity sequence and
count) and the sorted case durations must be equal; median times may differ by float
rounding (pm4py subtracts timestamps in seconds, Kizuna in nanoseconds).

    .venv/bin/python -m bench.journeys            # receipt + 10 M generated
    .venv/bin/python -m bench.journeys --quick    # receipt + 1 M generated
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "work"
RESULTS = ROOT / "results" / "journeys.md"
PEER_VENV = ROOT.parent / ".venv-bench-journeys"
PEER_PYTHON = PEER_VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements-journeys-peers.txt"
RECEIPT = ROOT.parent.parent / "shared" / "data" / "eventlogs" / "receipt.csv"
COLUMNS = ("case", "activity", "timestamp")
RECEIPT_CALLS = 100  # calls per run on receipt.csv, each side, in one process (median)


# --- both sides: one canonical digest of each result ---------------------------------


def digest(items: list[Any]) -> str:
    """sha256 of a sorted list's JSON: equal digests, equal results."""
    text = json.dumps(sorted(items), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def median_of(times: list[float]) -> float:
    return float(np.median(times))


# --- pm4py, inside .venv-bench-journeys ------------------------------------------------


def run_peer(path: str, runs: int) -> None:
    """Runs inside .venv-bench-journeys: pm4py's timings and result digests as JSON."""
    import pandas as pd
    import pm4py

    frame = pd.read_parquet(path)
    times: dict[str, list[float]] = {
        "format": [],
        "dfg": [],
        "perf": [],
        "variants": [],
        "durations": [],
    }
    out: dict[str, Any] = {"version": pm4py.__version__, "pandas": pd.__version__}
    for _ in range(runs):
        started = time.perf_counter()
        formatted = pm4py.format_dataframe(
            frame, case_id="case", activity_key="activity", timestamp_key="timestamp"
        )
        times["format"].append(time.perf_counter() - started)
        started = time.perf_counter()
        dfg, _, _ = pm4py.discover_dfg(formatted)
        times["dfg"].append(time.perf_counter() - started)
        started = time.perf_counter()
        perf, _, _ = pm4py.discover_performance_dfg(formatted, perf_aggregation_key="median")
        times["perf"].append(time.perf_counter() - started)
        started = time.perf_counter()
        found = pm4py.get_variants(formatted)
        times["variants"].append(time.perf_counter() - started)
        started = time.perf_counter()
        durations = pm4py.get_all_case_durations(formatted)
        times["durations"].append(time.perf_counter() - started)
        del formatted
    out["seconds"] = {k: median_of(v) for k, v in times.items()}
    # Without format_dataframe pm4py reads variants and durations in the frame's order.
    unformatted = pm4py.get_variants(
        frame, case_id_key="case", activity_key="activity", timestamp_key="timestamp"
    )
    out["variants_unformatted"] = digest([[list(v), int(n)] for v, n in unformatted.items()])
    out["dfg"] = digest([[a, b, int(n)] for (a, b), n in dfg.items()])
    out["edges"] = len(dfg)
    out["medians"] = {f"{a}\t{b}": float(v) for (a, b), v in perf.items()}
    out["variants"] = digest([[list(v), int(n)] for v, n in found.items()])
    out["variant_count"] = len(found)
    out["durations"] = hashlib.sha256(
        json.dumps([float(d) for d in durations]).encode()
    ).hexdigest()
    out["cases"] = len(durations)
    print(json.dumps(out))


def ensure_peer_venv() -> str | None:
    """Make .venv-bench-journeys with pip when it is missing; an error text if that fails."""
    marker = PEER_VENV / ".installed"
    if marker.exists():
        return None
    try:
        if not PEER_PYTHON.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
            (PEER_VENV / ".gitignore").write_text("*\n")
        subprocess.run(
            [str(PEER_PYTHON), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"could not make {PEER_VENV.name}: {exc}"
    marker.write_text(dt.datetime.now().isoformat())
    return None


def time_peer(path: Path, runs: int, timeout: float) -> dict[str, Any]:
    """pm4py's results and timings (the median of `runs` calls in one process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT.parent), "OPENBLAS_NUM_THREADS": "1"}
    command = [str(PEER_PYTHON), "-m", "bench.journeys", "--peer", str(path), "--runs", str(runs)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT.parent
        )
    except subprocess.TimeoutExpired:
        return {"error": f"capped: not done in {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:160]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- Kizuna --------------------------------------------------------------------------


def time_kizuna(path: Path, runs: int) -> dict[str, Any]:
    """Kizuna's results and timings (the median of `runs` calls in one process)."""
    import pandas as pd

    from kizuna.analytics.journeys import case_durations, directly_follows, event_log, variants

    frame = pd.read_parquet(path)
    times: dict[str, list[float]] = {"dfg": [], "variants": [], "durations": [], "all": []}
    for _ in range(runs):
        started = time.perf_counter()
        edges = directly_follows(frame)
        times["dfg"].append(time.perf_counter() - started)
        started = time.perf_counter()
        paths = variants(frame)
        times["variants"].append(time.perf_counter() - started)
        started = time.perf_counter()
        durations = case_durations(frame)
        times["durations"].append(time.perf_counter() - started)
        started = time.perf_counter()
        log = event_log(frame)
        directly_follows(log), variants(log), case_durations(log)
        times["all"].append(time.perf_counter() - started)
    return {
        "seconds": {k: median_of(v) for k, v in times.items()},
        "dfg": digest(
            [
                [a, b, int(n)]
                for a, b, n in edges[["source", "target", "count"]].itertuples(index=False)
            ]
        ),
        "edges": len(edges),
        "medians": {
            f"{a}\t{b}": float(m)
            for a, b, m in edges[["source", "target", "median_seconds"]].itertuples(index=False)
        },
        "variants": digest(
            [[list(v), int(n)] for v, n in zip(paths["variant"], paths["count"], strict=True)]
        ),
        "variant_count": len(paths),
        "durations": hashlib.sha256(
            json.dumps(sorted(float(d) for d in durations["duration_seconds"])).encode()
        ).hexdigest(),
        "cases": len(durations),
        "events": len(frame),
    }


# --- data ----------------------------------------------------------------------------


def receipt_frame() -> Path:
    import pandas as pd

    path = WORK / "journeys_receipt.parquet"
    if not path.exists():
        raw = pd.read_csv(RECEIPT, dtype=str)
        frame = pd.DataFrame(
            {
                "case": raw["case:concept:name"],
                "activity": raw["concept:name"],
                "timestamp": pd.to_datetime(raw["time:timestamp"], utc=True, format="ISO8601")
                .dt.tz_localize(None)
                .astype("datetime64[ns]"),
            }
        )
        WORK.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(path)
    return path


def generated_frame(n_events: int, seed: int = 13) -> Path:
    """A Markov process over 20 activities, 10 events a case on average, in time order."""
    import pandas as pd

    path = WORK / f"journeys_generated_{n_events}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    words = "receive check register review approve reject notify archive call visit pay ship return refund survey escalate close reopen assign wait"
    activities = np.array([f"A{i:02d} {w}" for i, w in enumerate(words.split())], dtype=object)
    k = len(activities)
    cumulative = rng.dirichlet(np.full(k, 0.3), size=k).cumsum(axis=1)
    drawn = np.clip(rng.geometric(0.1, n_events // 5 + 10), 1, 80)
    total = np.cumsum(drawn)
    n_cases = int(np.searchsorted(total, n_events)) + 1  # cases until n_events, the last cut
    lengths = drawn[:n_cases].copy()
    lengths[-1] = n_events - (int(total[n_cases - 2]) if n_cases > 1 else 0)
    case = np.repeat(np.arange(n_cases), lengths)
    position = np.arange(n_events) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    activity = np.empty(n_events, dtype=np.int64)
    first = position == 0
    activity[first] = rng.integers(0, 3, first.sum())
    for step in range(1, int(lengths.max())):
        at = np.flatnonzero(position == step)
        activity[at] = (
            (rng.random(len(at))[:, None] > cumulative[activity[at - 1]]).sum(axis=1).clip(0, k - 1)
        )
    gaps = np.round(rng.exponential(3600 * (1 + activity % 5), n_events)).astype(np.int64)
    gaps[rng.random(n_events) < 0.05] = 0
    gaps[first] = 0
    elapsed = np.cumsum(gaps)
    start = np.repeat(
        rng.integers(0, 365 * 86400, n_cases) - elapsed[np.cumsum(lengths) - lengths], lengths
    )
    seconds = start + elapsed
    frame = pd.DataFrame(
        {
            "case": pd.Series([f"c{c:07d}" for c in case.tolist()], dtype="str"),
            "activity": pd.Series(activities[activity], dtype="str"),
            "timestamp": np.datetime64("2024-01-01T00:00:00", "ns")
            + seconds.astype("timedelta64[s]"),
        }
    )
    frame = frame.iloc[np.argsort(seconds, kind="stable")].reset_index(drop=True)
    WORK.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)
    return path


def case_ordered(path: Path) -> Path:
    """The same events in pm4py's order (case, then time, ties as they were): what its
    `format_dataframe` leaves, so Kizuna's sort finds nothing to do either."""
    import pandas as pd

    target = path.with_name(path.stem + "_by_case.parquet")
    if not target.exists():
        frame = pd.read_parquet(path)
        order = np.lexsort(
            (np.arange(len(frame)), frame["timestamp"].to_numpy(), frame["case"].to_numpy())
        )
        frame.iloc[order].reset_index(drop=True).to_parquet(target)
    return target


def merge_runs(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run's results with every timing the median over the runs."""
    first = dict(results[0])
    if "error" in first:
        return first
    errors = [r for r in results if "error" in r]
    if errors:
        return errors[0]
    first["seconds"] = {
        key: median_of([r["seconds"][key] for r in results]) for key in first["seconds"]
    }
    for r in results[1:]:  # every run must have found the same results
        for key in ("dfg", "variants", "durations"):
            if r[key] != first[key]:
                first[key] = "differs between runs"
    return first


# --- report --------------------------------------------------------------------------


def compare(name: str, ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "data": name,
        "events": ours["events"],
        "cases": ours["cases"],
        "ours": ours,
        "peer": peer,
    }
    if "error" in peer:
        return row
    shared = set(ours["medians"]) & set(peer["medians"])
    row["same"] = {
        "dfg": ours["dfg"] == peer["dfg"] and ours["edges"] == peer["edges"],
        "variants": ours["variants"] == peer["variants"]
        and ours["variant_count"] == peer["variant_count"],
        "durations": ours["durations"] == peer["durations"] and ours["cases"] == peer["cases"],
    }
    row["unformatted_same"] = peer.get("variants_unformatted") == ours["variants"]
    row["median_gap"] = max(
        (abs(ours["medians"][k] - peer["medians"][k]) for k in shared), default=0.0
    )
    return row


def fmt(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds >= 0.1 else f"{seconds:.3f}"


def write_table(
    rows: list[dict[str, Any]],
    runs: int,
    loads: tuple[tuple[float, ...], tuple[float, ...]],
    command: str,
    out: Path,
) -> None:
    lines = [
        "# Journeys analytics: Kizuna vs pm4py",
        "",
        f"Date: {dt.date.today().isoformat()}. Machine: {os.cpu_count()} cores, CPython "
        f"{platform.python_version()}, shared and noisy; load average "
        f"{' / '.join(f'{x:.2f}' for x in loads[0])} before, "
        f"{' / '.join(f'{x:.2f}' for x in loads[1])} after (1/5/15 min). Each time is the "
        f"median of {runs} runs (receipt: at least 7, each run the median of {RECEIPT_CALLS} "
        "calls in one process on each side), pm4py's and Kizuna's alternating.",
        "",
        f"Command: `{command}` (pm4py in `.venv-bench-journeys`, "
        "made from `bench/requirements-journeys-peers.txt`).",
        "",
        "pm4py must `format_dataframe` a frame first (its variants and durations read the "
        "frame's order), so its cost is shown apart and included in the last column. Kizuna's "
        "times start from the raw frame and include its own encoding and sort. Medians of the "
        "directly-follows times: Kizuna computes them in the same call as the counts; pm4py "
        "needs `discover_performance_dfg`.",
        "",
        "| data | events | result | same as pm4py | Kizuna (s) | pm4py call (s) | speed-up | pm4py with format_dataframe (s) | speed-up |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours, peer = row["ours"]["seconds"], row["peer"]
        if "error" in peer:
            lines.append(
                f"| {row['data']} | {row['events']:,} | all | - | {fmt(ours['all'])} | {peer['error']} | | | |"
            )
            continue
        theirs = peer["seconds"]
        for label, mine, their, same in (
            ("directly-follows counts", ours["dfg"], theirs["dfg"], row["same"]["dfg"]),
            (
                "directly-follows median times",
                ours["dfg"],
                theirs["perf"],
                row["median_gap"] < 1e-6,
            ),
            ("variants", ours["variants"], theirs["variants"], row["same"]["variants"]),
            ("case durations", ours["durations"], theirs["durations"], row["same"]["durations"]),
        ):
            lines.append(
                f"| {row['data']} | {row['events']:,} | {label} | {'yes' if same else 'NO'} | "
                f"{fmt(mine)} | {fmt(their)} | {their / mine:.1f}x | "
                f"{fmt(their + theirs['format'])} | {(their + theirs['format']) / mine:.1f}x |"
            )
        lines.append(
            f"| {row['data']} | {row['events']:,} | all three, one `event_log` | | {fmt(ours['all'])} | "
            f"{fmt(theirs['dfg'] + theirs['perf'] + theirs['variants'] + theirs['durations'])} | | "
            f"{fmt(theirs['format'] + theirs['dfg'] + theirs['perf'] + theirs['variants'] + theirs['durations'])} | |"
        )
    for row in rows:
        if "unformatted_same" in row:
            lines.append("")
            lines.append(
                f"{row['data']}: pm4py's `get_variants` on the frame as given, without "
                f"`format_dataframe`, {'gives the same variants' if row['unformatted_same'] else 'gives different (wrong) variants'}."
            )
    versions = {r["peer"].get("version") for r in rows if "version" in r["peer"]}
    lines += [
        "",
        f"pm4py {', '.join(sorted(v for v in versions if v))}; pandas "
        f"{next((r['peer'].get('pandas') for r in rows if 'pandas' in r['peer']), '?')} in its venv. "
        "Largest difference of a directly-follows median time between the two: "
        + ", ".join(f"{r['data']} {r.get('median_gap', float('nan')):.2e} s" for r in rows)
        + ".",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="1 M generated events, not 10 M")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--peer-timeout", type=float, default=3600.0)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args(argv)
    if args.peer:
        run_peer(args.peer, args.runs)
        return 0
    problem = ensure_peer_venv()
    sets = []
    if RECEIPT.exists():
        sets.append(("receipt.csv", receipt_frame(), max(args.runs, 7), RECEIPT_CALLS))
    size = 1_000_000 if args.quick else 10_000_000
    generated = generated_frame(size)
    sets.append((f"generated {size // 1_000_000} M, time order", generated, args.runs, 1))
    sets.append(
        (f"generated {size // 1_000_000} M, case order", case_ordered(generated), args.runs, 1)
    )
    before = os.getloadavg()
    rows = []
    for name, path, runs, calls in sets:
        # Runs alternate, pm4py then Kizuna, so both meet the same load on a shared machine.
        peers: list[dict[str, Any]] = []
        ours_runs: list[dict[str, Any]] = []
        for _ in range(runs):
            peers.append(
                {"error": problem} if problem else time_peer(path, calls, args.peer_timeout)
            )
            ours_runs.append(time_kizuna(path, calls))
        rows.append(compare(name, merge_runs(ours_runs), merge_runs(peers)))
        print(f"{name}: done", flush=True)
    shown = [a for a in (argv or sys.argv[1:]) if a != "--out" and a != str(args.out)]
    command = " ".join([".venv/bin/python -m bench.journeys", *shown])
    write_table(rows, args.runs, (before, os.getloadavg()), command, args.out)
    same = all(all(r.get("same", {}).values()) for r in rows if "same" in r)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())

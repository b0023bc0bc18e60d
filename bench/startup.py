"""Benchmark: how long the command line takes to start, end to end, as a person types it.

Times whole processes (wall and CPU of the child): `kizuna --help`, `kizuna text analyze
"..."` (one Japanese sentence, the engine built and run once), `kizuna jobs --help`, and
`python -c "import kizuna.analytics.metrics"`. Each command runs once to warm the disk
cache, then `--repeat` times; the table gives the median and the spread, with the
machine's load before and after (other work on a 2-core machine shows in wall time).
Targets (platform spine issue): --help under 0.5 s, text analyze under 2 s, on a quiet
2-core machine.

    python -m bench.startup [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "startup.md"
KIZUNA = str(Path(sys.executable).parent / "kizuna")
SENTENCE = "朝食はとても美味しかったが、部屋が狭くて残念でした。"
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("kizuna --help", [KIZUNA, "--help"], 0.5),
    ("kizuna jobs --help", [KIZUNA, "jobs", "--help"], None),
    (f'kizuna text analyze "{SENTENCE}"', [KIZUNA, "text", "analyze", SENTENCE], 2.0),
    (
        "python -c 'import kizuna.analytics.metrics'",
        [sys.executable, "-c", "import kizuna.analytics.metrics"],
        None,
    ),
]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and the child's CPU seconds (user + system) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "COLUMNS": "80"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def loads() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (5-min {five:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    load_before = loads()
    rows = []
    for name, command, target in COMMANDS:
        timed(command)  # warm the page cache
        runs = [timed(command) for _ in range(args.repeat)]
        walls = sorted(w for w, _ in runs)
        cpus = sorted(c for _, c in runs)
        median = statistics.median(walls)
        goal = f"< {target:g} s: {'met' if median < target else 'NOT met'}" if target else "-"
        rows.append(
            f"| `{name}` | {median:.3f} | {walls[0]:.3f}-{walls[-1]:.3f} | "
            f"{statistics.median(cpus):.3f} | {goal} |"
        )
    lines = [
        "# Start-up benchmark: the command line, end to end",
        "",
        f"Date: {dt.date.today().isoformat()}. Machine: {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}, {platform.machine()}. "
        f"Command: `python -m bench.startup --repeat {args.repeat}`. Each command ran once to "
        f"warm the cache, then {args.repeat} times. Load average before {load_before}, "
        f"after {loads()}.",
        "",
        "| command | median wall s | min-max wall s | median CPU s | target |",
        "|---|---:|---:|---:|---|",
        *rows,
        "",
        "Before the platform spine (commit 397d57b, the same commands on this machine at load "
        "3.8-4.7, three runs): `kizuna --help` 5.10-5.17 s wall (3.2-3.4 s user CPU) and "
        "`kizuna text analyze` 3.7-4.4 s, nearly all of it start-up: `kizuna/__init__` "
        "imported SQLAlchemy and the app, and the CLI root imported every feature.",
    ]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

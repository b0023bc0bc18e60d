"""Run every benchmark, each in its own process; each writes its table under bench/results/.

`make bench` runs this. A benchmark that fails is reported and the others still run.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS = (
    "startup",
    "ingest",
    "ingest_pg",
    "metrics",
    "identity",
    "clv",
    "text",
    "loop",
    "journeys",
    "surveys",
    "batch_api",
    "pages",
    "dashboard",
    "explorer",
    "topics",
)  # loop: issue 11; ingest_pg and batch_api: issue 15; pages to topics: issue 12


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        started = time.perf_counter()
        print(f"== bench.{name}", flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *sys.argv[1:]])
        print(f"== bench.{name}: exit {code} in {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
